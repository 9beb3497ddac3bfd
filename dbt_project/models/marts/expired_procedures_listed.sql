-- Expired procedures still listed on a unit's website at its latest check (METRICS.md §7). Grain: one
-- row per (unit_code, procedure_code).
with

listings as (
    select * from {{ ref('int_website_listings_checked') }}
    where is_expired
),

units as (
    select * from {{ ref('int_unit_history') }}
)

select
    cast(listings.unit_code as varchar) as unit_code,
    cast(units.unit_name as varchar) as unit_name,
    cast(units.unit_level as varchar) as unit_level,
    cast(listings.procedure_code as varchar) as procedure_code,
    cast(listings.procedure_name as varchar) as procedure_name,
    cast(listings.checked_on as date) as checked_on,
    cast(listings.procedure_expired_on as date) as procedure_expired_on,
    cast(run.as_of as timestamp) as as_of
from listings
left join units on listings.unit_code = units.unit_code
cross join {{ ref('int_as_of') }} as run
