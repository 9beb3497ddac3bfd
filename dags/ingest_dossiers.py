"""Ingest the dossier system (one-stop software, REST API): dossiers and their status events.

Runs nightly with a real data interval (01:00 Asia/Ho_Chi_Minh, window = the previous day plus a
safety margin), or when the dossier system announces new data by creating an event on the
``source.dossier_api`` asset. Runs without an interval (manual, asset-triggered) extract from the
high-water mark. Each dataset lands as one Parquet batch per window; the landing asset then
triggers ``build_marts``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from parmetrics.orchestration import assets, ingestion, schedules


@dag(
    dag_id="ingest_dossiers",
    schedule=schedules.nightly_ingestion("0 1 * * *", assets.DOSSIER_API_CHANGES),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=2)},
    doc_md=__doc__,
    tags=["ingestion", "dossier_api"],
)
def ingest_dossiers():
    @task
    def resolve_window(**context) -> dict:
        return ingestion.resolve_dossier_window(context)

    @task
    def extract(dataset: str, window: dict) -> dict:
        return ingestion.extract_dossier_dataset(dataset, window)

    @task(outlets=[assets.LANDING_DOSSIER_API])
    def advance_watermark(window: dict, dossiers: dict, events: dict, **context) -> None:
        stats = {"dossiers": dossiers, "dossier_events": events}
        ingestion.advance_dossier_watermarks(window, stats, context["run_id"])

    window = resolve_window()
    dossiers = extract.override(task_id="extract_dossiers")("dossiers", window)
    events = extract.override(task_id="extract_dossier_events")("dossier_events", window)
    advance_watermark(window, dossiers, events)


ingest_dossiers()
