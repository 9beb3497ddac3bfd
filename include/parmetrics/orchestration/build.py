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
    return {"checksum": record["file_checksum"], "row_counts": record["row_counts"]}
