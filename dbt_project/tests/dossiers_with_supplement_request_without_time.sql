-- Anomaly, not a contract rule (ARCHITECTURE.md, "Two kinds of rules"): a supplement request without
-- NgayYeuCauBoSung. It still counts toward "more than one request" (METRICS.md §2); this only warns.
{{ config(severity='warn') }}

select
    dossier_id,
    unit_code,
    supplement_request_count
from {{ ref('int_dossier_lifecycle') }}
where has_supplement_request_without_time
