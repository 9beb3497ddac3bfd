-- PAR.3.expired_listed (METRICS.md §6): expired procedures still listed on the unit's website at its
-- latest check / procedures listed at that check. Scored in the year of that check; the province row
-- sums every unit's listings (count-based). Grain: one row per (period_grain, period_start, unit_code,
-- is_province_rollup, criterion_code).
{{ config(materialized='view') }}  -- small, read once per build: no table to write
with

years as (
    select * from {{ ref('int_periods') }}
    where period_grain = 'year'
),

counted as (
    select
        years.period_grain,
        years.period_start,
        listings.unit_code,
        grouping(listings.unit_code) = 1 as is_province_rollup,
        count(*) filter (where listings.is_expired) as numerator,
        count(*) as denominator
    from {{ ref('int_website_listings_checked') }} as listings
    inner join years on listings.checked_on between years.period_start and years.period_end
    group by
        grouping sets (
            (years.period_grain, years.period_start, listings.unit_code), (years.period_grain, years.period_start)
        )
)

select
    period_grain,
    period_start,
    unit_code,
    is_province_rollup,
    'PAR.3.expired_listed' as criterion_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    -- The province row sums every unit's listings.
    'sum' as province_rollup
from counted
