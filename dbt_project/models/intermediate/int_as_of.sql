-- as_of = the newest source change the build has seen. Deriving it from the data (not the wall clock)
-- keeps a rerun over the same landing byte-identical, and makes the running period's evaluation
-- instant T reproducible. Dossiers, their events and the document database carry change timestamps; the
-- file drops (finance, reference) carry only months and do not move it. Null when nothing has landed
-- (then no period exists and the marts are empty).
with

changes as (
    select max(updated_at) as newest_change from {{ ref('stg_dossier_api__dossiers') }}
    union all
    select max(recorded_at) as newest_change from {{ ref('stg_dossier_api__dossier_events') }}
    union all
    select max(updated_at) as newest_change from {{ ref('stg_document_db__outgoing_documents') }}
    union all
    select max(updated_at) as newest_change from {{ ref('stg_document_db__incoming_documents') }}
    union all
    select max(updated_at) as newest_change from {{ ref('stg_document_db__work_files') }}
    union all
    select max(updated_at) as newest_change from {{ ref('stg_document_db__assigned_tasks') }}
)

-- max() skips nulls, so any source alone still sets as_of.
select max(newest_change) as as_of
from changes
