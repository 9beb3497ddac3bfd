-- Overdue dossiers at as_of (METRICS.md §7): accepted, unfinished at T = as_of, and T > due_at; with the
-- working days overdue (after the due date up to and including the date of T − 1 second) and whether an
-- apology letter exists. Grain: one row per dossier_key.
with

at_as_of as (
    select * from {{ ref('int_dossier_status_at_as_of') }}
    where not is_finished_at_t and evaluated_at > due_at
),

calendar as (
    select * from {{ ref('int_working_days') }}
),

units as (
    select * from {{ ref('int_unit_history') }}
)

select
    cast(md5(at_as_of.dossier_id) as varchar) as dossier_key,
    cast(at_as_of.unit_code as varchar) as unit_code,
    cast(units.unit_name as varchar) as unit_name,
    cast(units.unit_level as varchar) as unit_level,
    cast(at_as_of.procedure_code as varchar) as procedure_code,
    cast(at_as_of.received_at as timestamp) as received_at,
    cast(at_as_of.due_at as timestamp) as due_at,
    cast(greatest(now_day.working_day_index - due_day.working_day_index, 0) as integer) as working_days_overdue,
    cast(at_as_of.apology_count > 0 as boolean) as has_apology,
    cast(at_as_of.timeliness as varchar) as timeliness,
    cast(at_as_of.evaluated_at as timestamp) as as_of
from at_as_of
left join units on at_as_of.unit_code = units.unit_code
left join calendar as due_day on cast(at_as_of.due_at as date) = due_day.calendar_date
left join calendar as now_day
    on cast(at_as_of.evaluated_at - interval 1 second as date) = now_day.calendar_date
