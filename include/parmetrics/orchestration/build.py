"""Task callables of the build DAG (dbt build → quality gate → publish) and of the reports DAG that the
publication starts (dbt docs → Excel and HTML reports)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from parmetrics import ops
from parmetrics.config import paths
from parmetrics.orchestration.failures import fail_without_retry_on_bad_data

log = logging.getLogger(__name__)


def dbt_build(run_id: str) -> dict[str, Any]:
    from parmetrics.transform.dbt_runner import DbtBuildError, build

    started = time.time()
    try:
        result = build(paths())
    except DbtBuildError:
        record_warning_tests(run_id, since=started)  # what a failed build found is worth seeing too
        raise
    record_warning_tests(run_id, since=started)
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


def record_warning_tests(run_id: str, *, since: float | None = None) -> int:
    """Record the outcome of every dbt test of severity ``warn`` of the last build in
    ``ops.quality_results``, for the publication's report (reports/warnings.py); returns the failed ones.

    ``since``: the build's start (epoch seconds). A build that failed before dbt wrote its results
    leaves the previous invocation's: those were recorded already.
    """
    from parmetrics.transform.dbt_runner import dbt_env, warning_test_records

    p = paths()
    target = Path(dbt_env(p)["DBT_TARGET_PATH"])
    results = target / "run_results.json"
    if since is not None and (not results.exists() or results.stat().st_mtime < since):
        return 0
    records = warning_test_records(target, p.build_db)
    for record in records:
        ops.write_record(p, "quality_results", {"run_id": run_id, **record})
        if not record["success"]:
            log.warning("%s", record["message"])
    return sum(not r["success"] for r in records)


def quality_gate(run_id: str) -> dict[str, Any]:
    from parmetrics.quality.mart_gate import run_mart_gate

    with fail_without_retry_on_bad_data():
        results = run_mart_gate(paths(), run_id=run_id)
    # rows: the rows validated; table_rows (incremental suites): the mart's size when only the rows
    # that differ from the current publication were validated.
    return {
        r.suite: {"rows": r.rows, "expectations": r.evaluated}
        | ({"table_rows": r.table_rows} if r.table_rows is not None else {})
        for r in results
    }


def publish(run_id: str) -> dict[str, Any]:
    """Publish the gated build. Its Parquet set and reports are written by the ``publish_reports`` DAG,
    which the published-marts asset event starts: at a million dossiers a year the workbook alone takes
    over a minute and the Parquet set grows with every dossier, which BI users of the published file
    should not wait for, and a report that fails must not fail, retry or hold back a publication."""
    from parmetrics.publish import publish as publish_marts

    record = publish_marts(paths(), run_id=run_id, parquet=False)
    return {
        "checksum": record["file_checksum"],
        "row_counts": record["row_counts"],
        "published_at": record["published_at"],
    }


def publish_parquet(stamps: list[str]) -> dict[str, Any]:
    """The Parquet set of the newest publication in ``stamps`` (the triggering asset events'), or of the
    current one when there is none, written from its version file; ``published/parquet`` is switched to
    it if it is still the current publication. Older stamps of the same burst get no set: a rollback to
    one of them writes it then."""
    from parmetrics.publish import publish_parquet as write_set

    stamp = max(stamps) if stamps else None
    return {"parquet_set": write_set(paths(), stamp)}


def refresh_dbt_docs() -> dict[str, Any]:
    """dbt's static docs, regenerated only when the dbt project changed (``dbt docs generate`` reads
    the build file's catalog, so this runs in the DuckDB writer pool)."""
    from parmetrics.reports.generate import ensure_dbt_docs, reports_dir

    out_dir = reports_dir(paths())
    out_dir.mkdir(parents=True, exist_ok=True)
    return {"dbt_docs": str(ensure_dbt_docs(paths(), out_dir))}


def write_reports(stamps: list[str]) -> dict[str, Any]:
    """The Excel and HTML reports of each publication in ``stamps`` (the triggering asset events' —
    several when publications came faster than reports), or of the current one when there is none.

    Each report reads its publication's version file; a publication whose version was already pruned
    (``publish`` keeps the last few) is skipped with a warning rather than reported from another file.
    """
    from parmetrics.reports import generate_reports
    from parmetrics.reports.generate import publication_version

    written: dict[str, Any] = {}
    wanted = sorted(set(stamps)) or [None]
    for stamp in wanted:
        if stamp is not None and publication_version(paths(), stamp) is None:
            log.warning("publication %s is no longer kept under published/versions/: no report for it", stamp)
            written[stamp] = {"skipped": "version pruned"}
            continue
        files = generate_reports(paths(), stamp=stamp, dbt_docs=False)
        written[stamp or "current"] = {"workbook": str(files.workbook), "html": str(files.html)}
    return written
