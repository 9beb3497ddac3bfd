-- sqlfluff:indentation:template_blocks_indent:false
-- What each unit did with each procedure, by receiving month (METRICS.md §5, the procedure-based
-- criteria): a row for every (month, unit, procedure) with an accepted dossier received in the month, and
-- flags over those received before the month's T (every dossier of a closed month; before as_of in the
-- running one). A quarter or a year is the union of its months (their T-bounded receipts tile it), so
-- int_criteria__procedure_counts rolls these up instead of reading every dossier again.
-- Grain: one row per (month_start, unit_code, procedure_code).
--
-- Incremental by month: a build recomputes the months of int_periods_to_refresh.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='month_start',
        scope_model='int_periods_to_refresh',
        scope_key='period_start',
        scope_where="period_grain = 'month'",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_periods_to_refresh') }}

with

months as (
    select
        all_months.period_start,
        all_months.evaluated_at
    from {{ ref('int_periods') }} as all_months
    {%- if is_scoped_increment() %}
    inner join {{ ref('int_periods_to_refresh') }} as refreshed
        on
            all_months.period_grain = refreshed.period_grain
            and all_months.period_start = refreshed.period_start
    {%- endif %}
    where all_months.period_grain = 'month'
),

dossiers as (
    select
        unit_code,
        procedure_code,
        received_at,
        channel,
        has_fee_list,
        is_paid_online,
        applicant_type,
        is_vneid_authenticated
    from {{ ref('int_dossier_lifecycle') }}
    where is_accepted
),

flagged as (
    select
        months.period_start as month_start,
        dossiers.unit_code,
        dossiers.procedure_code,
        dossiers.received_at < months.evaluated_at as is_received_before_t,
        dossiers.channel,
        dossiers.has_fee_list,
        dossiers.is_paid_online,
        dossiers.applicant_type,
        dossiers.is_vneid_authenticated
    from dossiers
    inner join months on cast(date_trunc('month', dossiers.received_at) as date) = months.period_start
)

select
    month_start,
    unit_code,
    procedure_code,
    bool_or(is_received_before_t) as any_received_before_t,
    coalesce(bool_or(channel = 2) filter (where is_received_before_t), false) as any_online,
    coalesce(bool_or(has_fee_list) filter (where is_received_before_t), false) as any_fee_list,
    coalesce(bool_or(is_paid_online) filter (where is_received_before_t), false) as any_paid_online,
    coalesce(bool_or(applicant_type = 1) filter (where is_received_before_t), false) as any_citizen,
    coalesce(bool_or(applicant_type = 1 and is_vneid_authenticated) filter (where is_received_before_t), false)
        as any_citizen_vneid
from flagged
group by month_start, unit_code, procedure_code
