-- The source re-sends a dossier on every change, and overlapping extraction windows land it more than
-- once: keep the latest version (by update time, then the newest batch; the landing position breaks
-- the remaining ties). The nested lists are summarised here into the counts and first times every
-- criterion reads (a province's history holds tens of millions of list entries; storing them again
-- would cost more than the rest of the build).
--
-- Incremental: a build reads only the batches that are new or replaced since the last build
-- (int_landing_batches) and replaces the dossiers they hold (int_dossier_changes). A dossier whose kept
-- version sat in a replaced or removed batch is read again from every batch (a rerun may have dropped
-- it, or an older version may now be the newest); any other touched dossier compares its new versions
-- with the version already kept.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='dossier_id',
        scope_model='int_dossier_changes',
        scope_where='in_dossier_batch or reread_dossier',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_dossier_changes') }}
-- depends_on: {{ ref('int_landing_batches') }}

with

{% if is_scoped_increment() -%}
{%- set reread = execute and run_query(
    'select count(*) from ' ~ ref('int_dossier_changes') ~ ' where reread_dossier'
).columns[0].values()[0] > 0 %}

changes as (
    select * from {{ ref('int_dossier_changes') }}
    where in_dossier_batch or reread_dossier
),

landed as (
    select * from {{ landing_batches_relation('dossier_api', 'dossiers', landing_batch_ids('dossier_api', 'dossiers'), lineage=true) }}
    {%- if reread %}
    union all by name
    select * from {{ landing_relation('dossier_api', 'dossiers', lineage=true) }}
    where MaHoSo in (select changes.dossier_id from changes where changes.reread_dossier)
    {%- endif %}
),

candidates as (
    select {{ stg_dossier_columns() }}
    from landed
    union all by name
    -- The version kept so far, where it came from a batch that is still there unchanged.
    select kept.*
    from {{ this }} as kept
    inner join changes on kept.dossier_id = changes.dossier_id
    where not changes.reread_dossier
)

select * from candidates
qualify row_number() over (partition by dossier_id order by {{ latest_version_order('updated_at') }}) = 1

{%- else -%}

landed as not materialized (
    select {{ stg_dossier_columns() }}
    from {{ landing_relation('dossier_api', 'dossiers', lineage=true) }}
),

{{ keep_latest_version('latest', 'landed', 'dossier_id', 'updated_at', 'batch_id') }}

final as (
    select * from latest
)

select * from final

{%- endif %}
