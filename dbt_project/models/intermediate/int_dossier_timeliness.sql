-- Each accepted dossier in each period whose pool it belongs to (METRICS.md §2–3): in scope for the
-- period, received in it, or both; with its class at the period's evaluation instant T. A view, for
-- drilling down from a number to its dossiers: the build itself counts straight from
-- int_dossier_lifecycle with the same macros (int_dossier_period_counts), and this many rows (a dossier
-- in every month, quarter and year it spans) would be the largest table of the warehouse.
{{ config(materialized='view') }}

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

{{ classify_dossiers_at_periods() }}

select * from dossier_periods
