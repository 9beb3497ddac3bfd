"""Airflow DAG ``ingest_documents``: the document-management database, nightly or on the source's asset event.

The connection is the Airflow connection ``document_db`` (PostgreSQL, or the embedded SQLite file).
Built by ``parmetrics.orchestration.dag_factories`` (shared with its monthly history twin).
"""

from parmetrics.orchestration.dag_factories import DOCUMENTS, ingestion_dag

dag = ingestion_dag(DOCUMENTS)
