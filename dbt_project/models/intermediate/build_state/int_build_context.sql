-- sqlfluff:indentation:template_blocks_indent:false
-- What this build must recompute (one row). A build is numbered (build_seq = the last completed build's
-- number + 1) and reads the last completed build's as_of, calendar and code versions from
-- int_processed_batches, the state written at the end of every completed build.
-- refresh_all (replace every incremental table as a whole, recomputing everything) when there is no
-- state yet (first build, or the state was lost), on a full refresh, with another working-day calendar
-- or other code (a model or macro changed), after a catalogue change reaching back to its oldest
-- snapshot (which every earlier month reads), when an incremental table is missing, and after a build
-- that stopped half-way through its incremental merges (int_incremental_log holds merges of a build
-- number that never completed): what such a build left is consistent per table but not across tables.
{{ config(post_hook="{{ incremental_log_create() }}") }}
{%- set previous = previous_relation('int_processed_batches') %}
{%- set merge_log = incremental_log_relation() %}

with

previous_build as (
    {%- if previous is not none %}
    select
        max(build_seq) as build_seq,
        max(as_of) as as_of,
        max(calendar_version) as calendar_version,
        max(code_version) as code_version,
        count(*) as batches
    from {{ previous }}
    {%- else %}
    select
        cast(null as bigint) as build_seq,
        cast(null as timestamp) as as_of,
        cast(null as varchar) as calendar_version,
        cast(null as varchar) as code_version,
        0 as batches
    {%- endif %}
),

calendar as (
    select max(calendar_version) as calendar_version
    from {{ ref('int_working_days') }}
),

catalogue as (
    -- Catalogue batches are monthly snapshots whose batch id is the export month (YYYYMM).
    select
        min(try_strptime(batch_id, '%Y%m')) filter (where change != 'unchanged') as first_changed_month,
        min(try_strptime(batch_id, '%Y%m')) as oldest_month,
        count(*) filter (where try_strptime(batch_id, '%Y%m') is null) as unreadable_batches
    from {{ ref('int_landing_batches') }}
    where source_name = 'reference' and dataset = 'thu_tuc_hanh_chinh'
),

merge_log as (
    {%- if merge_log is not none %}
    select max(build_seq) as last_merge_build_seq
    from {{ merge_log }}
    {%- else %}
    select cast(null as bigint) as last_merge_build_seq
    {%- endif %}
),

decided as (
    select
        greatest(coalesce(previous_build.build_seq, 0), coalesce(merge_log.last_merge_build_seq, 0)) + 1 as build_seq,
        previous_build.as_of as previous_as_of,
        calendar.calendar_version,
        '{{ code_version() }}' as code_version,
        cast(catalogue.first_changed_month as date) as first_changed_catalogue_month,
        {{ is_full_refresh() }}
        or previous_build.batches = 0
        -- An incremental table that does not exist yet (a new model, or one dropped by hand) is built
        -- whole; the others must then be rebuilt too, or they would disagree with it.
        or {{ incremental_tables_missing() }}
        or (previous_build.calendar_version is distinct from calendar.calendar_version)
        or (previous_build.code_version is distinct from '{{ code_version() }}')
        or catalogue.unreadable_batches > 0
        or coalesce(catalogue.first_changed_month <= catalogue.oldest_month, false)
        or coalesce(merge_log.last_merge_build_seq > previous_build.build_seq, false) as refresh_all
    from previous_build
    cross join calendar
    cross join catalogue
    cross join merge_log
)

select
    build_seq,
    previous_as_of,
    calendar_version,
    code_version,
    first_changed_catalogue_month,
    refresh_all
from decided
