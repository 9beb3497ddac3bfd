select
    period_grain,
    period_start,
    unit_code,
    criterion_code,
    points,
    max_points
from {{ ref('criteria_scores') }}
where points < 0 or points > max_points
