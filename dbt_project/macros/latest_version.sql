{#- "Latest version per key" over landing, shared by the full and the incremental paths of the staging
    models, so both keep exactly the same row. Lineage of a landed row: the batch directory it sits in
    (`source_batch`, the id a rerun replaces), its part file and its row in that file; the last two only
    break ties between versions that agree on every source field of the order. -#}

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
