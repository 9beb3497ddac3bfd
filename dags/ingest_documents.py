"""Ingest the document-management database (outgoing/incoming documents, work files, assigned tasks).

Runs nightly with a real data interval (01:30 Asia/Ho_Chi_Minh, window = the previous day plus a
safety margin on ``updated_at``), or on an event of the ``source.document_db`` asset. Runs without an
interval extract from the high-water mark. The connection is the Airflow connection ``document_db``
(PostgreSQL, or the embedded SQLite file). Each table lands one Parquet batch per window, soft
deletes included (``deleted_at`` set) so staging can drop them.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from parmetrics.orchestration import assets, ingestion, schedules


@dag(
    dag_id="ingest_documents",
    schedule=schedules.nightly_ingestion("30 1 * * *", assets.DOCUMENT_DB_CHANGES),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=2)},
    doc_md=__doc__,
    tags=["ingestion", "document_db"],
)
def ingest_documents():
    @task
    def resolve_window(**context) -> dict:
        return ingestion.resolve_document_window(context)

    @task
    def extract(table: str, window: dict) -> dict:
        return ingestion.extract_document_table(table, window)

    @task(outlets=[assets.LANDING_DOCUMENT_DB])
    def advance_watermark(window: dict, van_ban_di: dict, van_ban_den: dict, ho_so: dict, nhiem_vu: dict, **context):
        stats = {"van_ban_di": van_ban_di, "van_ban_den": van_ban_den, "ho_so_cong_viec": ho_so, "nhiem_vu": nhiem_vu}
        ingestion.advance_document_watermarks(window, stats, context["run_id"])

    window = resolve_window()
    results = {t: extract.override(task_id=f"extract_{t}")(t, window) for t in ingestion.DOCUMENT_TABLES}
    advance_watermark(
        window, results["van_ban_di"], results["van_ban_den"], results["ho_so_cong_viec"], results["nhiem_vu"]
    )


ingest_documents()
