-- sqlfluff:indentation:template_blocks_indent:false
-- The dossiers this build must recompute, and how (empty when the build recomputes everything,
-- int_build_context.refresh_all). Grain: one row per dossier. Read before int_dossiers and the event
-- summary are updated (they ref this model), so "kept" below means as of the last completed build.
--   in_dossier_batch    a version of it landed in a new or replaced dossier batch
--   reread_dossier      its kept version came from a replaced or removed batch: read it again from every
--                       batch (the rerun may have dropped it, or an older version may now be the newest)
--   in_event_batch      an event of it landed in a new or replaced event batch
--   reread_events       its kept events may include one from a replaced or removed batch (the batch lies
--                       within the range of batches its kept events came from), or a new event revisits
--                       an STT already kept: aggregate its events again from every batch
--   catalogue_affected  received in or after the month of a catalogue snapshot that is new, replaced or
--                       removed: its catalogue as of receipt may differ (METRICS.md §2)
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_landing_batches') }}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('stg_dossier_api__dossiers') }}
-- depends_on: {{ ref('stg_dossier_api__dossier_events') }}
{%- set scoped = not refresh_everything() %}
{%- set kept_dossiers = previous_relation('int_dossiers') if scoped else none %}
{%- set summary = previous_relation('int_dossier_event_summary') if scoped else none %}
{%- set lifecycle = previous_relation('int_dossier_lifecycle') if scoped else none %}

with

{% if scoped -%}

in_dossier_batches as (
    select distinct dossier_id
    from {{ ref('stg_dossier_api__dossiers') }}
    where {{ in_landing_batches(landing_batch_ids('dossier_api', 'dossiers')) }}
),

new_events as (
    select
        dossier_id,
        min(seq) as first_new_seq
    from {{ ref('stg_dossier_api__dossier_events') }}
    where {{ in_landing_batches(landing_batch_ids('dossier_api', 'dossier_events')) }}
    group by dossier_id
),

reread_dossiers as (
    {%- if kept_dossiers is not none %}
    select kept_dossiers.dossier_id
    from {{ kept_dossiers }} as kept_dossiers
    inner join {{ ref('int_landing_batches') }} as gone
        on
            gone.source_name = 'dossier_api'
            and gone.dataset = 'dossiers'
            and gone.change in ('replaced', 'removed')
            and kept_dossiers.source_batch = gone.batch_id
    {%- else %}
    select cast(null as varchar) as dossier_id
    where false
    {%- endif %}
),

reread_events as (
    {%- if summary is not none %}
    select distinct summary.dossier_id
    from {{ summary }} as summary
    inner join {{ ref('int_landing_batches') }} as gone
        on
            gone.source_name = 'dossier_api'
            and gone.dataset = 'dossier_events'
            and gone.change in ('replaced', 'removed')
            and gone.batch_id between summary.first_source_batch and summary.last_source_batch
    union
    select summary.dossier_id
    from {{ summary }} as summary
    inner join new_events on summary.dossier_id = new_events.dossier_id
    where new_events.first_new_seq is null or new_events.first_new_seq <= summary.max_seq
    {%- else %}
    select cast(null as varchar) as dossier_id
    where false
    {%- endif %}
),

catalogue_affected as (
    {%- if lifecycle is not none %}
    select lifecycle.dossier_id
    from {{ lifecycle }} as lifecycle
    cross join {{ ref('int_build_context') }} as context
    where lifecycle.received_at >= context.first_changed_catalogue_month
    {%- else %}
    select cast(null as varchar) as dossier_id
    where false
    {%- endif %}
),

flagged as (
    select
        dossier_id,
        true as in_dossier_batch,
        false as reread_dossier,
        false as in_event_batch,
        false as reread_events,
        false as catalogue_affected
    from in_dossier_batches
    union all
    select
        dossier_id,
        false as in_dossier_batch,
        true as reread_dossier,
        false as in_event_batch,
        false as reread_events,
        false as catalogue_affected
    from reread_dossiers
    union all
    select
        dossier_id,
        false as in_dossier_batch,
        false as reread_dossier,
        true as in_event_batch,
        false as reread_events,
        false as catalogue_affected
    from new_events
    union all
    select
        dossier_id,
        false as in_dossier_batch,
        false as reread_dossier,
        false as in_event_batch,
        true as reread_events,
        false as catalogue_affected
    from reread_events
    union all
    select
        dossier_id,
        false as in_dossier_batch,
        false as reread_dossier,
        false as in_event_batch,
        false as reread_events,
        true as catalogue_affected
    from catalogue_affected
),

final as (
    select
        dossier_id,
        bool_or(in_dossier_batch) as in_dossier_batch,
        bool_or(reread_dossier) as reread_dossier,
        bool_or(in_event_batch) as in_event_batch,
        bool_or(reread_events) as reread_events,
        bool_or(catalogue_affected) as catalogue_affected
    from flagged
    where dossier_id is not null
    group by dossier_id
)

{%- else -%}

final as (
    select
        cast(null as varchar) as dossier_id,
        false as in_dossier_batch,
        false as reread_dossier,
        false as in_event_batch,
        false as reread_events,
        false as catalogue_affected
    where false
)

{%- endif %}

select * from final
