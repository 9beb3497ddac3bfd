-- One row per (period_grain, period_start, unit_code, criterion_code); contract in MARTS.md. Every
-- computable criterion of METRICS.md §5–6 from int_criteria_counts, scored by the scoring_rules version
-- valid at the period's end for the unit's level (a criterion without a rule for a level — e.g.
-- 766.1.1–766.1.3 below the province — has no row there). Not available from these sources, so absent:
-- 766.5.3, 766.6.1, 766.6.2. Unit rows never carry the province's own code: records coded to the
-- province count in its roll-up row only, as do records with no unit code.
with

counts as (
    select * from {{ ref('int_criteria_counts') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

units as (
    select * from {{ ref('int_unit_history') }}
),

province as (
    select distinct
        province_unit_code as unit_code,
        unit_name
    from units
    where is_the_province
),

unit_rows as (
    select
        counts.period_grain,
        counts.period_start,
        counts.unit_code,
        units.unit_name,
        units.unit_level,
        counts.criterion_code,
        counts.numerator,
        counts.denominator
    from counts
    left join units on counts.unit_code = units.unit_code
    where
        not counts.is_province_rollup
        and counts.unit_code is not null
        and counts.unit_code not in (select province.unit_code from province)
),

province_rows as (
    select
        counts.period_grain,
        counts.period_start,
        province.unit_code,
        province.unit_name,
        'province' as unit_level,
        counts.criterion_code,
        counts.numerator,
        counts.denominator
    from counts
    cross join province
    where counts.is_province_rollup
),

all_rows as (
    select * from unit_rows
    union all
    select * from province_rows
),

rated as (
    select
        all_rows.*,
        periods.period_end,
        periods.is_period_closed,
        periods.as_of,
        all_rows.numerator / nullif(all_rows.denominator, 0) as rate
    from all_rows
    inner join periods
        on
            all_rows.period_grain = periods.period_grain
            and all_rows.period_start = periods.period_start
)

{{ scored_criteria('rated') }}
