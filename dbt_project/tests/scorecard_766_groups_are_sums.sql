-- Group points = the sum of their criteria, total = the sum of groups, covered max = the max points of
-- the computable criteria (METRICS.md §5): relations between two marts, so a dbt test. (Total within
-- [0, covered max] is a rule on one mart's rows: expectations/marts/scorecard_766.json.)
with

sums as (
    select
        period_grain,
        period_start,
        unit_code,
        sum(points) filter (where criterion_group = '766.2') as progress_points,
        sum(points) filter (where criterion_group = '766.5') as digitisation_points,
        coalesce(sum(points), 0) as total_points,
        coalesce(sum(max_points) filter (where points is not null), 0) as covered_max_points
    from {{ ref('criteria_scores') }}
    where criterion_code like '766.%'
    group by period_grain, period_start, unit_code
)

select
    scorecard.period_grain,
    scorecard.period_start,
    scorecard.unit_code
from {{ ref('scorecard_766') }} as scorecard
inner join sums
    on
        scorecard.period_grain = sums.period_grain
        and scorecard.period_start = sums.period_start
        and scorecard.unit_code = sums.unit_code
where
    -- Sums of doubles: equal within a tolerance, and null exactly when the other is null.
    (scorecard.progress_points is null) != (sums.progress_points is null)
    or abs(scorecard.progress_points - sums.progress_points) > 1e-5
    or (scorecard.digitisation_points is null) != (sums.digitisation_points is null)
    or abs(scorecard.digitisation_points - sums.digitisation_points) > 1e-5
    or abs(scorecard.total_points - sums.total_points) > 1e-5
    or abs(scorecard.covered_max_points - sums.covered_max_points) > 1e-5
    or abs(
        scorecard.total_points
        - coalesce(scorecard.transparency_points, 0) - coalesce(scorecard.progress_points, 0)
        - coalesce(scorecard.online_service_points, 0) - coalesce(scorecard.online_payment_points, 0)
        - coalesce(scorecard.digitisation_points, 0) - coalesce(scorecard.satisfaction_points, 0)
    ) > 1e-5
