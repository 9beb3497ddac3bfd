-- Dossiers due soon at as_of (METRICS.md §7): what a unit acts on before it becomes a violation.
-- Accepted, unfinished at T = as_of, classified pending_on_time at T (§2: a dossier waiting for the
-- applicant on a request made in time has its clock stopped and is not pending), and due on or before the
-- 2nd working day after the date of T (the §1 calendar, overrides included; the date of T is day 0, so a
-- dossier due later today is in). working_days_left = working days after the date of T up to and
-- including the date of due_at (0 when due today, or on a day off before the next working day).
-- dossier_code is the dossier number (MaHoSo), so the list can be acted on. Grain: one row per
-- dossier_key. A table rebuilt every build, like the overdue list: the open dossiers are few, and every
-- row moves with as_of.
with

as_of as (
    select as_of from {{ ref('int_as_of') }}
    where as_of is not null
),

calendar as (
    select
        calendar_date,
        is_working_day,
        working_day_index
    from {{ ref('int_working_days') }}
),

today as (
    -- The date of T, its working-day index, and the last due date in the window: the working day whose
    -- index is two above it (from a day off, the next working day has index + 1, the one after + 2).
    -- No row when T lies outside the calendar's years: then nothing can be shown due soon.
    select
        as_of.as_of,
        day_of_t.working_day_index,
        (
            select min(later.calendar_date)
            from calendar as later
            where later.is_working_day and later.working_day_index = day_of_t.working_day_index + 2
        ) as last_due_date
    from as_of
    inner join calendar as day_of_t on cast(as_of.as_of as date) = day_of_t.calendar_date
),

dossiers as (
    -- Pending at T and due in the window is necessary for the class; the classification below decides.
    select lifecycle.*
    from {{ ref('int_dossier_lifecycle') }} as lifecycle
    cross join today
    where
        lifecycle.is_accepted
        and lifecycle.received_at < today.as_of
        and (lifecycle.finished_at is null or lifecycle.finished_at >= today.as_of)
        and lifecycle.due_at >= today.as_of
        and cast(lifecycle.due_at as date) <= today.last_due_date
),

periods as (
    select
        'as_of' as period_grain,
        cast('0001-01-01' as date) as period_start,
        cast(as_of as date) as period_end,
        false as is_period_closed,
        as_of as evaluated_at
    from today
),

{{ classify_dossiers_at_periods() }},

units as (
    select * from {{ ref('int_unit_history') }}
)

select
    cast(md5(due_soon.dossier_id) as varchar) as dossier_key,
    cast(due_soon.dossier_id as varchar) as dossier_code,
    cast(due_soon.unit_code as varchar) as unit_code,
    cast(units.unit_name as varchar) as unit_name,
    cast(units.unit_level as varchar) as unit_level,
    cast(due_soon.procedure_code as varchar) as procedure_code,
    cast(due_soon.received_at as timestamp) as received_at,
    cast(due_soon.due_at as timestamp) as due_at,
    cast(due_day.working_day_index - today.working_day_index as integer) as working_days_left,
    cast(due_soon.evaluated_at as timestamp) as as_of
from dossier_periods as due_soon
cross join today
left join units on due_soon.unit_code = units.unit_code
left join calendar as due_day on cast(due_soon.due_at as date) = due_day.calendar_date
where due_soon.timeliness = 'pending_on_time'
