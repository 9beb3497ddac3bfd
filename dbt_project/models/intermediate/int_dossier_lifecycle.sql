-- sqlfluff:indentation:template_blocks_indent:false
-- The moment-independent facts of each dossier (METRICS.md §2), read from its latest state: whether it
-- was accepted, when it finished (rules 1–4), its finishing event, its due time and its supplement
-- pause, the catalogue attributes as of its receiving month, and the per-dossier facts the criteria
-- count. Everything that depends on an evaluation instant T is classified later (classify_dossiers.sql).
--
-- Incremental: a build recomputes the dossiers of int_dossier_changes (a new version or new events, or
-- a catalogue snapshot that changes what its receiving month reads) and keeps the rest.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='dossier_id',
        scope_model='int_dossier_changes',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_dossier_changes') }}
-- depends_on: {{ ref('int_dossier_lifecycle_previous') }}
{%- set scoped = is_scoped_increment() %}

with

{%- set changed = 'select dossier_id from ' ~ ref('int_dossier_changes') %}

dossiers as (
    {%- if scoped %}
    select * from {{ rows_with_keys(ref('int_dossiers'), 'k.dossier_id', changed) }}
    {%- else %}
    select * from {{ ref('int_dossiers') }}
    {%- endif %}
),

events as (
    {%- if scoped %}
    select * from {{ rows_with_keys(ref('int_dossier_event_summary'), 'k.dossier_id', changed) }}
    {%- else %}
    select * from {{ ref('int_dossier_event_summary') }}
    {%- endif %}
),

catalogue as (
    select * from {{ ref('int_procedure_catalogue_as_of') }}
),

calendar as (
    select
        calendar_date,
        is_working_day,
        working_day_index
    from {{ ref('int_working_days') }}
),

finished as (
    select
        dossiers.*,
        events.first_processed_event_at,
        events.first_returned_event_at,
        events.last_stopped_event_at,
        -- The finishing event: the earliest 9, else the earliest 10, else the latest 8 (by ThoiDiemXuLy,
        -- ties by STT; int_dossier_event_summary).
        coalesce(events.first_processed_event_seq, events.first_returned_event_seq, events.last_stopped_event_seq)
            as finishing_event_seq,
        case
            when events.first_processed_event_seq is not null then 9
            when events.first_returned_event_seq is not null then 10
            when events.last_stopped_event_seq is not null then 8
        end as finishing_event_status,
        case
            when events.first_processed_event_seq is not null then events.first_processed_event_at
            when events.first_returned_event_seq is not null then events.first_returned_event_at
            else events.last_stopped_event_at
        end as finishing_event_processed_at,
        case
            when events.first_processed_event_seq is not null then events.first_processed_event_recorded_at
            when events.first_returned_event_seq is not null then events.first_returned_event_recorded_at
            else events.last_stopped_event_recorded_at
        end as finishing_event_recorded_at,
        coalesce(dossiers.status not in (1, 3, 7) and dossiers.received_at is not null, false) as is_accepted,
        case
            -- The recorded finish time wins over a status that disagrees.
            when dossiers.finished_at is not null then dossiers.finished_at
            when dossiers.status in (9, 10)
                then coalesce(
                        events.first_processed_event_at,
                        dossiers.returned_at,
                        events.first_returned_event_at
                    )
            when dossiers.status = 8 then events.last_stopped_event_at
        end as derived_finished_at
    from dossiers
    left join events on dossiers.dossier_id = events.dossier_id
),

paused as (
    select
        *,
        -- Only one closed request pauses the clock; a pause never applies to an unfinished dossier.
        -- A negative pause is bad data and counts as 0 (a warning: tests/dossiers_with_negative_supplement_pause).
        case
            when
                supplement_request_count = 1
                and first_supplement_requested_at is not null
                and first_supplement_supplied_at is not null
                and derived_finished_at is not null
                then greatest(
                        least(first_supplement_supplied_at, derived_finished_at) - first_supplement_requested_at,
                        interval 0 second
                    )
        end as supplement_pause
    from finished
),

receiving_months as (
    select distinct date_trunc('month', received_at) as received_month
    from {{ ref('int_dossiers') }}
),

snapshot_ranges as (
    select distinct
        snapshot_month,
        applies_from_month,
        applies_to_month
    from catalogue
),

snapshot_of_month as (
    -- Which catalogue snapshot each receiving month reads: a handful of months against a handful of
    -- snapshots, so the dossiers join the catalogue on equality.
    select
        receiving_months.received_month,
        snapshot_ranges.snapshot_month
    from receiving_months
    inner join snapshot_ranges
        on
            receiving_months.received_month >= snapshot_ranges.applies_from_month
            and receiving_months.received_month < snapshot_ranges.applies_to_month
),

with_catalogue as (
    select
        paused.*,
        catalogue.procedure_code is not null as is_procedure_known,
        catalogue.time_limit_working_days,
        catalogue.online_service_level,
        catalogue.is_fee_bearing,
        catalogue.result_is_document
    from paused
    -- The catalogue as of the dossier: the newest snapshot exported in or before its receiving month.
    left join snapshot_of_month on date_trunc('month', paused.received_at) = snapshot_of_month.received_month
    left join catalogue
        on
            paused.procedure_code = catalogue.procedure_code
            and snapshot_of_month.snapshot_month = catalogue.snapshot_month
),

with_due as (
    select
        with_catalogue.*,
        -- NgayHenTra, else the end of the day `time_limit` working days after the receiving date (that day
        -- not counted). An unknown procedure or a null/0 limit leaves due_at null: unclassified.
        coalesce(
            with_catalogue.due_at,
            cast(limit_day.calendar_date as timestamp) + interval 86399 second
        ) as resolved_due_at,
        case
            when with_catalogue.due_at is not null then 'dossier'
            when limit_day.calendar_date is not null then 'catalogue'
        end as due_at_source
    from with_catalogue
    left join calendar as received_day
        on
            with_catalogue.due_at is null
            and cast(with_catalogue.received_at as date) = received_day.calendar_date
    left join calendar as limit_day
        on
            limit_day.is_working_day
            and with_catalogue.time_limit_working_days > 0
            and limit_day.working_day_index = received_day.working_day_index + with_catalogue.time_limit_working_days
)

select
    with_due.dossier_id,
    with_due.unit_code,
    with_due.procedure_code,
    with_due.channel,
    with_due.applicant_type,
    with_due.applicant_key,
    with_due.status,
    with_due.is_accepted,
    with_due.received_at,
    with_due.resolved_due_at as due_at,
    with_due.due_at_source,
    with_due.finished_at as recorded_finished_at,
    with_due.returned_at,
    with_due.derived_finished_at as finished_at,
    with_due.supplement_request_count,
    with_due.first_supplement_requested_at,
    with_due.first_supplement_supplied_at,
    with_due.supplement_pause,
    -- Bad data reported as a warning (a dbt test of severity warn): an answer recorded before its request.
    coalesce(
        with_due.supplement_request_count = 1
        and least(with_due.first_supplement_supplied_at, with_due.derived_finished_at)
        < with_due.first_supplement_requested_at,
        false
    ) as has_negative_supplement_pause,
    -- Bad data reported as a warning (a dbt test of severity warn): a request without its time (it counts).
    with_due.supplement_requests_without_time > 0 as has_supplement_request_without_time,
    with_due.derived_finished_at - coalesce(with_due.supplement_pause, interval 0 second) as effective_finish,
    with_due.finishing_event_seq,
    with_due.finishing_event_status,
    with_due.finishing_event_processed_at,
    with_due.finishing_event_recorded_at,
    with_due.finishing_event_seq is not null as has_finishing_event,
    -- Backdated: the officer dated the finish on or before the due time, but recorded it after it.
    coalesce(
        with_due.finishing_event_processed_at <= with_due.resolved_due_at
        and with_due.resolved_due_at < with_due.finishing_event_recorded_at,
        false
    ) as is_backdated,
    coalesce(with_due.returned_at < with_due.derived_finished_at, false) as is_returned_before_finished,
    with_due.is_procedure_known,
    with_due.time_limit_working_days,
    with_due.online_service_level,
    with_due.is_fee_bearing,
    with_due.result_is_document,
    with_due.fee_total,
    with_due.fee_count > 0 as has_fee_list,
    coalesce(with_due.paid_online in (1, 2), false) as is_paid_online,
    with_due.components_total,
    with_due.components_attached,
    -- "Every component is …" is false for a dossier without components (METRICS.md §2).
    with_due.components_total > 0 and with_due.components_digitised = with_due.components_total as is_fully_digitised,
    with_due.components_reused > 0 as has_reused_component,
    with_due.components_from_data_store > 0 as has_data_store_component,
    with_due.results_with_link > 0 as has_e_result,
    with_due.apology_count,
    with_due.first_apologised_at,
    -- The first apology is in time when dated on or before the last working day strictly before the date
    -- of due_at: the working day whose index is index(due date) minus one if the due date is itself one.
    coalesce(cast(with_due.first_apologised_at as date) <= apology_deadline_day.calendar_date, false)
        as is_apology_in_time,
    with_due.satisfaction,
    coalesce(with_due.vneid_authenticated = 1, false) as is_vneid_authenticated,
    with_due.synced_to_national_portal_at is not null as is_synced_to_national_portal,
    with_due.updated_at
from with_due
left join calendar as due_day on cast(with_due.resolved_due_at as date) = due_day.calendar_date
left join calendar as apology_deadline_day
    on
        apology_deadline_day.is_working_day
        and apology_deadline_day.working_day_index
        = due_day.working_day_index - case when due_day.is_working_day then 1 else 0 end
