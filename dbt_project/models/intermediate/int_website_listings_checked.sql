-- Each procedure listed on a unit's website at the unit's latest check (the newest listing snapshot is
-- authoritative), with whether it had expired by the check date (ngay_het_hieu_luc < check date). The
-- catalogue is read as of the check's month; a listed procedure missing from it cannot be shown to have
-- expired and stays listed but not expired. Grain: one row per (unit_code, procedure_code).
{{ config(materialized='view') }}  -- small, read once per build: no table to write
with

listings as (
    select *
    from {{ ref('int_website_listings') }}
    qualify checked_on = max(checked_on) over (partition by unit_code)
)

select
    listings.unit_code,
    listings.procedure_code,
    catalogue.procedure_name,
    listings.checked_on,
    catalogue.effective_to as procedure_expired_on,
    coalesce(catalogue.effective_to < listings.checked_on, false) as is_expired
from listings
left join {{ ref('int_procedure_catalogue_as_of') }} as catalogue
    on
        listings.procedure_code = catalogue.procedure_code
        and date_trunc('month', listings.checked_on) >= catalogue.applies_from_month
        and date_trunc('month', listings.checked_on) < catalogue.applies_to_month
