-- The moment-independent facts of each dossier (METRICS.md §2), read from its latest state: whether it
-- was accepted, when it finished (rules 1–4), its finishing event, its due time and its supplement
-- pause. Everything that depends on an evaluation instant T lives in int_dossier_timeliness.
with

dossiers as (
    select * from {{ ref('stg_dossier_api__dossiers') }}
),

events as (
    select * from {{ ref('stg_dossier_api__dossier_events') }}
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
)

select
    paused.dossier_id,
    paused.unit_code,
    paused.procedure_code,
    paused.channel,
    paused.status,
    paused.is_accepted,
    paused.received_at,
    -- Hook for the procedure catalogue (a later issue): when NgayHenTra is null, due_at will be the end of
    -- the day `thoi_han_ngay_lam_viec` working days after received_at; until then such a dossier is
    -- unclassified.
    paused.due_at,
    case when paused.due_at is not null then 'dossier' end as due_at_source,
    paused.finished_at as recorded_finished_at,
    paused.returned_at,
    paused.derived_finished_at as finished_at,
    paused.supplement_request_count,
    paused.first_supplement_requested_at,
    paused.first_supplement_supplied_at,
    paused.supplement_pause,
    -- Bad data the quality gate reports: an answer recorded before its request.
    coalesce(
        paused.supplement_request_count = 1
        and least(paused.first_supplement_supplied_at, paused.derived_finished_at)
        < paused.first_supplement_requested_at,
        false
    ) as has_negative_supplement_pause,
    paused.derived_finished_at - coalesce(paused.supplement_pause, interval 0 second) as effective_finish,
    finishing_events.finishing_event_seq,
    finishing_events.finishing_event_status,
    finishing_events.finishing_event_processed_at,
    finishing_events.finishing_event_recorded_at
from paused
left join finishing_events on paused.dossier_id = finishing_events.dossier_id
