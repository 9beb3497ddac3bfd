"""Ingest the finance systems' file drops (budget revenue, public investment, enterprise registrations).

Event-driven: a file dropped in the finance inbox (Airflow variable ``finance_inbox``) is claimed by
the inbox watcher (an ``AssetWatcher`` whose trigger lives in ``parmetrics.triggers.inbox``) and
starts this DAG within a poll interval — no DAG polls the inbox. Each file lands whole as the batch
of its period (a ``_v<N>`` re-send supersedes it; the same bytes twice change nothing) or, when it
breaks SOURCES.md §3, moves to quarantine with a one-line reason and nothing from it lands.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from parmetrics.orchestration import assets, ingestion


@dag(
    dag_id="ingest_finance",
    schedule=[assets.FINANCE_INBOX],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(seconds=30)},
    doc_md=__doc__,
    tags=["ingestion", "finance"],
)
def ingest_finance():
    @task(outlets=[assets.LANDING_FINANCE])
    def land_finance_files() -> list[dict]:
        return ingestion.land_finance_inbox()

    land_finance_files()


ingest_finance()
