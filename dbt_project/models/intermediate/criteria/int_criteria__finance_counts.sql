-- Finance criteria per year (METRICS.md §6): PAR.6.disbursement per investor unit and PAR.8.* for the
-- province (PAR.8.new_enterprises also per district or commune the file reports). Year-to-date files are
-- read at the year's latest report month (December for a closed year; the latest month so far for the
-- running one). Amounts, not counts: the two PAR.8 ratios may exceed 1. A row exists when the year's
-- files hold a row for the unit (§3). Grain: one row per (period_grain, period_start, unit_code,
-- is_province_rollup, criterion_code).
{{ config(materialized='view') }}  -- small, read once per build: no table to write
with

years as (
    select * from {{ ref('int_periods') }}
    where period_grain = 'year'
),

revenue as (
    select *
    from {{ ref('int_budget_revenue') }}
    qualify report_month = max(report_month) over (partition by date_trunc('year', report_month))
),

investment as (
    select *
    from {{ ref('int_public_investment') }}
    qualify report_month = max(report_month) over (partition by date_trunc('year', report_month))
),

enterprises as (
    select * from {{ ref('int_enterprise_registrations') }}
),

revenue_rows as (
    select
        cast(date_trunc('year', report_month) as date) as period_start,
        null as unit_code,
        true as is_province_rollup,
        'PAR.8.enterprise_revenue_share' as criterion_code,
        'province_only' as province_rollup,
        round(
            coalesce(sum(actual_ytd) filter (where sector_code in ('DNNN_TW', 'DNNN_DP', 'FDI', 'NQD')), 0),
            6
        ) as numerator,
        round(
            coalesce(sum(actual_ytd) filter (where sector_code not in ('TIEN_SD_DAT', 'XO_SO')), 0),
            6
        ) as denominator
    from revenue
    group by all

    union all

    select
        cast(date_trunc('year', report_month) as date) as period_start,
        null as unit_code,
        true as is_province_rollup,
        'PAR.8.revenue_vs_estimate' as criterion_code,
        'province_only' as province_rollup,
        round(
            coalesce(sum(actual_ytd) filter (where sector_code not in ('TIEN_SD_DAT', 'XO_SO')), 0),
            6
        ) as numerator,
        round(
            coalesce(sum(annual_estimate) filter (where sector_code not in ('TIEN_SD_DAT', 'XO_SO')), 0),
            6
        ) as denominator
    from revenue
    group by all
),

investment_rows as (
    select
        cast(date_trunc('year', report_month) as date) as period_start,
        unit_code,
        grouping(unit_code) = 1 as is_province_rollup,
        'PAR.6.disbursement' as criterion_code,
        'sum' as province_rollup,
        round(coalesce(sum(disbursed_ytd), 0), 6) as numerator,
        round(coalesce(sum(annual_plan), 0), 6) as denominator
    from investment
    group by grouping sets ((date_trunc('year', report_month), unit_code), (date_trunc('year', report_month)))
),

enterprise_rows as (
    -- This year's months against the same months of last year (the file's rows are disjoint areas, so the
    -- province is their sum).
    select
        cast(date_trunc('year', this_year.report_month) as date) as period_start,
        this_year.unit_code,
        grouping(this_year.unit_code) = 1 as is_province_rollup,
        'PAR.8.new_enterprises' as criterion_code,
        'sum' as province_rollup,
        round(coalesce(sum(this_year.new_enterprises), 0), 6) as numerator,
        round(coalesce(sum(last_year.new_enterprises), 0), 6) as denominator
    from enterprises as this_year
    left join enterprises as last_year
        on
            this_year.unit_code = last_year.unit_code
            and last_year.report_month = cast(this_year.report_month - interval 1 year as date)
    group by grouping sets (
        (date_trunc('year', this_year.report_month), this_year.unit_code),
        (date_trunc('year', this_year.report_month))
    )
),

all_rows as (
    select * from revenue_rows
    union all
    select * from investment_rows
    union all
    select * from enterprise_rows
)

select
    years.period_grain,
    years.period_start,
    all_rows.unit_code,
    all_rows.is_province_rollup,
    all_rows.criterion_code,
    cast(all_rows.numerator as double) as numerator,
    cast(all_rows.denominator as double) as denominator,
    all_rows.province_rollup
from all_rows
inner join years on all_rows.period_start = years.period_start
