-- Anomaly, not a contract rule (ARCHITECTURE.md, "Two kinds of rules"): an accepted dossier whose
-- procedure is in no catalogue snapshot. It stays in the dossier-count criteria and is left out of the
-- procedure-based ones (METRICS.md §2); reported as a warning, never quarantined.
{{ config(severity='warn') }}

select
    dossier_id,
    unit_code,
    procedure_code
from {{ ref('int_dossier_lifecycle') }}
where is_accepted and not is_procedure_known
