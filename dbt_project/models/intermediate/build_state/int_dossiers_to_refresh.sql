-- sqlfluff:indentation:template_blocks_indent:false
-- The dossiers whose rows at as_of (dossier_facts, dossier_violations) this build rewrites: the changed
-- ones (int_dossier_changes), and, when as_of moved, every accepted dossier whose class at as_of can
-- depend on it — received, or not yet finished, by the earlier of the two instants. A dossier finished
-- before both keeps its final class, so its rows stay. Grain: one row per dossier. Empty when the build
-- recomputes everything.
--   is_changed   in int_dossier_changes
--   class_moved  its pool membership, class or "finished by T" differs between the last as_of and this
--                one: what a violation row depends on besides the dossier itself (as_of and unit names
--                are set on every row by dossier_violations). A pending dossier's working days late move
--                with the clock, so dossier_facts rewrites every dossier listed here; dossier_violations
--                only those changed or whose class moved.
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_as_of') }}
-- depends_on: {{ ref('int_dossier_changes') }}
-- depends_on: {{ ref('int_dossier_lifecycle') }}

with

{% if not refresh_everything() -%}

clock as (
    -- This build's as_of and the last one's, each as a period starting at the dawn of time
    -- (classify_dossiers.sql).
    select
        least(as_of, previous_as_of) as earlier_as_of,
        cast('0001-01-01' as date) as period_start,
        as_of as evaluated_at
    from {{ ref('int_as_of') }}
    where as_of is distinct from previous_as_of
),

previous_clock as (
    select
        cast('0001-01-01' as date) as period_start,
        coalesce(previous_as_of, cast('-infinity' as timestamp)) as evaluated_at
    from {{ ref('int_as_of') }}
    where as_of is distinct from previous_as_of
),

clock_dependent as (
    select
        lifecycle.dossier_id,
        {{ dossier_in_pool('lifecycle', 'clock') }} != {{ dossier_in_pool('lifecycle', 'previous_clock') }}
        or (
            {{ timeliness_at_t('lifecycle', 'clock') }}
            is distinct from {{ timeliness_at_t('lifecycle', 'previous_clock') }}
        )
        or {{ is_finished_at_t('lifecycle', 'clock') }} != {{ is_finished_at_t('lifecycle', 'previous_clock') }}
            as class_moved
    from {{ ref('int_dossier_lifecycle') }} as lifecycle
    cross join clock
    cross join previous_clock
    where
        lifecycle.is_accepted
        and (
            lifecycle.received_at >= clock.earlier_as_of
            or lifecycle.finished_at is null
            or lifecycle.finished_at >= clock.earlier_as_of
        )
),

final as (
    select
        coalesce(changes.dossier_id, clock_dependent.dossier_id) as dossier_id,
        changes.dossier_id is not null as is_changed,
        coalesce(clock_dependent.class_moved, false) as class_moved
    from {{ ref('int_dossier_changes') }} as changes
    full outer join clock_dependent on changes.dossier_id = clock_dependent.dossier_id
)

{%- else -%}

final as (
    select
        cast(null as varchar) as dossier_id,
        false as is_changed,
        false as class_moved
    where false
)

{%- endif %}

select * from final
