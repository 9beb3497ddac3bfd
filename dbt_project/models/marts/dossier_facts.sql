-- sqlfluff:indentation:template_blocks_indent:false
-- One row per dossier (every staged dossier, accepted or not; no personal data): the facts every dossier
-- criterion counts, so a number on a dashboard can be traced to dossiers. Timeliness is evaluated at
-- as_of and is null for a dossier that was never accepted. Grain: one row per dossier_key (md5 of the
-- dossier number); dossier_code is the number itself (MaHoSo, not personal data: MARTS.md), appended last
-- so the contract's earlier columns keep their order.
--
-- Incremental: a build rewrites the dossiers of int_dossiers_to_refresh (changed ones, and those whose
-- class at as_of moves with it) and keeps the others.
-- A column added to the contract (always at the end) is added to an existing table in place
-- (append_new_columns); the code change makes that build recompute every row (int_build_context), so no
-- kept row is left with a null in it.
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='dossier_key',
        scope_model='int_dossiers_to_refresh',
        scope_key='md5(dossier_id)',
        on_schema_change='append_new_columns',
    )
}}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_dossiers_to_refresh') }}


with

lifecycle as (
    {%- if is_scoped_increment() %}
    select * from {{ rows_with_keys(
        ref('int_dossier_lifecycle'), 'k.dossier_id', 'select dossier_id from ' ~ ref('int_dossiers_to_refresh')
    ) }}
    {%- else %}
    select * from {{ ref('int_dossier_lifecycle') }}
    {%- endif %}
),

as_of as (
    -- The single evaluation instant, as a period starting at the dawn of time (every dossier received
    -- before as_of is in its pool).
    select
        cast('0001-01-01' as date) as period_start,
        as_of as evaluated_at
    from {{ ref('int_as_of') }}
    where as_of is not null
),

classified as (
    -- Classified in the same pass as it is read (no join of every dossier with its class).
    select
        lifecycle.*,
        case
            when lifecycle.is_accepted and {{ dossier_in_pool('lifecycle', 'as_of') }}
                then {{ timeliness_at_t('lifecycle', 'as_of') }}
        end as timeliness,
        case
            when lifecycle.is_accepted and {{ dossier_in_pool('lifecycle', 'as_of') }}
                then {{ classified_by_at('lifecycle', 'as_of') }}
        end as classified_by_at
    from lifecycle
    left join as_of on true
),

calendar as (
    select
        calendar_date,
        working_day_index
    from {{ ref('int_working_days') }}
)

select
    cast(md5(classified.dossier_id) as varchar) as dossier_key,
    cast(classified.unit_code as varchar) as unit_code,
    cast(classified.procedure_code as varchar) as procedure_code,
    cast(classified.channel as integer) as channel,
    cast(classified.received_at as timestamp) as received_at,
    cast(classified.due_at as timestamp) as due_at,
    cast(classified.finished_at as timestamp) as finished_at,
    cast(classified.returned_at as timestamp) as returned_at,
    cast(classified.status as integer) as status,
    cast(classified.timeliness as varchar) as timeliness,
    cast({{ working_days_late('classified') }} as integer) as working_days_late,
    cast(classified.is_fee_bearing as boolean) as fee_bearing,
    cast(classified.is_paid_online as boolean) as paid_online,
    cast(classified.components_total as integer) as components_total,
    cast(classified.components_attached as integer) as components_attached,
    cast(classified.is_fully_digitised as boolean) as digitised,
    cast(classified.has_e_result as boolean) as e_result,
    cast(classified.supplement_request_count as integer) as supplement_requests,
    cast(classified.apology_count as integer) as apologies,
    cast(classified.is_apology_in_time as boolean) as apology_in_time,
    cast(classified.is_backdated as boolean) as backdated_completion,
    cast(classified.satisfaction as integer) as satisfaction,
    cast(classified.is_vneid_authenticated as boolean) as vneid_authenticated,
    cast(classified.is_synced_to_national_portal as boolean) as synced_to_national_portal,
    cast(classified.applicant_key as varchar) as applicant_key,
    cast(classified.dossier_id as varchar) as dossier_code
from classified
left join calendar as due_day on cast(classified.due_at as date) = due_day.calendar_date
left join calendar as classified_day on cast(classified.classified_by_at as date) = classified_day.calendar_date
