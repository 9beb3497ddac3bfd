-- Count-based dossier criteria (METRICS.md §5–6) per unit and period, plus the province roll-up (every
-- dossier of the province, whatever its unit code) from the same scan through grouping sets: the
-- province's numerators and denominators are sums by construction. A (unit, period) group exists
-- exactly when the unit has a dossier in the period's pool (in scope or received), which is the
-- row-existence rule of §3, so every criterion gets its row even with a denominator of 0.
-- Grain: one row per (period_grain, period_start, unit_code, is_province_rollup, criterion_code).
with

timeliness as (
    select * from {{ ref('int_dossier_timeliness') }}
),

counted as (
    select
        period_grain,
        period_start,
        unit_code,
        grouping(unit_code) = 1 as is_province_rollup,
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
        count(*) filter (
            where is_received_in_period and channel = 2 and is_vneid_authenticated
        ) as received_online_vneid,
        count(*) filter (where is_received_in_period and fee_total > 0) as received_with_fee,
        count(*) filter (where is_received_in_period and fee_total > 0 and is_paid_online) as received_paid_online,
        count(*) filter (
            where is_finished_in_period and status != 8 and result_is_document
        ) as finished_document_result,
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
    from timeliness
    group by grouping sets ((period_grain, period_start, unit_code), (period_grain, period_start))
),

criteria as (
    select
        counted.period_grain,
        counted.period_start,
        counted.unit_code,
        counted.is_province_rollup,
        unnest(
            [
                { 'code': '766.1.4', 'numerator': received_synced, 'denominator': received },
                { 'code': '766.2.1', 'numerator': within_deadline, 'denominator': classified },
                { 'code': '766.3.3', 'numerator': received_online, 'denominator': received },
                { 'code': '766.4.3', 'numerator': received_paid_online, 'denominator': received_with_fee },
                { 'code': '766.5.1', 'numerator': finished_e_result, 'denominator': finished_document_result },
                { 'code': '766.5.2', 'numerator': received_digitised, 'denominator': received },
                { 'code': '766.5.4', 'numerator': received_reused, 'denominator': received },
                { 'code': '766.5.5', 'numerator': received_data_store, 'denominator': received },
                { 'code': '766.5.7', 'numerator': received_online_vneid, 'denominator': received_online },
                { 'code': '766.6.3', 'numerator': satisfied_classified, 'denominator': classified },
                { 'code': 'PAR.3.ontime', 'numerator': within_deadline, 'denominator': classified },
                { 'code': 'PAR.3.apology', 'numerator': late_apologised, 'denominator': late_or_pending_late },
                { 'code': 'PAR.3.online_payment', 'numerator': received_paid_online, 'denominator': received_with_fee },
                { 'code': 'PAR.3.online_dossiers', 'numerator': received_online, 'denominator': received },
                { 'code': 'PAR.3.digitisation', 'numerator': received_digitised, 'denominator': received },
                { 'code': 'PAR.3.components_attached', 'numerator': received_all_attached, 'denominator': received },
                { 'code': 'PAR.3.backdated', 'numerator': finished_backdated, 'denominator': finished_with_event }
            ]
        ) as criterion
    from counted
)

select
    period_grain,
    period_start,
    unit_code,
    is_province_rollup,
    criterion.code as criterion_code,
    cast(criterion.numerator as double) as numerator,
    cast(criterion.denominator as double) as denominator
from criteria
-- PAR criteria are scored per year only (METRICS.md §6).
where period_grain = 'year' or criterion.code like '766.%'
