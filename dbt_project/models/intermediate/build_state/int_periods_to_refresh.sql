-- sqlfluff:indentation:template_blocks_indent:false
-- The periods whose dossier counts this build recomputes (int_dossier_period_counts; the months also for
-- int_unit_procedure_months). Grain: one row per (period_grain, period_start). Empty when the build
-- recomputes everything.
--   * The clock: every period evaluated at as_of — now or at the last build — ends on or after the day
--     of the earlier of the two; when as_of moved, those are recomputed (a closed period is evaluated at
--     its end, so no later build changes it).
--   * Changed dossiers: a period where a dossier's old place in the counts (its last build's
--     int_dossier_lifecycle row, int_dossier_lifecycle_previous) differs from its new place — in or out
--     of the pool, its class at T, or any fact a count reads. A long-pending dossier that finishes
--     today changes the current periods only, not the years it was pending in.
--   * The receiving months of changed dossiers, old and new (what int_unit_procedure_months groups).
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_periods') }}
-- depends_on: {{ ref('int_as_of') }}
-- depends_on: {{ ref('int_dossier_lifecycle_previous') }}
-- depends_on: {{ ref('int_dossier_lifecycle') }}
-- depends_on: {{ ref('int_dossier_changes') }}

with

{% if not refresh_everything() -%}

periods as (
    select * from {{ ref('int_periods') }}
),

clock as (
    select
        cast(least(as_of, previous_as_of) as date) as from_day,
        greatest(as_of, previous_as_of) as until_instant
    from {{ ref('int_as_of') }}
    where as_of is distinct from previous_as_of
),

clock_periods as (
    -- Every period from the earlier as_of's to the later one's, whether or not it exists now (a period
    -- that no longer exists, because as_of went back, loses its rows).
    select
        grains.period_grain,
        cast(date_trunc(grains.period_grain, months.month_start) as date) as period_start
    from clock
    cross join
        generate_series(
            cast(date_trunc('month', clock.from_day) as timestamp),
            cast(date_trunc('month', clock.until_instant) as timestamp),
            interval 1 month
        ) as months (month_start)
    cross join (values ('month'), ('quarter'), ('year')) as grains (period_grain)
),

changed_dossiers as (
    select
        'old' as lifecycle_version,
        *
    from {{ ref('int_dossier_lifecycle_previous') }}
    where is_accepted
    union all by name
    select
        'new' as lifecycle_version,
        lifecycle.*
    from {{ rows_with_keys(
        ref('int_dossier_lifecycle'), 'k.dossier_id', 'select dossier_id from ' ~ ref('int_dossier_changes')
    ) }} as lifecycle
    where lifecycle.is_accepted
),

places as (
    -- A dossier's place in a period's counts: everything int_dossier_period_counts and
    -- int_unit_procedure_months read of it there.
    select
        d.lifecycle_version,
        p.period_grain,
        p.period_start,
        {
            'dossier_id': d.dossier_id,
            'unit_code': d.unit_code,
            'procedure_code': d.procedure_code,
            'received': {{ is_received_in_period('d', 'p') }},
            'finished': {{ is_finished_in_period('d', 'p') }},
            'timeliness': {{ timeliness_at_t('d', 'p') }},
            'status': d.status,
            'channel': d.channel,
            'applicant_type': d.applicant_type,
            'synced': d.is_synced_to_national_portal,
            'apology_in_time': d.is_apology_in_time,
            'satisfaction': d.satisfaction,
            'vneid': d.is_vneid_authenticated,
            'fee_total': d.fee_total,
            'has_fee_list': d.has_fee_list,
            'paid_online': d.is_paid_online,
            'result_is_document': d.result_is_document,
            'e_result': d.has_e_result,
            'digitised': d.is_fully_digitised,
            'reused': d.has_reused_component,
            'data_store': d.has_data_store_component,
            'components_total': d.components_total,
            'components_attached': d.components_attached,
            'finishing_event': d.has_finishing_event,
            'backdated': d.is_backdated
        } as place
    from changed_dossiers as d
    inner join periods as p on {{ dossier_in_pool('d', 'p') }}
),

moved_places as (
    select
        period_grain,
        period_start,
        place
    from places
    where lifecycle_version = 'old'
    except
    select
        period_grain,
        period_start,
        place
    from places
    where lifecycle_version = 'new'
    union
    (
        select
            period_grain,
            period_start,
            place
        from places
        where lifecycle_version = 'new'
        except
        select
            period_grain,
            period_start,
            place
        from places
        where lifecycle_version = 'old'
    )
),

receiving_months as (
    select
        'month' as period_grain,
        cast(date_trunc('month', received_at) as date) as period_start
    from changed_dossiers
    where received_at is not null
),

final as (
    select
        period_grain,
        period_start
    from clock_periods
    union
    select
        period_grain,
        period_start
    from moved_places
    union
    select
        period_grain,
        period_start
    from receiving_months
)

{%- else -%}

final as (
    select
        cast(null as varchar) as period_grain,
        cast(null as date) as period_start
    where false
)

{%- endif %}

select * from final
