"""Ingest reference data (administrative units, procedure catalogue, website listings) from the inbox.

Event-driven: a file dropped in the reference inbox is claimed by the inbox watcher (an
``AssetWatcher`` whose trigger lives in ``parmetrics.triggers.inbox``) and starts this DAG within a
poll interval. Each file is a complete monthly snapshot (SOURCES.md §4) and lands as its own batch,
so history is kept and a ``_v<N>`` re-send replaces only its month; a file that breaks the contract
is quarantined with a one-line reason. A manual run processes whatever is in the inbox.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from parmetrics.orchestration import assets, ingestion


@dag(
    dag_id="ingest_reference",
    schedule=[assets.REFERENCE_INBOX],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(seconds=30)},
    doc_md=__doc__,
    tags=["ingestion", "reference"],
)
def ingest_reference():
    @task(outlets=[assets.LANDING_REFERENCE])
    def land_reference_files() -> list[dict]:
        return ingestion.land_reference_inbox()

    land_reference_files()


ingest_reference()
