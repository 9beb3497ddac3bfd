-- sqlfluff:indentation:template_blocks_indent:false
-- Rule violations per dossier (METRICS.md §7), evaluated at as_of over accepted dossiers, each with its
-- dossier number (dossier_code) so it can be acted on. One row per (dossier_key, violation_code):
--   late_without_timely_apology   late or pending_late with no first apology by the working day before due
--   due_date_reset_more_than_once more than one apology letter
--   returned_before_finished      result handed over (NgayTra) before processing finished
--   no_electronic_result          finished (not stopped) without a result file where the result is a document
--   components_not_attached       a submitted component without a file link (or no component at all)
--   backdated_completion          finishing event dated on/before due but recorded after it
--   multiple_supplement_requests  more than one supplement request
--
-- Incremental: a build rewrites the dossiers of int_dossiers_to_refresh that changed or whose class at
-- as_of moved, and keeps the others; then sets as_of (when it moved) and the unit names of a new units
-- snapshot (when one landed) on the rows it kept: column updates, not a rewrite.
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
        scope_where='is_changed or class_moved',
        on_schema_change='append_new_columns',
        post_hook=[
            "{{ dossier_violations_refresh_kept_rows() }}",
        ],
    )
}}
-- depends_on: {{ ref('int_build_context') }}
-- depends_on: {{ ref('int_dossiers_to_refresh') }}
-- depends_on: {{ ref('int_landing_batches') }}
-- depends_on: {{ ref('int_as_of') }}
-- depends_on: {{ ref('int_unit_history') }}
{%- set lifecycle = rows_with_keys(
    ref('int_dossier_lifecycle'),
    'k.dossier_id',
    'select dossier_id from ' ~ ref('int_dossiers_to_refresh') ~ ' where is_changed or class_moved'
) if is_scoped_increment() else ref('int_dossier_lifecycle') %}

with

as_of as (
    -- The single evaluation instant, as a period starting at the dawn of time.
    select
        cast('0001-01-01' as date) as period_start,
        as_of as evaluated_at
    from {{ ref('int_as_of') }}
    where as_of is not null
),

at_as_of as (
    -- Accepted dossiers received before as_of, classified at T = as_of in the same pass as they are read.
    select
        lifecycle.*,
        as_of.evaluated_at,
        {{ is_finished_at_t('lifecycle', 'as_of') }} as is_finished_at_t,
        {{ timeliness_at_t('lifecycle', 'as_of') }} as timeliness
    from {{ lifecycle }} as lifecycle
    inner join as_of on {{ dossier_in_pool('lifecycle', 'as_of') }}
    where lifecycle.is_accepted
),

units as (
    select * from {{ ref('int_unit_history') }}
),

flagged as (
    select
        at_as_of.*,
        unnest(
            list_filter(
                [
                    case
                        when timeliness in ('late', 'pending_late') and not is_apology_in_time
                            then 'late_without_timely_apology'
                    end,
                    case when apology_count > 1 then 'due_date_reset_more_than_once' end,
                    case when is_returned_before_finished then 'returned_before_finished' end,
                    case
                        when is_finished_at_t and status != 8 and result_is_document and not has_e_result
                            then 'no_electronic_result'
                    end,
                    case
                        when components_total = 0 or components_attached < components_total
                            then 'components_not_attached'
                    end,
                    case when is_backdated then 'backdated_completion' end,
                    case when supplement_request_count > 1 then 'multiple_supplement_requests' end
                ],
                lambda v: v is not null
            )
        ) as violation_code
    from at_as_of
)

select
    cast(md5(flagged.dossier_id) as varchar) as dossier_key,
    cast(flagged.unit_code as varchar) as unit_code,
    cast(units.unit_name as varchar) as unit_name,
    cast(flagged.procedure_code as varchar) as procedure_code,
    cast(flagged.violation_code as varchar) as violation_code,
    cast(flagged.received_at as timestamp) as received_at,
    cast(flagged.due_at as timestamp) as due_at,
    cast(flagged.finished_at as timestamp) as finished_at,
    cast(flagged.timeliness as varchar) as timeliness,
    cast(flagged.evaluated_at as timestamp) as as_of,
    cast(flagged.dossier_id as varchar) as dossier_code
from flagged
left join units on flagged.unit_code = units.unit_code
