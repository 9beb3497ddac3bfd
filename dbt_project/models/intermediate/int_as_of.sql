-- as_of = the newest source change the build has seen. Deriving it from the data (not the wall clock)
-- keeps a rerun over the same landing byte-identical, and makes the running period's evaluation
-- instant T reproducible. Dossiers, their events and the document database carry change timestamps; the
-- file drops (finance, reference) carry only months and do not move it. Null when nothing has landed
-- (then no period exists and the marts are empty). `previous_as_of` is the as_of of the last completed
-- build (int_build_context): what the incremental models compare with to know which periods and
-- dossiers are evaluated at a new instant.
with

changes as (
    select max(updated_at) as newest_change from {{ ref('int_dossiers') }}
    union all
    -- The newest recording of each kept event is the newest of all its recordings.
    select max(max_recorded_at) as newest_change from {{ ref('int_dossier_event_summary') }}
    union all
    select max(updated_at) as newest_change from {{ ref('int_outgoing_documents') }}
    union all
    select max(updated_at) as newest_change from {{ ref('int_incoming_documents') }}
    union all
    select max(updated_at) as newest_change from {{ ref('int_work_files') }}
    union all
    select max(updated_at) as newest_change from {{ ref('int_assigned_tasks') }}
)

-- max() skips nulls, so any source alone still sets as_of.
select
    (select max(changes.newest_change) from changes) as as_of,
    context.previous_as_of
from {{ ref('int_build_context') }} as context
