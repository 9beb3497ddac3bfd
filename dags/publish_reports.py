"""The Parquet set, Excel workbook and HTML report of each publication, started by the published-marts
asset event.

Kept out of ``build_marts`` so that BI users get a publication as soon as it passes the gate (at a
million dossiers a year the workbook takes over a minute, and the Parquet set grows with every
dossier), and so that a report failure is a failed run here — retried, visible, and harmless to the
publication it reports on. ``parmetrics report``
writes the current publication's reports by hand.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from parmetrics.orchestration import assets, build


@dag(
    dag_id="publish_reports",
    schedule=assets.PUBLISHED_MARTS,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=1)},
    doc_md=__doc__,
    tags=["publish", "reports"],
)
def publish_reports():
    # The publication's Parquet set, from its version file: outside the writer pool, like the reports.
    @task
    def parquet_set(**context) -> dict:
        return build.publish_parquet(published_stamps(context))

    # `dbt docs generate` reads the build file's catalog: a DuckDB writer, like the build's tasks.
    @task(pool=assets.DUCKDB_WRITER_POOL)
    def dbt_docs() -> dict:
        return build.refresh_dbt_docs()

    # Reads only the publications' version files: outside the writer pool, beside the next build. Runs
    # when the docs failed too (the report then links the previous docs; the failed task shows it).
    @task(trigger_rule="all_done")
    def write_reports(**context) -> dict:
        return build.write_reports(published_stamps(context))

    parquet_set()
    dbt_docs() >> write_reports()


def published_stamps(context: dict) -> list[str]:
    """The stamps of the publications whose asset events started this run."""
    events = context.get("triggering_asset_events") or {}
    return [
        event.extra["published_at"]
        for event in events.get(assets.PUBLISHED_MARTS, [])
        if (event.extra or {}).get("published_at")
    ]


publish_reports()
