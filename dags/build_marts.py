"""Build the criteria marts and publish them: one ``dbt build`` → quality gate → atomic publish.

Scheduled on any landing asset (and nightly as a safety net). Every task that touches the build
DuckDB file runs in the one-slot ``duckdb_writer`` pool, and ``max_active_runs=1`` collapses a burst
of landing events into consecutive builds that each process everything landed so far. A failed gate
stops the run before publishing: the last good publication stays in place. The publication's asset
event (carrying its stamp) starts ``publish_reports``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetAny, dag, task

from parmetrics.orchestration import assets, build, schedules


@dag(
    dag_id="build_marts",
    schedule=schedules.nightly_or_assets("30 2 * * *", AssetAny(*assets.LANDING_ASSETS)),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["transform", "publish"],
)
def build_marts():
    @task(pool=assets.DUCKDB_WRITER_POOL)
    def dbt_build(**context) -> dict:
        return build.dbt_build(context["run_id"])

    @task(pool=assets.DUCKDB_WRITER_POOL)
    def quality_gate(**context) -> dict:
        return build.quality_gate(context["run_id"])

    @task(pool=assets.DUCKDB_WRITER_POOL, outlets=[assets.PUBLISHED_MARTS])
    def publish(**context) -> dict:
        result = build.publish(context["run_id"])
        # publish_reports writes the reports of exactly this publication.
        context["outlet_events"][assets.PUBLISHED_MARTS].extra = {"published_at": result["published_at"]}
        return result

    dbt_build() >> quality_gate() >> publish()


build_marts()
