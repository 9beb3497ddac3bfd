"""Airflow DAG ``ingest_dossiers_history``: monthly history twin of ``ingest_dossiers``, for backfills.

``parmetrics backfill --from 2019-01 --to 2024-12`` (or ``airflow backfill create --dag-id
ingest_dossiers_history --from-date 2019-01-01 --to-date 2024-12-01``). Built by
``parmetrics.orchestration.dag_factories``.
"""

from parmetrics.orchestration.dag_factories import DOSSIERS, ingestion_dag

dag = ingestion_dag(DOSSIERS, history=True)
