-- Rates of count-based criteria lie in [0, 1] (METRICS.md §3; the amount ratios of PAR.8 are exempt),
-- and a rate is null exactly when its denominator is 0.
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
    criterion_code not in ('PAR.8.revenue_vs_estimate', 'PAR.8.new_enterprises')
    and (rate < 0 or rate > 1 or (denominator = 0) != (rate is null))
