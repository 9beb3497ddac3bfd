-- Each accepted dossier in each period whose pool it belongs to (METRICS.md §2–3): in scope for the
-- period, received in it, or both; with its class at the period's evaluation instant T.
--
-- In scope ⇔ received_at < T and (finished within P or unfinished at T)
--          ⇔ received_at < T and (finished_at is null or finished_at >= period_start),
-- because "finished within P" is period_start <= finished_at < T and "unfinished at T" is
-- finished_at >= T, whose union is finished_at >= period_start. Received in P ⇔ period_start <=
-- received_at < T. Both pools together are received_at < T and
-- greatest(coalesce(finished_at, +inf), received_at) >= period_start: two inequalities, one per side,
-- so DuckDB plans a range join instead of a cross product (this runs on millions of dossiers).
with

dossiers as (
    select * from {{ ref('int_dossier_lifecycle') }}
    where is_accepted
),

periods as (
    select * from {{ ref('int_periods') }}
),

calendar as (
    select
        calendar_date,
        working_day_index
    from {{ ref('int_working_days') }}
),

pool as (
    select
        dossiers.*,
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.is_period_closed,
        periods.evaluated_at,
        dossiers.finished_at is null
        or dossiers.finished_at >= cast(periods.period_start as timestamp) as is_in_scope,
        dossiers.received_at >= cast(periods.period_start as timestamp) as is_received_in_period,
        coalesce(
            dossiers.finished_at >= cast(periods.period_start as timestamp)
            and dossiers.finished_at < periods.evaluated_at,
            false
        ) as is_finished_in_period,
        coalesce(dossiers.finished_at < periods.evaluated_at, false) as is_finished_at_t
    from dossiers
    inner join periods
        on
            dossiers.received_at < periods.evaluated_at
            and greatest(coalesce(dossiers.finished_at, cast('infinity' as timestamp)), dossiers.received_at)
            >= cast(periods.period_start as timestamp)
),

moments as (
    select
        *,
        -- A single supplement request still open at T: the applicant holds the dossier, so it is judged
        -- as if it had finished when the request was made.
        coalesce(
            supplement_request_count = 1
            and not is_finished_at_t
            and first_supplement_requested_at < evaluated_at
            and (first_supplement_supplied_at is null or first_supplement_supplied_at >= evaluated_at),
            false
        ) as has_open_supplement_request_at_t
    from pool
),

classified as (
    select
        *,
        -- The moment the class is judged by (and working_days_late counted to).
        case
            when not is_in_scope or due_at is null then null
            when is_finished_at_t then effective_finish
            when has_open_supplement_request_at_t and supplement_request_count = 1
                then first_supplement_requested_at
            else evaluated_at - interval 1 second
        end as classified_by_at,
        case
            when not is_in_scope then null
            when due_at is null then 'unclassified'
            when supplement_request_count > 1
                then
                    case
                        when is_finished_at_t then 'late'
                        when evaluated_at > due_at then 'pending_late'
                        else 'pending_on_time'
                    end
            when has_open_supplement_request_at_t or is_finished_at_t
                then
                    case
                        when
                            cast(
                                case
                                    when has_open_supplement_request_at_t then first_supplement_requested_at
                                    else effective_finish
                                end as date
                            ) < cast(due_at as date)
                            then 'early'
                        when
                            case
                                when has_open_supplement_request_at_t then first_supplement_requested_at
                                else effective_finish
                            end <= due_at
                            then 'on_time'
                        else 'late'
                    end
            when evaluated_at <= due_at then 'pending_on_time'
            else 'pending_late'
        end as timeliness
    from moments
)

select
    classified.dossier_id,
    classified.period_grain,
    classified.period_start,
    classified.period_end,
    classified.is_period_closed,
    classified.evaluated_at,
    classified.unit_code,
    classified.procedure_code,
    classified.channel,
    classified.status,
    classified.received_at,
    classified.due_at,
    classified.due_at_source,
    classified.finished_at,
    classified.effective_finish,
    classified.supplement_request_count,
    classified.supplement_pause,
    classified.is_in_scope,
    classified.is_received_in_period,
    classified.is_finished_in_period,
    classified.is_finished_at_t,
    classified.has_open_supplement_request_at_t,
    classified.classified_by_at,
    classified.timeliness,
    case
        when classified.timeliness in ('late', 'pending_late')
            -- Null outside the calendar's years rather than a made-up count.
            then greatest(classified_day.working_day_index - due_day.working_day_index, 0)
        when classified.timeliness is not null and classified.timeliness != 'unclassified' then 0
    end as working_days_late
from classified
left join calendar as due_day
    on cast(classified.due_at as date) = due_day.calendar_date
left join calendar as classified_day
    on cast(classified.classified_by_at as date) = classified_day.calendar_date
