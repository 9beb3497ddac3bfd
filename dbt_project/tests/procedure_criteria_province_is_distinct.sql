-- Procedure-based criteria count distinct procedures province-wide (METRICS.md §3): the province's
-- denominator is never more than the units' summed denominators plus what no unit row carries, and never
-- less than the largest single unit's (766.3.1 is exempt: its province population is every in-force
-- procedure, not only those handled).
with

scores as (
    select * from {{ ref('criteria_scores') }}
    where criterion_code in ('766.3.2', '766.4.1', '766.4.2', '766.5.6')
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
