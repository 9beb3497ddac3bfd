{#- The classification of METRICS.md §2 at a period's evaluation instant T, in one place. The expression
    macros below read the columns of int_dossier_lifecycle (unqualified, or qualified by `d`) and a period
    (`p`: period_start, evaluated_at); they are shared by the per-dossier views (int_dossier_timeliness,
    int_dossier_status_at_as_of, through classify_dossiers_at_periods) and by the period counts
    (int_dossier_period_counts), so every number is classified by one definition.

    In scope for P ⇔ received_at < T and (finished_at is null or finished_at >= period_start), because
    "finished within P" is period_start <= finished_at < T and "unfinished at T" is finished_at >= T,
    whose union is finished_at >= period_start. Received in P ⇔ period_start <= received_at < T. Both
    pools together are received_at < T and greatest(coalesce(finished_at, +inf), received_at) >=
    period_start: two inequalities, one per side, so DuckDB plans a range join (or, against a handful of
    periods, a nested loop) instead of a cross product. -#}

{% macro dossier_in_pool(d, p) -%}
    (
        {{ d }}.received_at < {{ p }}.evaluated_at
        and greatest(coalesce({{ d }}.finished_at, cast('infinity' as timestamp)), {{ d }}.received_at)
        >= cast({{ p }}.period_start as timestamp)
    )
{%- endmacro %}


{% macro is_in_scope(d, p) -%}
    ({{ d }}.finished_at is null or {{ d }}.finished_at >= cast({{ p }}.period_start as timestamp))
{%- endmacro %}


{% macro is_received_in_period(d, p) -%}
    ({{ d }}.received_at >= cast({{ p }}.period_start as timestamp))
{%- endmacro %}


{% macro is_finished_in_period(d, p) -%}
    coalesce(
        {{ d }}.finished_at >= cast({{ p }}.period_start as timestamp) and {{ d }}.finished_at < {{ p }}.evaluated_at,
        false
    )
{%- endmacro %}


{% macro is_finished_at_t(d, p) -%}
    coalesce({{ d }}.finished_at < {{ p }}.evaluated_at, false)
{%- endmacro %}


{#- A single supplement request still open at T: the applicant holds the dossier, so it is judged as if
    it had finished when the request was made. -#}
{% macro has_open_supplement_request_at_t(d, p) -%}
    coalesce(
        {{ d }}.supplement_request_count = 1
        and not {{ is_finished_at_t(d, p) }}
        and {{ d }}.first_supplement_requested_at < {{ p }}.evaluated_at
        and (
            {{ d }}.first_supplement_supplied_at is null
            or {{ d }}.first_supplement_supplied_at >= {{ p }}.evaluated_at
        ),
        false
    )
{%- endmacro %}


{#- The moment the class is judged by (and working_days_late counted to). -#}
{% macro classified_by_at(d, p) -%}
    case
        when not {{ is_in_scope(d, p) }} or {{ d }}.due_at is null then null
        when {{ is_finished_at_t(d, p) }} then {{ d }}.effective_finish
        when {{ has_open_supplement_request_at_t(d, p) }} then {{ d }}.first_supplement_requested_at
        else {{ p }}.evaluated_at - interval 1 second
    end
{%- endmacro %}


{#- early, on_time, late, pending_on_time, pending_late; 'unclassified' without a due time; null when
    the dossier is not in scope (only received in the period). -#}
{% macro timeliness_at_t(d, p) -%}
    case
        when not {{ is_in_scope(d, p) }} then null
        when {{ d }}.due_at is null then 'unclassified'
        when {{ d }}.supplement_request_count > 1
            then
                case
                    when {{ is_finished_at_t(d, p) }} then 'late'
                    when {{ p }}.evaluated_at > {{ d }}.due_at then 'pending_late'
                    else 'pending_on_time'
                end
        when {{ has_open_supplement_request_at_t(d, p) }}
            then
                case
                    when cast({{ d }}.first_supplement_requested_at as date) < cast({{ d }}.due_at as date) then 'early'
                    when {{ d }}.first_supplement_requested_at <= {{ d }}.due_at then 'on_time'
                    else 'late'
                end
        when {{ is_finished_at_t(d, p) }}
            then
                case
                    when cast({{ d }}.effective_finish as date) < cast({{ d }}.due_at as date) then 'early'
                    when {{ d }}.effective_finish <= {{ d }}.due_at then 'on_time'
                    else 'late'
                end
        when {{ p }}.evaluated_at <= {{ d }}.due_at then 'pending_on_time'
        else 'pending_late'
    end
{%- endmacro %}


{#- Each dossier of CTE `dossiers` (accepted rows of int_dossier_lifecycle) in each period of CTE
    `periods` (period_grain, period_start, period_end, is_period_closed, evaluated_at) whose pool it
    belongs to, classified at the period's T, with working_days_late from CTE `calendar` (calendar_date,
    working_day_index). Emits two CTEs, the last named `dossier_periods` (no trailing comma). -#}
{% macro classify_dossiers_at_periods() -%}
classified as (
    select
        d.*,
        p.period_grain,
        p.period_start,
        p.period_end,
        p.is_period_closed,
        p.evaluated_at,
        {{ is_in_scope('d', 'p') }} as is_in_scope,
        {{ is_received_in_period('d', 'p') }} as is_received_in_period,
        {{ is_finished_in_period('d', 'p') }} as is_finished_in_period,
        {{ is_finished_at_t('d', 'p') }} as is_finished_at_t,
        {{ has_open_supplement_request_at_t('d', 'p') }} as has_open_supplement_request_at_t,
        {{ classified_by_at('d', 'p') }} as classified_by_at,
        {{ timeliness_at_t('d', 'p') }} as timeliness
    from dossiers as d
    inner join periods as p on {{ dossier_in_pool('d', 'p') }}
),

dossier_periods as (
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
    {{ working_days_late('classified') }} as working_days_late
from classified
left join calendar as due_day
    on cast(classified.due_at as date) = due_day.calendar_date
left join calendar as classified_day
    on cast(classified.classified_by_at as date) = classified_day.calendar_date
)
{%- endmacro %}


{#- For late and pending_late: working days after the date of due_at up to and including the date of
    classified_by_at, never below 0; 0 for the other classes; null outside the calendar's years (rather
    than a made-up count). Needs the calendar joined as `due_day` and `classified_day`. -#}
{% macro working_days_late(c) -%}
    case
        when {{ c }}.timeliness in ('late', 'pending_late')
            then greatest(classified_day.working_day_index - due_day.working_day_index, 0)
        when {{ c }}.timeliness is not null and {{ c }}.timeliness != 'unclassified' then 0
    end
{%- endmacro %}
