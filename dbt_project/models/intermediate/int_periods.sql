-- Every month, quarter and year from the first month any source reports on up to the period that
-- contains as_of, with the evaluation instant T of METRICS.md §2: the first instant after a closed
-- period, as_of for the running one.
with

as_of as (
    select as_of from {{ ref('int_as_of') }}
),

first_month as (
    -- The first month any criterion can see: a received dossier, an issued document, a closed work file,
    -- a task deadline or a finance report.
    select cast(date_trunc('month', min(first_day)) as date) as first_month_start
    from (
        select min(cast(received_at as date)) as first_day from {{ ref('int_dossiers') }}
        union all
        select min(issued_on) as first_day from {{ ref('int_outgoing_documents') }}
        union all
        select min(closed_on) as first_day from {{ ref('int_work_files') }}
        union all
        select min(due_on) as first_day from {{ ref('int_assigned_tasks') }}
        union all
        select min(report_month) as first_day from {{ ref('int_budget_revenue') }}
        union all
        select min(report_month) as first_day from {{ ref('int_public_investment') }}
        union all
        select min(report_month) as first_day from {{ ref('int_enterprise_registrations') }}
    ) as source_days
),

months as (
    select cast(s.month_start as date) as month_start
    from first_month
    cross join as_of
    cross join
        generate_series(
            cast(first_month.first_month_start as timestamp),
            cast(date_trunc('month', as_of.as_of) as timestamp),
            interval 1 month
        ) as s (month_start)
    where first_month.first_month_start is not null and as_of.as_of is not null
),

grains as (
    select
        'month' as period_grain,
        month_start as period_start,
        cast(month_start + interval 1 month as date) as next_period_start
    from months

    union distinct

    select
        'quarter' as period_grain,
        cast(date_trunc('quarter', month_start) as date) as period_start,
        cast(date_trunc('quarter', month_start) + interval 3 month as date) as next_period_start
    from months

    union distinct

    select
        'year' as period_grain,
        cast(date_trunc('year', month_start) as date) as period_start,
        cast(date_trunc('year', month_start) + interval 1 year as date) as next_period_start
    from months
)

select
    grains.period_grain,
    grains.period_start,
    cast(grains.next_period_start - interval 1 day as date) as period_end,
    -- Closed once as_of has reached the period's first instant after its end.
    as_of.as_of >= cast(grains.next_period_start as timestamp) as is_period_closed,
    case
        when as_of.as_of >= cast(grains.next_period_start as timestamp)
            then cast(grains.next_period_start as timestamp)
        else as_of.as_of
    end as evaluated_at,
    as_of.as_of
from grains
cross join as_of
