-- sqlfluff:indentation:template_blocks_indent:false
-- The latest version of each dossier (by NgayCapNhat, then the newest batch; the landing position breaks
-- the remaining ties): the source re-sends a dossier on every change, and overlapping extraction
-- windows land it more than once.
--
-- Incremental: a build reads only the staged rows of the batches that are new or replaced since the
-- last build (int_landing_batches). A dossier they hold compares its new versions with the one already
-- kept (by the order columns only) and is rewritten when a new one wins; a dossier whose kept version
-- sat in a replaced or removed batch is read again from every batch (a rerun may have dropped it, or an
-- older version may now be the newest) and always rewritten (int_dossier_changes).
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='dossier_id',
        scope_model='int_dossier_changes',
        scope_where='reread_dossier',
        replace_inserted_keys=true,
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

new_versions as (
    select *
    from {{ ref('stg_dossier_api__dossiers') }}
    where {{ in_landing_batches(landing_batch_ids('dossier_api', 'dossiers')) }}
    {%- if reread %}
    union all
    select *
    from {{ ref('stg_dossier_api__dossiers') }}
    where dossier_id in (
            select changes.dossier_id from changes
            where changes.reread_dossier
        )
    {%- endif %}
),

kept as (
    -- The order columns of the version kept so far, where it came from a batch still there unchanged.
    select
        dossier_id,
        updated_at,
        batch_id,
        source_batch,
        source_file,
        source_row,
        true as is_kept
    from {{ this }}
    where dossier_id in (
            select changes.dossier_id from changes
            where not changes.reread_dossier
        )
),

latest as (
    select *
    from (
        select
            dossier_id,
            updated_at,
            batch_id,
            source_batch,
            source_file,
            source_row,
            false as is_kept
        from new_versions
        union all
        select * from kept
    ) as versions
    qualify row_number() over (partition by dossier_id order by {{ latest_version_order('updated_at') }}) = 1
)

-- Only the dossiers whose newest version is a new one (a row read twice — from a new batch and again
-- for a dossier read from every batch — is one row).
select new_versions.*  -- noqa: AM04
from new_versions
inner join latest
    on
        new_versions.source_batch = latest.source_batch
        and new_versions.source_file = latest.source_file
        and new_versions.source_row = latest.source_row
where not latest.is_kept
qualify row_number() over (partition by new_versions.dossier_id) = 1

{%- else -%}

landed as not materialized (
    select * from {{ ref('stg_dossier_api__dossiers') }}
),

{{ keep_latest_version('latest', 'landed', 'dossier_id', 'updated_at', 'batch_id') }}

final as (
    select * from latest
)

select * from final  -- noqa: AM04

{%- endif %}
