-- Procedure-based criteria (province_rollup 'distinct_procedures', macros/criterion_rows.sql) count
-- distinct procedures province-wide (METRICS.md §3): the province's denominator is never less than the
-- largest single unit's (766.3.1 is exempt: its province population is every in-force procedure, not
-- only those handled).
with

scores as (
    select * from {{ ref('criteria_scores') }}
    where
        criterion_code in (
            select distinct counts.criterion_code from {{ ref('int_criteria_counts') }} as counts
            where counts.province_rollup = 'distinct_procedures'
        )
        and criterion_code != '766.3.1'
),

units as (
    select
        period_grain,
        period_start,
        criterion_code,
        max(denominator) as largest_unit_denominator
    from scores
    where unit_level is distinct from 'province'
    group by period_grain, period_start, criterion_code
)

select
    scores.period_grain,
    scores.period_start,
    scores.criterion_code,
    scores.denominator,
    units.largest_unit_denominator
from scores
inner join units
    on
        scores.period_grain = units.period_grain
        and scores.period_start = units.period_start
        and scores.criterion_code = units.criterion_code
where scores.unit_level = 'province' and scores.denominator < units.largest_unit_denominator
