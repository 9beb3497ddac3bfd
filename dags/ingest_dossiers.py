"""Airflow DAG ``ingest_dossiers``: the dossier system (REST API), nightly or on the source's asset event.

Built by ``parmetrics.orchestration.dag_factories`` (shared with its monthly history twin).
"""

from parmetrics.orchestration.dag_factories import DOSSIERS, ingestion_dag

dag = ingestion_dag(DOSSIERS)
