-- sqlfluff:indentation:template_blocks_indent:false
-- What int_dossier_lifecycle needs from a dossier's status events (METRICS.md §2), after keeping the
-- latest recording of each (dossier, STT) as int_dossier_events does: the earliest status-9
-- event, the earliest status-10 event and the latest status-8 event ("earliest"/"latest" by ThoiDiemXuLy,
-- ties by STT), plus counters. Grain: one row per dossier with at least one event. Key: dossier_id.
--
-- A dossier's events rarely have two recordings of one STT, so the full build aggregates every dossier
-- in one pass and ranks recordings only for the dossiers whose STTs are not all distinct (a bitmask of
-- the STTs seen, exact for STT 0–62; any other STT takes the ranked path too).
--
-- Incremental: a dossier with events in new batches whose STTs all come after the ones kept so far
-- merges them with its kept extremes (the extremes of a union are the extremes of the parts); one whose
-- new events revisit a kept STT, or whose kept events came from a replaced or removed batch, is
-- aggregated again from every batch (int_dossier_changes.reread_events).
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='dossier_id',
        scope_model='int_dossier_changes',
        scope_where='in_event_batch or reread_events',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_dossier_changes') }}
-- depends_on: {{ ref('int_landing_batches') }}

with

{% if is_scoped_increment() -%}
{%- set reread = execute and run_query(
    'select count(*) from ' ~ ref('int_dossier_changes') ~ ' where reread_events'
).columns[0].values()[0] > 0 %}

changes as (
    select * from {{ ref('int_dossier_changes') }}
    where in_event_batch or reread_events
),

kept as (
    -- The summaries kept so far of the dossiers that merge.
    select * from {{ rows_with_keys(
        this, 'k.dossier_id',
        'select dossier_id from ' ~ ref('int_dossier_changes') ~ ' where in_event_batch and not reread_events'
    ) }}
),

new_events as not materialized (
    select {{ event_columns() }}
    from {{ ref('stg_dossier_api__dossier_events') }}
    where {{ in_landing_batches(landing_batch_ids('dossier_api', 'dossier_events')) }}
),

merge_candidates as (
    -- New recordings of the dossiers that merge (the latest per STT among them) ...
    select
        new_events.dossier_id,
        new_events.seq,
        new_events.status,
        new_events.processed_at,
        new_events.recorded_at,
        new_events.source_batch,
        true as is_new
    from new_events
    inner join changes on new_events.dossier_id = changes.dossier_id
    where not changes.reread_events
    qualify row_number() over (
            partition by new_events.dossier_id, new_events.seq
            order by {{ latest_version_order('new_events.recorded_at', 'new_events.batch_id') }}
        ) = 1

    union all

    -- ... and the extremes kept so far, as events.
    select
        dossier_id,
        first_processed_event_seq as seq,
        9 as status,
        first_processed_event_at as processed_at,
        first_processed_event_recorded_at as recorded_at,
        null as source_batch,
        false as is_new
    from kept
    where first_processed_event_seq is not null

    union all

    select
        dossier_id,
        first_returned_event_seq as seq,
        10 as status,
        first_returned_event_at as processed_at,
        first_returned_event_recorded_at as recorded_at,
        null as source_batch,
        false as is_new
    from kept
    where first_returned_event_seq is not null

    union all

    select
        dossier_id,
        last_stopped_event_seq as seq,
        8 as status,
        last_stopped_event_at as processed_at,
        last_stopped_event_recorded_at as recorded_at,
        null as source_batch,
        false as is_new
    from kept
    where last_stopped_event_seq is not null
),

merged as (
    select
        e.dossier_id,
        {{ event_extremes('e') }},
        count(*) filter (where e.is_new) as new_event_count,
        max(e.seq) filter (where e.is_new) as new_max_seq,
        max(e.recorded_at) filter (where e.is_new) as new_max_recorded_at,
        min(e.source_batch) filter (where e.is_new) as new_first_source_batch,
        max(e.source_batch) filter (where e.is_new) as new_last_source_batch
    from merge_candidates as e
    group by e.dossier_id
),

merged_summary as (
    select
        merged.dossier_id,
        {{ event_extreme_columns('merged') }},
        coalesce(kept.event_count, 0) + merged.new_event_count as event_count,
        greatest(kept.max_seq, merged.new_max_seq) as max_seq,
        greatest(kept.max_recorded_at, merged.new_max_recorded_at) as max_recorded_at,
        least(kept.first_source_batch, merged.new_first_source_batch) as first_source_batch,
        greatest(kept.last_source_batch, merged.new_last_source_batch) as last_source_batch
    from merged
    left join kept on merged.dossier_id = kept.dossier_id
),

{%- if reread %}

reread_events as not materialized (
    select events.*
    from (
        select {{ event_columns() }}
        from {{ ref('stg_dossier_api__dossier_events') }}
    ) as events
    inner join changes on events.dossier_id = changes.dossier_id
    where changes.reread_events
),

{{ summarise_events('reread_summary', 'reread_events') }}

{%- endif %}

final as (
    select * from merged_summary
    {%- if reread %}
    union all by name
    select * from reread_summary
    {%- endif %}
)

select * from final

{%- else -%}

events as not materialized (
    select {{ event_columns() }}
    from {{ ref('stg_dossier_api__dossier_events') }}
),

{{ summarise_events('summary', 'events') }}

final as (
    select * from summary
)

select * from final

{%- endif %}
