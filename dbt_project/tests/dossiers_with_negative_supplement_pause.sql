-- Anomaly, not a contract rule (ARCHITECTURE.md, "Two kinds of rules"): a single closed supplement request
-- answered — or a dossier finished — before the request was made. Legal input; the pause counts as 0
-- (METRICS.md §2) and this only warns.
{{ config(severity='warn') }}

select
    dossier_id,
    unit_code,
    first_supplement_requested_at,
    first_supplement_supplied_at,
    finished_at
from {{ ref('int_dossier_lifecycle') }}
where has_negative_supplement_pause
