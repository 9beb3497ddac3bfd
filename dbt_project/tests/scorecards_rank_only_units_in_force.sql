-- Only units in force at the period's end are ranked (METRICS.md §5): a scorecard row has a rank exactly
-- when is_unit_in_force, and no unit whose don_vi validity ended before the period's end (or began after
-- it), nor a unit don_vi does not know, has one. Returns the offending rows.
with

units as (
    select * from {{ ref('int_unit_history') }}
),

scorecards as (
    select
        'scorecard_766' as mart,
        period_grain,
        period_start,
        period_end,
        unit_code,
        rank_in_level,
        is_unit_in_force
    from {{ ref('scorecard_766') }}

    union all

    select
        'par_scorecard' as mart,
        'year' as period_grain,
        make_date(year, 1, 1) as period_start,
        make_date(year, 12, 31) as period_end,
        unit_code,
        rank_in_level,
        is_unit_in_force
    from {{ ref('par_scorecard') }}
)

select scorecards.*
from scorecards
left join units on scorecards.unit_code = units.unit_code
where
    (scorecards.rank_in_level is not null) != scorecards.is_unit_in_force
    or (
        scorecards.rank_in_level is not null
        and (
            units.unit_code is null
            or units.valid_to < scorecards.period_end
            or units.valid_from > scorecards.period_end
        )
    )
