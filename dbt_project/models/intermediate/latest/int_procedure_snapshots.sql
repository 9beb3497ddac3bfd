-- Every monthly snapshot of the procedure catalogue: criteria read it as of the time they describe
-- (METRICS.md §2, int_procedure_catalogue_as_of). A `_v<N>` re-send replaces its own month's snapshot as
-- a whole file, so each month keeps its newest file, and that file one row per procedure.
{{ config(materialized='view') }}

with

newest_file_per_month as (
    select *
    from {{ ref('stg_reference__procedures') }}
    qualify source_file = max(source_file) over (partition by snapshot_month)
)

select *  -- noqa: AM04
from newest_file_per_month
qualify row_number() over (partition by snapshot_month, procedure_code order by procedure_code) = 1
