"""The dossier API source (SOURCES.md §1), one module per concern:

- ``connection.py``: where the API is (an Airflow http connection);
- ``http.py``: pages, retries, the read-ahead;
- ``dedupe.py``: pages into landing rows, one version per key, the contract check per record;
- ``quarantine.py``: how a record that cannot land is named and kept (without personal data);
- ``reconcile.py``: passes over a window until it reconciles with the source's ``total``;
- ``extract.py``: one window into one landing batch.

The command line (``parmetrics extract dossier-api``) lives in ``parmetrics.cli.extract``.
"""

from __future__ import annotations

from parmetrics.sources.dossier_api.connection import ApiConnection
from parmetrics.sources.dossier_api.dedupe import SOURCE
from parmetrics.sources.dossier_api.extract import batch_id_for_window, extract_window
from parmetrics.sources.dossier_api.http import (
    ENDPOINTS,
    DossierApiAuthError,
    DossierApiClient,
    DossierApiError,
    Page,
)
from parmetrics.sources.dossier_api.reconcile import ReconciliationError

__all__ = [
    "ENDPOINTS",
    "SOURCE",
    "ApiConnection",
    "DossierApiAuthError",
    "DossierApiClient",
    "DossierApiError",
    "Page",
    "ReconciliationError",
    "batch_id_for_window",
    "extract_window",
]
