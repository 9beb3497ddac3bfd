-- The procedures listed on units' websites as the newest snapshot lists them: listings carry their own
-- check dates, so the newest snapshot (its newest file) is authoritative (SOURCES.md §4).
{{ config(materialized='view') }}

with

listings as (
    select * from {{ ref('stg_reference__website_listings') }}
),

newest_snapshot as (
    select *
    from listings
    where snapshot_month = (select max(s.snapshot_month) from listings as s)
    qualify source_file = max(source_file) over ()
)

select distinct
    unit_code,
    procedure_code,
    checked_on,
    snapshot_month,
    source_file
from newest_snapshot
