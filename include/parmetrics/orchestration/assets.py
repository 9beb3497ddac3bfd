"""The assets that connect the DAGs (names are stable identities in Airflow's metadata database)."""

from __future__ import annotations

from airflow.sdk import Asset

# Created by the dossier system (or its simulator) through Airflow's REST API when it has new data.
DOSSIER_API_CHANGES = Asset(name="source.dossier_api", uri="parmetrics://sources/dossier_api")

LANDING_DOSSIER_API = Asset(name="landing.dossier_api", uri="parmetrics://landing/dossier_api")
LANDING_REFERENCE = Asset(name="landing.reference", uri="parmetrics://landing/reference")

PUBLISHED_MARTS = Asset(name="published.par_metrics", uri="parmetrics://published/par_metrics")

# Every writer of the build DuckDB file runs in this one-slot pool (DuckDB allows one writer).
DUCKDB_WRITER_POOL = "duckdb_writer"
