-- sqlfluff:indentation:template_blocks_indent:false
-- The counts behind every dossier-based criterion (METRICS.md §5–6), per unit and period, plus the
-- province roll-up (every dossier of the province, whatever its unit code) from the same scan through
-- grouping sets: the province's numerators and denominators are sums by construction. A (unit, period)
-- row exists exactly when the unit has a dossier in the period's pool (in scope or received), the
-- row-existence rule of §3. Each accepted dossier is classified at the period's T by the macros of
-- classify_dossiers.sql. Grain: one row per (period_grain, period_start, unit_code, is_province_rollup).
--
-- Incremental by period: a build recomputes the periods of int_periods_to_refresh (those whose pool or
-- classes this build's changes touch, and those evaluated at as_of) from every dossier in their pools,
-- and keeps the others.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key=['period_grain', 'period_start'],
        scope_model='int_periods_to_refresh',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_periods_to_refresh') }}

with

periods as (
    select all_periods.*
    from {{ ref('int_periods') }} as all_periods
    {%- if is_scoped_increment() %}
    inner join {{ ref('int_periods_to_refresh') }} as refreshed
        on
            all_periods.period_grain = refreshed.period_grain
            and all_periods.period_start = refreshed.period_start
    {%- endif %}
),

dossiers as (
    select
        unit_code,
        received_at,
        finished_at,
        due_at,
        effective_finish,
        status,
        channel,
        supplement_request_count,
        first_supplement_requested_at,
        first_supplement_supplied_at,
        is_synced_to_national_portal,
        is_apology_in_time,
        satisfaction,
        is_vneid_authenticated,
        fee_total,
        is_paid_online,
        result_is_document,
        has_e_result,
        is_fully_digitised,
        has_reused_component,
        has_data_store_component,
        components_total,
        components_attached,
        has_finishing_event,
        is_backdated
    from {{ ref('int_dossier_lifecycle') }}
    where is_accepted
),

classified as (
    select
        p.period_grain,
        p.period_start,
        d.unit_code,
        d.status,
        d.channel,
        d.is_synced_to_national_portal,
        d.is_apology_in_time,
        d.satisfaction,
        d.is_vneid_authenticated,
        d.fee_total,
        d.is_paid_online,
        d.result_is_document,
        d.has_e_result,
        d.is_fully_digitised,
        d.has_reused_component,
        d.has_data_store_component,
        d.components_total,
        d.components_attached,
        d.has_finishing_event,
        d.is_backdated,
        {{ is_received_in_period('d', 'p') }} as is_received_in_period,
        {{ is_finished_in_period('d', 'p') }} as is_finished_in_period,
        {{ timeliness_at_t('d', 'p') }} as timeliness
    from dossiers as d
    inner join periods as p on {{ dossier_in_pool('d', 'p') }}
)

select
    period_grain,
    period_start,
    unit_code,
    grouping(unit_code) = 1 as is_province_rollup,
    count(*) as pool,
    count(*) filter (where is_received_in_period) as received,
    count(*) filter (where is_received_in_period and is_synced_to_national_portal) as received_synced,
    count(*) filter (where timeliness in ('early', 'on_time', 'pending_on_time')) as within_deadline,
    count(*) filter (
        where timeliness in ('early', 'on_time', 'pending_on_time', 'late', 'pending_late')
    ) as classified,
    count(*) filter (where timeliness in ('late', 'pending_late')) as late_or_pending_late,
    count(*) filter (where timeliness in ('late', 'pending_late') and is_apology_in_time) as late_apologised,
    count(*) filter (
        where
        timeliness in ('early', 'on_time', 'pending_on_time')
        and satisfaction is distinct from 3
    ) as satisfied_classified,
    count(*) filter (where is_received_in_period and channel = 2) as received_online,
    count(*) filter (where is_received_in_period and channel = 2 and is_vneid_authenticated) as received_online_vneid,
    count(*) filter (where is_received_in_period and fee_total > 0) as received_with_fee,
    count(*) filter (where is_received_in_period and fee_total > 0 and is_paid_online) as received_paid_online,
    count(*) filter (where is_finished_in_period and status != 8 and result_is_document) as finished_document_result,
    count(*) filter (
        where is_finished_in_period and status != 8 and result_is_document and has_e_result
    ) as finished_e_result,
    count(*) filter (where is_received_in_period and is_fully_digitised) as received_digitised,
    count(*) filter (where is_received_in_period and has_reused_component) as received_reused,
    count(*) filter (where is_received_in_period and has_data_store_component) as received_data_store,
    count(*) filter (
        where is_received_in_period and components_total > 0 and components_attached = components_total
    ) as received_all_attached,
    -- Backdating needs a due time: unclassified dossiers stay out (METRICS.md §2).
    count(*) filter (
        where is_finished_in_period and has_finishing_event and timeliness != 'unclassified'
    ) as finished_with_event,
    count(*) filter (
        where is_finished_in_period and has_finishing_event and timeliness != 'unclassified' and is_backdated
    ) as finished_backdated
from classified
group by grouping sets ((period_grain, period_start, unit_code), (period_grain, period_start))
