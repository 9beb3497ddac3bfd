-- The moment-independent facts of each dossier (METRICS.md §2), read from its latest state: whether it
-- was accepted, when it finished (rules 1–4), its finishing event, its due time and its supplement
-- pause, the catalogue attributes as of its receiving month, and the per-dossier facts the criteria
-- count. Everything that depends on an evaluation instant T lives in int_dossier_timeliness.
with

dossiers as (
    select * from {{ ref('stg_dossier_api__dossiers') }}
),

events as (
    select * from {{ ref('stg_dossier_api__dossier_events') }}
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

event_times as (
    -- The earliest event's ThoiDiemXuLy is just the minimum (ties by STT pick the same instant).
    select
        dossier_id,
        min(processed_at) filter (where status = 9) as first_processed_event_at,
        min(processed_at) filter (where status = 10) as first_returned_event_at,
        max(processed_at) filter (where status = 8) as last_stopped_event_at
    from events
    group by dossier_id
),

finishing_events as (
    -- The earliest 9, else the earliest 10, else the latest 8; "earliest"/"latest" by ThoiDiemXuLy,
    -- ties by STT.
    select
        dossier_id,
        seq as finishing_event_seq,
        status as finishing_event_status,
        processed_at as finishing_event_processed_at,
        recorded_at as finishing_event_recorded_at
    from events
    where status in (8, 9, 10)
    qualify row_number() over (
            partition by dossier_id
            order by
                case status when 9 then 1 when 10 then 2 else 3 end,
                case when status = 8 then -epoch(processed_at) else epoch(processed_at) end nulls last,
                case when status = 8 then -seq else seq end
        ) = 1
),

finished as (
    select
        dossiers.*,
        event_times.first_processed_event_at,
        event_times.first_returned_event_at,
        event_times.last_stopped_event_at,
        coalesce(dossiers.status not in (1, 3, 7) and dossiers.received_at is not null, false) as is_accepted,
        case
            -- The recorded finish time wins over a status that disagrees.
            when dossiers.finished_at is not null then dossiers.finished_at
            when dossiers.status in (9, 10)
                then coalesce(
                        event_times.first_processed_event_at,
                        dossiers.returned_at,
                        event_times.first_returned_event_at
                    )
            when dossiers.status = 8 then event_times.last_stopped_event_at
        end as derived_finished_at,
        len(coalesce(dossiers.supplement_requests, [])) as supplement_request_count,
        dossiers.supplement_requests[1].requested_at as first_supplement_requested_at,
        dossiers.supplement_requests[1].supplied_at as first_supplement_supplied_at
    from dossiers
    left join event_times on dossiers.dossier_id = event_times.dossier_id
),

paused as (
    select
        *,
        -- Only one closed request pauses the clock; a pause never applies to an unfinished dossier.
        -- A negative pause is bad data and counts as 0 (reported by the quality gate).
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
    left join catalogue
        on
            paused.procedure_code = catalogue.procedure_code
            and date_trunc('month', paused.received_at) >= catalogue.applies_from_month
            and date_trunc('month', paused.received_at) < catalogue.applies_to_month
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
),

apology_deadline as (
    -- The first apology is in time when dated on or before the last working day strictly before the date
    -- of due_at: the working day whose index is index(due date) minus one if the due date is itself one.
    select
        with_due.dossier_id,
        deadline_day.calendar_date as apology_deadline_on
    from with_due
    inner join calendar as due_day on cast(with_due.resolved_due_at as date) = due_day.calendar_date
    inner join calendar as deadline_day
        on
            deadline_day.is_working_day
            and deadline_day.working_day_index
            = due_day.working_day_index - case when due_day.is_working_day then 1 else 0 end
)

-- Lambda parameters (s, f, c, r, a) are not tables.
-- noqa: disable=RF01
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
    -- Bad data the quality gate reports: an answer recorded before its request.
    coalesce(
        with_due.supplement_request_count = 1
        and least(with_due.first_supplement_supplied_at, with_due.derived_finished_at)
        < with_due.first_supplement_requested_at,
        false
    ) as has_negative_supplement_pause,
    -- Bad data the quality gate reports: a request without its request time (it still counts).
    len(list_filter(coalesce(with_due.supplement_requests, []), lambda s: s.requested_at is null))
    > 0 as has_supplement_request_without_time,
    with_due.derived_finished_at - coalesce(with_due.supplement_pause, interval 0 second) as effective_finish,
    finishing_events.finishing_event_seq,
    finishing_events.finishing_event_status,
    finishing_events.finishing_event_processed_at,
    finishing_events.finishing_event_recorded_at,
    finishing_events.finishing_event_seq is not null as has_finishing_event,
    -- Backdated: the officer dated the finish on or before the due time, but recorded it after it.
    coalesce(
        finishing_events.finishing_event_processed_at <= with_due.resolved_due_at
        and with_due.resolved_due_at < finishing_events.finishing_event_recorded_at,
        false
    ) as is_backdated,
    coalesce(with_due.returned_at < with_due.derived_finished_at, false) as is_returned_before_finished,
    with_due.is_procedure_known,
    with_due.time_limit_working_days,
    with_due.online_service_level,
    with_due.is_fee_bearing,
    with_due.result_is_document,
    coalesce(list_sum(list_transform(with_due.fees, lambda f: coalesce(f.amount, 0.0))), 0.0) as fee_total,
    len(coalesce(with_due.fees, [])) > 0 as has_fee_list,
    coalesce(with_due.paid_online in (1, 2), false) as is_paid_online,
    len(coalesce(with_due.components, [])) as components_total,
    len(
        list_filter(coalesce(with_due.components, []), lambda c: coalesce(trim(c.file_link), '') != '')
    ) as components_attached,
    -- "Every component is …" is false for a dossier without components (METRICS.md §2).
    len(coalesce(with_due.components, [])) > 0
    and len(
        list_filter(
            with_due.components,
            lambda c: not coalesce(c.digitised = 1 or c.reused = 1 or c.from_data_store = 1, false)
        )
    ) = 0 as is_fully_digitised,
    len(list_filter(coalesce(with_due.components, []), lambda c: coalesce(c.reused = 1, false)))
    > 0 as has_reused_component,
    len(list_filter(coalesce(with_due.components, []), lambda c: coalesce(c.from_data_store = 1, false)))
    > 0 as has_data_store_component,
    len(list_filter(coalesce(with_due.results, []), lambda r: coalesce(trim(r.file_link), '') != ''))
    > 0 as has_e_result,
    len(coalesce(with_due.apologies, [])) as apology_count,
    list_min(list_transform(with_due.apologies, lambda a: a.apologised_at)) as first_apologised_at,
    coalesce(
        cast(list_min(list_transform(with_due.apologies, lambda a: a.apologised_at)) as date)
        <= apology_deadline.apology_deadline_on,
        false
    ) as is_apology_in_time,
    with_due.satisfaction,
    coalesce(with_due.vneid_authenticated = 1, false) as is_vneid_authenticated,
    with_due.synced_to_national_portal_at is not null as is_synced_to_national_portal
from with_due
left join finishing_events on with_due.dossier_id = finishing_events.dossier_id
left join apology_deadline on with_due.dossier_id = apology_deadline.dossier_id
