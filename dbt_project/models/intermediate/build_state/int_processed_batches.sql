-- The state an incremental build starts from: the landing batches this build processed (as snapshotted
-- by int_landing_batches at its start), with the build's number, as_of, calendar and code versions.
-- Built last — it depends on every model that reads landing incrementally and on every mart — so it is
-- only written when everything before it succeeded; a build that stops half-way leaves the previous
-- state, and the next build redoes its work (each incremental model recomputes whole keys, so redoing
-- is harmless). Read, not ref'd, by int_landing_batches and int_build_context of the next build.
-- depends_on: {{ ref('int_dossiers') }}
-- depends_on: {{ ref('int_dossier_event_summary') }}
-- depends_on: {{ ref('int_dossier_lifecycle') }}
-- depends_on: {{ ref('int_dossier_period_counts') }}
-- depends_on: {{ ref('int_unit_procedure_months') }}
-- depends_on: {{ ref('criteria_scores') }}
-- depends_on: {{ ref('criteria_scores_restated') }}
-- depends_on: {{ ref('scorecard_766') }}
-- depends_on: {{ ref('par_scorecard') }}
-- depends_on: {{ ref('year_end_forecast') }}
-- depends_on: {{ ref('dossier_facts') }}
-- depends_on: {{ ref('dossier_violations') }}
-- depends_on: {{ ref('overdue_dossiers') }}
-- depends_on: {{ ref('expired_procedures_listed') }}
select
    batches.source_name,
    batches.dataset,
    batches.batch_id,
    batches.fingerprint,
    batches.committed_at,
    context.build_seq,
    as_of.as_of,
    context.calendar_version,
    context.code_version
from {{ ref('int_landing_batches') }} as batches
cross join {{ ref('int_build_context') }} as context
cross join {{ ref('int_as_of') }} as as_of
where batches.change != 'removed'
