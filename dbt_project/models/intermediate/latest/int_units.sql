-- The administrative units as the newest snapshot lists them: units carry their own validity dates, so
-- the newest snapshot is authoritative (SOURCES.md §4); older snapshots stay in landing as history.
{{ config(materialized='view') }}

with

units as (
    select * from {{ ref('stg_reference__units') }}
)

select *  -- noqa: AM04
from units
where snapshot_month = (select max(s.snapshot_month) from units as s)
-- A snapshot month is one file; a duplicated code inside it keeps the latest file's row.
qualify row_number() over (partition by unit_code order by source_file desc) = 1
