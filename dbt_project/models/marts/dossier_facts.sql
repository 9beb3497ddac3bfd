-- One row per dossier (every staged dossier, accepted or not; no personal data): the facts every dossier
-- criterion counts, so a number on a dashboard can be traced to dossiers. Timeliness is evaluated at
-- as_of and is null for a dossier that was never accepted. Grain: one row per dossier_key.
--
-- Incremental: a build rewrites the dossiers of int_dossiers_to_refresh (changed ones, and those whose
-- class at as_of moves with it) and keeps the others.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='dossier_key',
        scope_model='int_dossiers_to_refresh',
        scope_key='md5(dossier_id)',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_dossiers_to_refresh') }}

{%- set scoped = is_scoped_increment() %}
{%- set lifecycle -%}
    {{ ref('int_dossier_lifecycle') }} as lifecycle
    {%- if scoped %}
    inner join {{ ref('int_dossiers_to_refresh') }} as refreshed on lifecycle.dossier_id = refreshed.dossier_id
    {%- endif %}
{%- endset %}

with

dossiers as (
    select lifecycle.*
    from {{ lifecycle }}
    where lifecycle.is_accepted
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

select
    cast(md5(lifecycle.dossier_id) as varchar) as dossier_key,
    cast(lifecycle.unit_code as varchar) as unit_code,
    cast(lifecycle.procedure_code as varchar) as procedure_code,
    cast(lifecycle.channel as integer) as channel,
    cast(lifecycle.received_at as timestamp) as received_at,
    cast(lifecycle.due_at as timestamp) as due_at,
    cast(lifecycle.finished_at as timestamp) as finished_at,
    cast(lifecycle.returned_at as timestamp) as returned_at,
    cast(lifecycle.status as integer) as status,
    cast(at_as_of.timeliness as varchar) as timeliness,
    cast(at_as_of.working_days_late as integer) as working_days_late,
    cast(lifecycle.is_fee_bearing as boolean) as fee_bearing,
    cast(lifecycle.is_paid_online as boolean) as paid_online,
    cast(lifecycle.components_total as integer) as components_total,
    cast(lifecycle.components_attached as integer) as components_attached,
    cast(lifecycle.is_fully_digitised as boolean) as digitised,
    cast(lifecycle.has_e_result as boolean) as e_result,
    cast(lifecycle.supplement_request_count as integer) as supplement_requests,
    cast(lifecycle.apology_count as integer) as apologies,
    cast(lifecycle.is_apology_in_time as boolean) as apology_in_time,
    cast(lifecycle.is_backdated as boolean) as backdated_completion,
    cast(lifecycle.satisfaction as integer) as satisfaction,
    cast(lifecycle.is_vneid_authenticated as boolean) as vneid_authenticated,
    cast(lifecycle.is_synced_to_national_portal as boolean) as synced_to_national_portal,
    cast(lifecycle.applicant_key as varchar) as applicant_key
from {{ lifecycle }}
left join dossier_periods as at_as_of on lifecycle.dossier_id = at_as_of.dossier_id
