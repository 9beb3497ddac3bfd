"""The cost of orchestration: the same dbt project as one Airflow task per node (Cosmos), timed as an
Airflow DAG run against the bench's single-process ``dbt build``.

A separate ``airflow standalone`` whose dags folder is :data:`COSMOS_DAGS` alone, so the Cosmos DAG never
reaches the repository's Airflow. The build file is removed first, so every model is built from nothing
(what ``dbt build --full-refresh`` does in the single-process build it is compared with).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from parmetrics.config import Paths

COSMOS_DAGS = Path(__file__).with_name("cosmos_dags")
DAG_ID = "par_metrics_cosmos"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def cosmos_env(paths: Paths, plan: Any, secret: dict[str, str], manifest: Path) -> dict[str, str]:
    return {
        "AIRFLOW__CORE__DAGS_FOLDER": str(COSMOS_DAGS),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "PARMETRICS_BENCH_MANIFEST": str(manifest),
        "PARMETRICS_DATA_DIR": str(paths.root),
        "PARMETRICS_CLOCK": plan.clock.isoformat(),
        "PARMETRICS_PSEUDONYM_KEY": secret["pseudonym_key"],
        "DBT_TARGET_PATH": str(paths.warehouse / "cosmos_target"),
        "DBT_LOG_PATH": str(paths.warehouse / "cosmos_logs"),
    }


def cosmos_build(
    paths: Paths, plan: Any, secret: dict[str, str], manifest: Path, console: Console, timeout: float
) -> dict[str, Any]:
    from parmetrics.lab.bench.measure import bytecode_env
    from parmetrics.lab.runners.standalone import Standalone

    env = {**cosmos_env(paths, plan, secret, manifest), **bytecode_env(paths)}
    paths.build_db.unlink(missing_ok=True)
    airflow = Standalone(paths.root / "airflow_cosmos", env)
    airflow.start()
    try:
        api = airflow.wait_ready({DAG_ID}, timeout=timeout)
        started = time.monotonic()
        run_id = api.trigger(DAG_ID)
        run = api.wait_for_run(DAG_ID, run_id, timeout, poll=1.0)
        wall = time.monotonic() - started
        tis = api.request("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})[
            "task_instances"
        ]
        # A failed task (e.g. a singular test that Cosmos attaches after one of the two models it reads,
        # before the other exists) ends the run early: its duration is then a lower bound, said so.
        failed = [t["task_id"] for t in tis if t["state"] == "failed"]
        if failed:
            console.print(f"  [red]{DAG_ID} run {run_id} {run['state']}: failed tasks {failed[:10]}[/red]")
        task_seconds = [
            (_instant(t["end_date"]) - _instant(t["start_date"])).total_seconds()
            for t in tis
            if t.get("start_date") and t.get("end_date")
        ]
        return {
            "seconds": (_instant(run["end_date"]) - _instant(run["start_date"])).total_seconds(),
            "wall_seconds_polled": wall,
            "tasks": len(tis),
            "tasks_run": len(task_seconds),
            "task_seconds_sum": sum(task_seconds),
            "state": run["state"],
            "failed_tasks": failed,
            "complete": run["state"] == "success",
        }
    finally:
        console.print("  stopping Airflow …")
        airflow.stop()
