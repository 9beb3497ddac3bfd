-- Every computable criterion of METRICS.md §5–6 per unit and period, and the province's roll-up, from
-- int_criteria_counts, scored by the scoring_rules version valid at the period's end for the unit's
-- level (a criterion without a rule for a level — e.g. 766.1.1–766.1.3 below the province — has no row
-- there; macros/criteria_scores.sql). Not available from these sources, so absent: 766.5.3, 766.6.1,
-- 766.6.2. Contract in MARTS.md.
with

{{ criteria_rollup_inputs() }}

unit_rows as (
    select
        unit_counts.period_grain,
        unit_counts.period_start,
        unit_counts.unit_code,
        units.unit_name,
        units.unit_level,
        unit_counts.criterion_code,
        unit_counts.numerator,
        unit_counts.denominator
    from unit_counts
    left join units on unit_counts.unit_code = units.unit_code
),

{{ rate_and_score('unit_rows') }}
