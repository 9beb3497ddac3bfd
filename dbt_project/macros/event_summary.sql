{#- Dossier status events (int_dossier_event_summary). -#}

{#- The columns of an event read from landing with lineage. -#}
{% macro event_columns() -%}
        cast(MaHoSo as varchar) as dossier_id,
        cast(STT as integer) as seq,
        cast(TrangThai as integer) as status,
        cast(ThoiDiemXuLy as timestamp) as processed_at,
        cast(ThoiDiemGhiNhan as timestamp) as recorded_at,
        cast(_batch_id as varchar) as batch_id,
        {{ landing_lineage() }}
{%- endmacro %}


{#- Aggregates over events `e` (one recording per STT): the earliest status-9 and status-10 events and
    the latest status-8 event, by ThoiDiemXuLy (an event without one comes last), ties by STT. -#}
{% macro event_extremes(e) -%}
        arg_min(
            { 'seq': {{ e }}.seq, 'processed_at': {{ e }}.processed_at, 'recorded_at': {{ e }}.recorded_at },
            { 'at': coalesce(epoch_us({{ e }}.processed_at), 9223372036854775807), 'seq': coalesce({{ e }}.seq, 2147483647) }
        ) filter (where {{ e }}.status = 9) as first_processed_event,
        arg_min(
            { 'seq': {{ e }}.seq, 'processed_at': {{ e }}.processed_at, 'recorded_at': {{ e }}.recorded_at },
            { 'at': coalesce(epoch_us({{ e }}.processed_at), 9223372036854775807), 'seq': coalesce({{ e }}.seq, 2147483647) }
        ) filter (where {{ e }}.status = 10) as first_returned_event,
        arg_max(
            { 'seq': {{ e }}.seq, 'processed_at': {{ e }}.processed_at, 'recorded_at': {{ e }}.recorded_at },
            { 'at': coalesce(epoch_us({{ e }}.processed_at), -9223372036854775807), 'seq': coalesce({{ e }}.seq, -2147483647) }
        ) filter (where {{ e }}.status = 8) as last_stopped_event
{%- endmacro %}


{#- The summary's columns from the structs of event_extremes (relation `s`). -#}
{% macro event_extreme_columns(s) -%}
        {{ s }}.first_processed_event.seq as first_processed_event_seq,
        {{ s }}.first_processed_event.processed_at as first_processed_event_at,
        {{ s }}.first_processed_event.recorded_at as first_processed_event_recorded_at,
        {{ s }}.first_returned_event.seq as first_returned_event_seq,
        {{ s }}.first_returned_event.processed_at as first_returned_event_at,
        {{ s }}.first_returned_event.recorded_at as first_returned_event_recorded_at,
        {{ s }}.last_stopped_event.seq as last_stopped_event_seq,
        {{ s }}.last_stopped_event.processed_at as last_stopped_event_at,
        {{ s }}.last_stopped_event.recorded_at as last_stopped_event_recorded_at
{%- endmacro %}


{#- CTEs summarising the events of relation `events` per dossier into `<name>` (comma-terminated): one
    pass for every dossier, then the latest recording per STT for the dossiers whose STTs repeat (or
    fall outside the 0–62 bitmask). -#}
{% macro summarise_events(name, events) -%}
{{ name }}__aggregated as (
    select
        e.dossier_id,
        {{ event_extremes('e') }},
        count(*) as event_count,
        max(e.seq) as max_seq,
        max(e.recorded_at) as max_recorded_at,
        min(e.source_batch) as first_source_batch,
        max(e.source_batch) as last_source_batch,
        coalesce(bool_and(e.seq between 0 and 62), false)
        and bit_count(bit_or(cast(1 as bigint) << e.seq)) = count(*) as has_distinct_seqs
    from {{ events }} as e
    group by e.dossier_id
),

{{ name }}__latest_recordings as (
    select e.*
    from {{ events }} as e
    inner join {{ name }}__aggregated as a on e.dossier_id is not distinct from a.dossier_id
    where not a.has_distinct_seqs
    qualify row_number() over (
            partition by e.dossier_id, e.seq
            order by {{ latest_version_order('e.recorded_at', 'e.batch_id') }}
        ) = 1
),

{{ name }}__ranked as (
    select
        e.dossier_id,
        {{ event_extremes('e') }},
        count(*) as event_count,
        max(e.seq) as max_seq,
        max(e.recorded_at) as max_recorded_at,
        min(e.source_batch) as first_source_batch,
        max(e.source_batch) as last_source_batch
    from {{ name }}__latest_recordings as e
    group by e.dossier_id
),

{{ name }} as (
    select
        s.dossier_id,
        {{ event_extreme_columns('s') }},
        s.event_count,
        s.max_seq,
        s.max_recorded_at,
        s.first_source_batch,
        s.last_source_batch
    from (
        select * exclude (has_distinct_seqs) from {{ name }}__aggregated where has_distinct_seqs
        union all by name
        select * from {{ name }}__ranked
    ) as s
),
{%- endmacro %}
