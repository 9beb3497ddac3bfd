"""Task callables of the build DAG: dbt build → quality gate → publish."""

from __future__ import annotations

import logging
from typing import Any

from parmetrics import ops
from parmetrics.config import paths
from parmetrics.orchestration.failures import fail_without_retry_on_bad_data

log = logging.getLogger(__name__)


def dbt_build(run_id: str) -> dict[str, Any]:
    from parmetrics.transform.dbt_runner import build

    result = build(paths())
    ops.write_record(
        paths(),
        "pipeline_runs",
        {
            "run_id": run_id,
            "dag_id": "build_marts",
            "stage": "dbt_build",
            "status": "success",
            "seconds": round(result.seconds, 2),
            "node_statuses": result.statuses,
        },
    )
    return {"seconds": round(result.seconds, 2), "statuses": result.statuses}


def quality_gate(run_id: str) -> dict[str, Any]:
    from parmetrics.quality.gate import run_mart_gate

    with fail_without_retry_on_bad_data():
        results = run_mart_gate(paths(), run_id=run_id)
    return {r.suite: {"rows": r.rows, "expectations": r.evaluated} for r in results}


def publish(run_id: str) -> dict[str, Any]:
    from parmetrics.publish import publish as publish_marts

    record = publish_marts(paths(), run_id=run_id)
    return {
        "checksum": record["file_checksum"],
        "row_counts": record["row_counts"],
        "reports": _write_reports(record["published_at"]),
    }


def _write_reports(stamp: str) -> dict[str, Any]:
    """The Excel and HTML reports of the publication just made.

    A report failure never fails this task: the publication is already swapped in and logged, and a
    failed task would make Airflow retry it (publishing again) and withhold the published-marts
    asset event from its consumers. It is logged as an error, returned in the task's result, and
    ``parmetrics report`` writes the reports again.
    """
    from parmetrics.reports import generate_reports

    try:
        files = generate_reports(paths(), stamp=stamp)
    except Exception as exc:
        log.exception("REPORTS NOT WRITTEN for publication %s (it stays published); rerun `parmetrics report`", stamp)
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"workbook": str(files.workbook), "html": str(files.html)}
