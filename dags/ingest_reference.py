"""Ingest reference data (administrative units, …) from the reference inbox.

Each file is a complete monthly snapshot (SOURCES.md §4) and lands as its own batch, so history is
kept and a re-sent file replaces only its month. Triggered manually (or by a later file watcher).
"""

from __future__ import annotations

from pathlib import Path

import pendulum
from airflow.sdk import Variable, dag, task

from parmetrics.orchestration import assets, ingestion


@dag(
    dag_id="ingest_reference",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["ingestion", "reference"],
)
def ingest_reference():
    @task(outlets=[assets.LANDING_REFERENCE])
    def land_reference_files() -> list[dict]:
        inbox = Variable.get("reference_inbox", default=None)
        return ingestion.land_reference_inbox(Path(inbox) if inbox else None)

    land_reference_files()


ingest_reference()
