-- as_of = the newest source change the build has seen. Deriving it from the data (not the wall clock)
-- keeps a rerun over the same landing byte-identical, and makes the running period's evaluation
-- instant T reproducible. Null when nothing has landed (then no period exists and the marts are empty).
with

dossier_changes as (
    select max(updated_at) as newest_change from {{ ref('stg_dossier_api__dossiers') }}
),

event_changes as (
    select max(recorded_at) as newest_change from {{ ref('stg_dossier_api__dossier_events') }}
)

-- greatest() skips nulls, so either source alone still sets as_of.
select greatest(dossier_changes.newest_change, event_changes.newest_change) as as_of
from dossier_changes
cross join event_changes
