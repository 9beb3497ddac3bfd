-- Each accepted dossier in each period whose pool it belongs to (METRICS.md §2–3): in scope for the
-- period, received in it, or both; with its class at the period's evaluation instant T.
--
-- In scope ⇔ received_at < T and (finished within P or unfinished at T)
--          ⇔ received_at < T and (finished_at is null or finished_at >= period_start),
-- because "finished within P" is period_start <= finished_at < T and "unfinished at T" is
-- finished_at >= T, whose union is finished_at >= period_start. Received in P ⇔ period_start <=
-- received_at < T. Both pools together are received_at < T and
-- greatest(coalesce(finished_at, +inf), received_at) >= period_start: two inequalities, one per side,
-- so DuckDB plans a range join instead of a cross product (this runs on millions of dossiers).
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
