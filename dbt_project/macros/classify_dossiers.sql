{#- The classification of METRICS.md §2 at each period's evaluation instant T. Expects CTEs named
    `dossiers` (accepted rows of int_dossier_lifecycle), `periods` (period_grain, period_start, period_end,
    is_period_closed, evaluated_at) and `calendar` (calendar_date, working_day_index) before it; emits the
    remaining CTEs and the final select. Shared by int_dossier_timeliness (every period) and
    int_dossier_status_at_as_of (T = as_of), so both classify by one definition. -#}
{% macro classify_dossiers_at_periods() -%}
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
    classified.applicant_type,
    classified.returned_at,
    classified.is_procedure_known,
    classified.online_service_level,
    classified.is_fee_bearing,
    classified.result_is_document,
    classified.fee_total,
    classified.has_fee_list,
    classified.is_paid_online,
    classified.components_total,
    classified.components_attached,
    classified.is_fully_digitised,
    classified.has_reused_component,
    classified.has_data_store_component,
    classified.has_e_result,
    classified.apology_count,
    classified.is_apology_in_time,
    classified.has_finishing_event,
    classified.is_backdated,
    classified.is_returned_before_finished,
    classified.satisfaction,
    classified.is_vneid_authenticated,
    classified.is_synced_to_national_portal,
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
{%- endmacro %}
