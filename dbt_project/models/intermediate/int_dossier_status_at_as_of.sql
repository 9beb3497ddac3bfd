-- Each accepted dossier received before as_of, classified at T = as_of (METRICS.md §2, the evaluation
-- instant of the actionable lists and of dossier_facts). Same rules as int_dossier_timeliness, through
-- one macro; the single pseudo-period starts at the dawn of time so every such dossier is in scope. A
-- view: dossier_facts and dossier_violations keep what they need of it incrementally.
{{ config(materialized='view') }}

with

dossiers as (
    select * from {{ ref('int_dossier_lifecycle') }}
    where is_accepted
),

periods as (
    select
        'as_of' as period_grain,
        cast('0001-01-01' as date) as period_start,
        cast(as_of as date) as period_end,
        false as is_period_closed,
        as_of as evaluated_at
    from {{ ref('int_as_of') }}
    where as_of is not null
),

calendar as (
    select
        calendar_date,
        working_day_index
    from {{ ref('int_working_days') }}
),

{{ classify_dossiers_at_periods() }}

select * from dossier_periods
