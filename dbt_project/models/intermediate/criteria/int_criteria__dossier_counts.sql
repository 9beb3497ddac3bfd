-- Count-based dossier criteria (METRICS.md §5–6) per unit and period, plus the province roll-up, from
-- the counts of int_dossier_period_counts. Every (unit, period) with a dossier in the pool gets every
-- criterion's row, even with a denominator of 0 (the row-existence rule of §3).
-- Grain: one row per (period_grain, period_start, unit_code, is_province_rollup, criterion_code).
{{ config(materialized='view') }}

with

counted as (
    select * from {{ ref('int_dossier_period_counts') }}
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

{{ criterion_rows('criteria') }}
-- PAR criteria are scored per year only (METRICS.md §6).
where period_grain = 'year' or criterion.code like '766.%'
