{#- "Latest version per key": staging keeps every landed version with its lineage, the intermediate
    models keep the latest (the full and the incremental paths of int_dossiers through the same order, so
    both keep exactly the same row). Lineage of a landed row (from the landing view's filename and
    file_row_number): the batch directory it sits in (`source_batch`, the id a rerun replaces), its part
    file and its row in that file; the last two only break ties between versions that agree on every
    source field of the order. -#}

{% macro landing_lineage(filename='filename', file_row_number='file_row_number') -%}
    cast(regexp_extract({{ filename }}, '/batch=([^/]+)/[^/]+$', 1) as varchar) as source_batch,
    cast(regexp_extract({{ filename }}, '([^/]+)$', 1) as varchar) as source_file,
    cast({{ file_row_number }} as bigint) as source_row
{%- endmacro %}


{#- Newest first: the source's change time, then the batch id, then the landing position. -#}
{% macro latest_version_order(changed_at, batch_id='batch_id') -%}
    {{ changed_at }} desc nulls last,
    {{ batch_id }} desc nulls last,
    source_batch desc nulls last,
    source_file desc nulls last,
    source_row desc nulls last
{%- endmacro %}


{#- Keep the latest version per key of `relation` (a CTE with the key, the order columns and the
    lineage). Most keys have one version, so the versions are ranked only for the keys that have more:
    a narrow count per key, then a window over the few duplicated keys, then one pass that keeps the
    rest as they are. Emits CTEs `<name>__duplicated`, `<name>__winners` and `<name>` (comma-terminated). -#}
{% macro keep_latest_version(name, relation, key, changed_at, batch_id) -%}
    {{ name }}__duplicated as (
    select
        {{ key }} as version_key,
        true as is_duplicated
    from {{ relation }}
    group by {{ key }}
    having count(*) > 1
),

{{ name }}__winners as (
    select
        {{ relation }}.source_batch as winner_batch,
        {{ relation }}.source_file as winner_file,
        {{ relation }}.source_row as winner_row
    from {{ relation }}
    inner join {{ name }}__duplicated
        on {{ relation }}.{{ key }} is not distinct from {{ name }}__duplicated.version_key
    qualify row_number() over (
            partition by {{ relation }}.{{ key }}
            order by {{ latest_version_order(changed_at, batch_id) }}
        ) = 1
),

{{ name }} as (
    select {{ relation }}.*
    from {{ relation }}
    left join {{ name }}__duplicated
        on {{ relation }}.{{ key }} is not distinct from {{ name }}__duplicated.version_key
    left join {{ name }}__winners
        on
            {{ relation }}.source_batch = {{ name }}__winners.winner_batch
            and {{ relation }}.source_file = {{ name }}__winners.winner_file
            and {{ relation }}.source_row = {{ name }}__winners.winner_row
    where {{ name }}__duplicated.is_duplicated is null or {{ name }}__winners.winner_row is not null
),
{%- endmacro %}


{#- The latest version of each row of a document-DB table (by its change time, then its batch), without
    the soft-deleted ones, so a deleted row disappears downstream (SOURCES.md §2). `relation` is the
    table's staging model (every version, with updated_at, deleted_at and batch_id). -#}
{% macro latest_document_db_rows(relation, key) -%}
with

latest as (
    select *
    from {{ relation }}
    qualify row_number() over (partition by {{ key }} order by updated_at desc, batch_id desc) = 1
)

select * exclude (deleted_at)
from latest
where deleted_at is null
{%- endmacro %}


{#- The rows of the newest file of each reporting period of a finance report: one batch per period, and a
    corrected re-send (a higher file version) replaces its period's file as a whole (SOURCES.md §3).
    `relation` is the report's staging model (report_period, file_version, source_file). -#}
{% macro newest_report_rows(relation) -%}
select *
from {{ relation }}
qualify
    file_version = max(file_version) over (partition by report_period)
    and source_file = max(source_file) over (partition by report_period, file_version)
{%- endmacro %}
