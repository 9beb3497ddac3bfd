{#- Dossier status events (int_dossier_event_summary). -#}

{#- The columns of a staged event (stg_dossier_api__dossier_events) the summary reads. -#}
{% macro event_columns() -%}
        dossier_id,
        seq,
        status,
        processed_at,
        recorded_at,
        batch_id,
        source_batch,
        source_file,
        source_row
{%- endmacro %}


{#- Aggregates over events `e` (one recording per STT): the earliest status-9 and status-10 events and
    the latest status-8 event, by ThoiDiemXuLy (an event without one comes last), ties by STT. Each is the
    min (max) of one number that orders like (ThoiDiemXuLy, STT) — its microseconds and its STT packed
    into a HUGEINT, which DuckDB aggregates several times faster than a struct — plus that event's
    ThoiDiemGhiNhan. event_extreme_columns unpacks them. -#}
{% macro event_extremes(e) -%}
    min({{ _event_key(e, 'first') }}) filter (where {{ e }}.status = 9) as first_processed_event_key,
        arg_min({{ e }}.recorded_at, {{ _event_key(e, 'first') }}) filter (where {{ e }}.status = 9)
            as first_processed_event_recorded_at,
        min({{ _event_key(e, 'first') }}) filter (where {{ e }}.status = 10) as first_returned_event_key,
        arg_min({{ e }}.recorded_at, {{ _event_key(e, 'first') }}) filter (where {{ e }}.status = 10)
            as first_returned_event_recorded_at,
        max({{ _event_key(e, 'last') }}) filter (where {{ e }}.status = 8) as last_stopped_event_key,
        arg_max({{ e }}.recorded_at, {{ _event_key(e, 'last') }}) filter (where {{ e }}.status = 8)
            as last_stopped_event_recorded_at
{%- endmacro %}


{#- (ThoiDiemXuLy, STT) as one non-negative HUGEINT: (microseconds + 2^63) * 2^32 + (STT + 2^31). A missing
    time or STT takes the end that sorts last for `first` (the largest) or `last` (the smallest). -#}
{% macro _event_key(e, which) -%}
    {%- set missing_at = '9223372036854775807' if which == 'first' else '-9223372036854775807' -%}
    {%- set missing_seq = '2147483647' if which == 'first' else '-2147483648' -%}
    (
        (cast(coalesce(epoch_us({{ e }}.processed_at), {{ missing_at }}) as hugeint) + 9223372036854775808)
        * 4294967296
        + (coalesce({{ e }}.seq, {{ missing_seq }}) + 2147483648)
    )
{%- endmacro %}


{#- The summary's columns from the keys of event_extremes (relation `s`). -#}
{% macro event_extreme_columns(s) -%}
    {%- for name, which in [('first_processed_event', 'first'), ('first_returned_event', 'first'),
        ('last_stopped_event', 'last')] %}
        {{ _event_key_seq(s ~ '.' ~ name ~ '_key', which) }} as {{ name }}_seq,
        {{ _event_key_at(s ~ '.' ~ name ~ '_key', which) }} as {{ name }}_at,
        {{ s }}.{{ name }}_recorded_at{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro _event_key_seq(key, which) -%}
    {%- set missing_seq = '2147483647' if which == 'first' else '-2147483648' -%}
    cast(nullif({{ key }} % 4294967296 - 2147483648, {{ missing_seq }}) as integer)
{%- endmacro %}


{% macro _event_key_at(key, which) -%}
    {%- set missing_at = '9223372036854775807' if which == 'first' else '-9223372036854775807' -%}
    make_timestamp(cast(nullif({{ key }} // 4294967296 - 9223372036854775808, {{ missing_at }}) as bigint))
{%- endmacro %}


{#- CTEs summarising the events of relation `events` per dossier into `<name>` (comma-terminated): one
    pass for every dossier, then the latest recording per STT for the few dossiers whose STTs repeat (or
    fall outside the 0–62 bitmask), found by a narrow pass of their own (so the wide aggregate is read
    once, never materialised twice). -#}
{% macro summarise_events(name, events) -%}
    {{ name }}__repeated as (
    select e.dossier_id
    from {{ events }} as e
    group by e.dossier_id
    having not (
        coalesce(bool_and(e.seq between 0 and 62), false)
        and bit_count(bit_or(cast(1 as bigint) << e.seq)) = count(*)
    )
),

{{ name }}__aggregated as (
    select
        e.dossier_id,
        {{ event_extremes('e') }},
        count(*) as event_count,
        max(e.seq) as max_seq,
        max(e.recorded_at) as max_recorded_at,
        min(e.source_batch) as first_source_batch,
        max(e.source_batch) as last_source_batch
    from {{ events }} as e
    where not exists (
        select 1 from {{ name }}__repeated as r where r.dossier_id is not distinct from e.dossier_id
    )
    group by e.dossier_id
),

{{ name }}__latest_recordings as (
    select e.*
    from {{ events }} as e
    inner join {{ name }}__repeated as r on e.dossier_id is not distinct from r.dossier_id
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
        select * from {{ name }}__aggregated
        union all
        select * from {{ name }}__ranked
    ) as s
),
{%- endmacro %}
