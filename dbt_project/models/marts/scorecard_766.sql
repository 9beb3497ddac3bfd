-- The Decision 766 scorecard per unit and period (METRICS.md §5): group points = sum of the group's
-- criteria, total = sum of groups, covered_max = max points of the criteria that were computable (points
-- not null), rank within the level by total / covered_max (ties share a rank) among the units in force at
-- the period's end only: a unit that has ceased (or that don_vi does not know) keeps its row and points,
-- with a null rank and is_unit_in_force false, so reports show it apart without re-deriving validity.
-- Grain: one row per (period_grain, period_start, unit_code).
with

scores as (
    select * from {{ ref('criteria_scores') }}
    where criterion_code like '766.%'
),

summed as (
    select
        period_grain,
        period_start,
        period_end,
        is_period_closed,
        unit_code,
        unit_name,
        unit_level,
        round(sum(points) filter (where criterion_group = '766.1'), 6) as transparency_points,
        round(sum(points) filter (where criterion_group = '766.2'), 6) as progress_points,
        round(sum(points) filter (where criterion_group = '766.3'), 6) as online_service_points,
        round(sum(points) filter (where criterion_group = '766.4'), 6) as online_payment_points,
        round(sum(points) filter (where criterion_group = '766.5'), 6) as digitisation_points,
        round(sum(points) filter (where criterion_group = '766.6'), 6) as satisfaction_points,
        round(coalesce(sum(points), 0), 6) as total_points,
        coalesce(sum(max_points) filter (where points is not null), 0) as covered_max_points,
        max(as_of) as as_of
    from scores
    group by all
),

flagged as (
    {{ with_unit_in_force('summed', 'period_end') }}
)

select
    cast(period_grain as varchar) as period_grain,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(is_period_closed as boolean) as is_period_closed,
    cast(unit_code as varchar) as unit_code,
    cast(unit_name as varchar) as unit_name,
    cast(unit_level as varchar) as unit_level,
    cast(transparency_points as double) as transparency_points,
    cast(progress_points as double) as progress_points,
    cast(online_service_points as double) as online_service_points,
    cast(online_payment_points as double) as online_payment_points,
    cast(digitisation_points as double) as digitisation_points,
    cast(satisfaction_points as double) as satisfaction_points,
    cast(total_points as double) as total_points,
    cast(covered_max_points as double) as covered_max_points,
    cast(
        {{ rank_in_force('period_grain, period_start', 'total_points / nullif(covered_max_points, 0)') }}
        as integer
    ) as rank_in_level,
    cast(as_of as timestamp) as as_of,
    cast(is_unit_in_force as boolean) as is_unit_in_force
from flagged
