-- Rates lie in [0, 1] (METRICS.md §3) except the two amount ratios of PAR.8, which are >= 0; a rate is
-- null exactly when its denominator is 0.
select
    period_grain,
    period_start,
    unit_code,
    criterion_code,
    numerator,
    denominator,
    rate
from {{ ref('criteria_scores') }}
where
    rate < 0
    or (rate > 1 and criterion_code not in ('PAR.8.revenue_vs_estimate', 'PAR.8.new_enterprises'))
    or (denominator = 0) != (rate is null)
