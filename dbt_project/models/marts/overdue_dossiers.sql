-- Overdue dossiers at as_of (METRICS.md §7): accepted, unfinished at T = as_of, and classified at T (§2)
-- as pending_late, or as late because a single supplement request still open at T was made after due_at.
-- A dossier waiting for the applicant on a request made in time is not overdue (its clock is stopped: §2
-- judges it by the request, early or on time); one with more than one request is overdue once T passes
-- due_at. Unclassified dossiers (no due_at) are on no list. working_days_overdue is §2's
-- working_days_late: working days after the due date up to the date of T − 1 second, or of the request
-- that stopped the clock late. dossier_code is the dossier number (MaHoSo), so the list can be acted on.
-- Grain: one row per dossier_key. A table rebuilt every build: the open dossiers are few, and every row
-- moves with as_of.
with

as_of as (
    select as_of from {{ ref('int_as_of') }}
    where as_of is not null
),

dossiers as (
    -- Past due at T is necessary for either overdue class; the classification below decides.
    select lifecycle.*
    from {{ ref('int_dossier_lifecycle') }} as lifecycle
    cross join as_of
    where
        lifecycle.is_accepted
        and lifecycle.received_at < as_of.as_of
        and (lifecycle.finished_at is null or lifecycle.finished_at >= as_of.as_of)
        and lifecycle.due_at < as_of.as_of
),

periods as (
    select
        'as_of' as period_grain,
        cast('0001-01-01' as date) as period_start,
        cast(as_of as date) as period_end,
        false as is_period_closed,
        as_of as evaluated_at
    from as_of
),

calendar as (
    select * from {{ ref('int_working_days') }}
),

{{ classify_dossiers_at_periods() }},

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
    cast(at_as_of.working_days_late as integer) as working_days_overdue,
    cast(at_as_of.apology_count > 0 as boolean) as has_apology,
    cast(at_as_of.timeliness as varchar) as timeliness,
    cast(at_as_of.evaluated_at as timestamp) as as_of,
    cast(at_as_of.dossier_id as varchar) as dossier_code
from dossier_periods as at_as_of
left join units on at_as_of.unit_code = units.unit_code
where at_as_of.timeliness in ('pending_late', 'late')
