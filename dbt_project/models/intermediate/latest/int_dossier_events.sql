-- The latest recording of each dossier status event (by ThoiDiemGhiNhan, then the newest batch; the
-- landing position breaks the remaining ties): an event can be corrected after it was first recorded.
-- A view, for drilling down to a dossier's history: the build reads events through
-- int_dossier_event_summary, which keeps the same recordings.
{{ config(materialized='view') }}

with

latest as (
    select *
    from {{ ref('stg_dossier_api__dossier_events') }}
    qualify row_number() over (
            partition by dossier_id, seq
            order by {{ latest_version_order('recorded_at', 'batch_id') }}
        ) = 1
)

select
    dossier_id,
    seq,
    status,
    processed_at,
    recorded_at,
    department,
    step_due_at,
    batch_id
from latest
