-- The dossiers whose rows at as_of (dossier_facts, dossier_violations) this build rewrites: the changed
-- ones (int_dossier_changes), and, when as_of moved, every accepted dossier whose class at as_of can
-- depend on it — received, or not yet finished, by the earlier of the two instants. A dossier finished
-- before both keeps its final class, so its rows stay. Grain: one row per dossier. Empty when the build
-- recomputes everything.
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_as_of') }}
-- depends_on: {{ ref('int_dossier_changes') }}
-- depends_on: {{ ref('int_dossier_lifecycle') }}

with

{% if not refresh_everything() -%}

clock as (
    select least(as_of, previous_as_of) as earlier_as_of
    from {{ ref('int_as_of') }}
    where as_of is distinct from previous_as_of
),

final as (
    select dossier_id from {{ ref('int_dossier_changes') }}
    union
    select lifecycle.dossier_id
    from {{ ref('int_dossier_lifecycle') }} as lifecycle
    cross join clock
    where
        lifecycle.is_accepted
        and (
            lifecycle.received_at >= clock.earlier_as_of
            or lifecycle.finished_at is null
            or lifecycle.finished_at >= clock.earlier_as_of
        )
)

{%- else -%}

final as (
    select cast(null as varchar) as dossier_id
    where false
)

{%- endif %}

select * from final
