-- Rule violations per dossier (METRICS.md §7), evaluated at as_of over accepted dossiers. One row per
-- (dossier_key, violation_code):
--   late_without_timely_apology   late or pending_late with no first apology by the working day before due
--   due_date_reset_more_than_once more than one apology letter
--   returned_before_finished      result handed over (NgayTra) before processing finished
--   no_electronic_result          finished (not stopped) without a result file where the result is a document
--   components_not_attached       a submitted component without a file link (or no component at all)
--   backdated_completion          finishing event dated on/before due but recorded after it
--   multiple_supplement_requests  more than one supplement request
with

at_as_of as (
    select * from {{ ref('int_dossier_status_at_as_of') }}
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
    cast(flagged.evaluated_at as timestamp) as as_of
from flagged
left join units on flagged.unit_code = units.unit_code
