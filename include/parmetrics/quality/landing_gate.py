"""The landing half of the quality gate: every new batch is validated before it becomes visible.

A batch is checked while it is still hidden (``BatchWriter`` calls the gate before its swap), against
the suites in ``expectations/landing/<source>.<dataset>*.json``. Each suite's ``meta.query`` is SQL
over views that this module registers in an in-memory DuckDB:

- ``batch``: the rows of the batch being committed;
- ``manifest``: one row with the batch's counts (``row_count``, ``api_total``, ``quarantined``, …);
- ``landing_<source>_<dataset>``: every committed batch of every dataset (for the batch's own dataset,
  the other batches), so cross-row rules (a code known to the reference data, a revenue drop against
  the previous period) are computed in SQL first, then validated as a frame (ARCHITECTURE.md: GX's
  SQL datasource is wrong on DuckDB).

Two kinds of rules (ARCHITECTURE.md), told apart by each expectation's GX ``severity``:

- a failed **contract** rule (``critical``) keeps the batch out of landing (the previous version of
  that batch, if any, stays), copies it to ``quarantine/<source>/<dataset>/rejected/`` for diagnosis
  (landing holds no personal data) and raises :class:`QualityGateError` naming suite and expectation.
  Record-based sources check the same rules per record first (``landing/contract.py``), so for them
  this is the last line, not the usual one;
- a failed **anomaly** check (``warning``) lands the batch anyway: it is recorded and shown in the GX
  Data Docs, never a rejection and never a failed run.

Every failed expectation becomes one ``ops.quality_results`` record with ``severity``, ``stage``
(``landing``), ``suite``, ``expectation``, ``subject`` (``<source>/<dataset>/batch=<id>``, or the file
a file drop came from), a one-line ``message`` and the observed value, counts and a sample of the
failing values (rule columns only: keys, codes, units — landing holds no personal data). A suite that
passes whole keeps its one success record.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from parmetrics import ops
from parmetrics.config import EXPECTATIONS_DIR, Paths
from parmetrics.landing.schemas import LANDING_SCHEMAS
from parmetrics.landing.writer import Gate, committed_batches
from parmetrics.quality.errors import QualityGateError
from parmetrics.quality.runner import (
    FailedExpectation,
    SuiteResult,
    build_data_docs,
    load_suite,
    validate_frame,
)

log = logging.getLogger(__name__)
LANDING_SUITES_DIR = EXPECTATIONS_DIR / "landing"
MANIFEST_COUNTS = ("row_count", "api_total", "quarantined", "duplicates", "read")
STAGE = "landing"
CRITICAL, WARNING = "critical", "warning"


def landing_suites(source: str, dataset: str) -> list[dict[str, Any]]:
    own = [LANDING_SUITES_DIR / f"{source}.{dataset}.json", *LANDING_SUITES_DIR.glob(f"{source}.{dataset}.*.json")]
    return [load_suite(p) for p in sorted(set(own)) if p.exists()]


def _register_dataset(con: duckdb.DuckDBPyConnection, view: str, schema: pa.Schema, batches: list[Path]) -> None:
    files = sorted(str(f) for b in batches for f in b.glob("*.parquet"))
    if files:
        con.execute(
            f"create or replace view {view} as select * from "
            f"read_parquet({files!r}, union_by_name = true, hive_partitioning = false)"
        )
    else:
        # An empty, typed relation: a rule over a dataset nothing has landed in yet still runs.
        con.register(f"{view}_empty", pa.Table.from_pylist([], schema=schema))
        con.execute(f"create or replace view {view} as select * from {view}_empty")


def open_batch_views(
    paths: Paths, source: str, dataset: str, batch_dir: Path, manifest: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    _register_dataset(con, "batch", LANDING_SCHEMAS[(source, dataset)], [batch_dir])
    counts = {k: manifest.get(k) for k in MANIFEST_COUNTS}
    con.register("manifest_rows", pa.Table.from_pylist([counts], schema=pa.schema([(k, pa.int64()) for k in counts])))
    con.execute("create or replace view manifest as select * from manifest_rows")
    this_batch = f"batch={manifest['batch_id']}"
    for (src, ds), schema in LANDING_SCHEMAS.items():
        batches = committed_batches(paths.dataset_landing(src, ds))
        if (src, ds) == (source, dataset):
            batches = [b for b in batches if b.name != this_batch]
        _register_dataset(con, f"landing_{src}_{ds}", schema, batches)
    return con


def schema_result(con: duckdb.DuckDBPyConnection, source: str, dataset: str) -> SuiteResult:
    """The batch's columns are exactly the landing schema's (names; the writer casts the types).

    Checked directly rather than through GX: it runs for every batch, and a GX suite costs ~0.4 s.
    """
    expected = LANDING_SCHEMAS[(source, dataset)].names
    columns = [c for (c,) in con.execute("select column_name from (describe batch)").fetchall()]
    failures = []
    if columns != expected:
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        failures.append(
            FailedExpectation(
                expectation="expect_table_columns_to_match_ordered_list",
                column=None,
                kwargs={"column_list": expected},
                observed={"missing": missing, "unexpected": extra},
                unexpected_count=len(missing) + len(extra),
                sample=(missing + extra)[:5],
            )
        )
    return SuiteResult(suite=f"landing.{source}.{dataset}.schema", rows=len(columns), evaluated=1, failures=failures)


def validate_batch(
    paths: Paths,
    source: str,
    dataset: str,
    batch_dir: Path,
    manifest: dict[str, Any],
    *,
    run_name: str | None = None,
    docs: bool = True,
) -> list[tuple[SuiteResult, dict[str, Any] | None]]:
    """Validate a batch against its suites: (result, suite definition) per suite (None: the schema check).

    Validation runs in memory (a landing batch is validated on every extraction, thousands of times
    in a backfill); a suite with a failed expectation (contract or anomaly) is validated again into the
    Data Docs store, so the docs show every rejected batch and every warning, and the docs are rebuilt.
    """
    docs_root = paths.root.resolve() / "gx" if docs else None
    con = open_batch_views(paths, source, dataset, batch_dir, manifest)
    try:
        results: list[tuple[SuiteResult, dict[str, Any] | None]] = [(schema_result(con, source, dataset), None)]
        for suite in landing_suites(source, dataset):
            frame = con.execute(suite["meta"]["query"]).df()
            result = validate_frame(frame, suite)
            if not result.success and docs_root is not None:
                result = validate_frame(frame, suite, docs_root=docs_root, run_name=run_name)
            results.append((result, suite))
    finally:
        con.close()
    if docs_root is not None and any(not r.success for r, _ in results):
        build_data_docs(docs_root)
    return results


def expectation_meta(suite: dict[str, Any] | None, failure: FailedExpectation) -> tuple[str, dict[str, Any]]:
    """(severity, meta) of the suite's expectation that ``failure`` reports. GX hands back the kwargs it
    was given (plus its own ``batch_id``), so type and kwargs find it; an expectation without a
    severity is critical, GX's own default."""
    if suite is None:
        return CRITICAL, {"kind": "contract", "rule": "columns", "notes": "the landing schema's columns"}
    for e in suite["expectations"]:
        if e["type"] == failure.expectation and e.get("kwargs", {}) == failure.kwargs:
            return str(e.get("severity", CRITICAL)), e.get("meta", {})
    return CRITICAL, {}


def subject_of(source: str, dataset: str, manifest: dict[str, Any]) -> str:
    """What a result is about: the file a file drop came from, else the batch (relative to the data dir)."""
    return str(manifest.get("source_file") or f"{source}/{dataset}/batch={manifest['batch_id']}")


def failure_message(
    subject: str, batch: str, suite: str, failure: FailedExpectation, severity: str, meta: dict[str, Any], rows: int
) -> str:
    rule = meta.get("rule") or failure.column or failure.expectation
    count = f"{failure.unexpected_count} of {rows} rows" if failure.unexpected_count is not None else "the batch"
    # A not-null expectation's sample is the nulls themselves: nothing worth quoting.
    sample = ", ".join(str(s) for s in failure.sample[:3] if s is not None and s == s)
    example = f" (e.g. {sample})" if sample else ""
    if failure.unexpected_count is None and failure.observed is not None:
        example = f" (observed {failure.observed!r})"
    where = subject if subject == batch else f"{subject} ({batch})"
    if severity == WARNING:
        outcome = "landed anyway: an anomaly check only warns"
    else:
        outcome = "not landed: it breaks a contract rule"
    return " ".join(f"{where}: {suite} {rule} failed for {count}{example}; {outcome}".split())


def record_landing_results(
    paths: Paths,
    source: str,
    dataset: str,
    manifest: dict[str, Any],
    results: list[tuple[SuiteResult, dict[str, Any] | None]],
    *,
    run_id: str | None,
) -> list[tuple[str, str]]:
    """Write every outcome to ``ops.quality_results``; returns (severity, message) of each failure."""
    subject = subject_of(source, dataset, manifest)
    batch = f"{source}/{dataset}/batch={manifest['batch_id']}"
    common = {"run_id": run_id, "stage": STAGE, "subject": subject, "source": source, "dataset": dataset}
    common["batch_id"] = manifest["batch_id"]
    outcomes = []
    for result, suite in results:
        for f in result.failures:
            severity, meta = expectation_meta(suite, f)
            message = failure_message(subject, batch, result.suite, f, severity, meta, result.rows)
            outcomes.append((severity, message))
            ops.write_record(
                paths,
                "quality_results",
                {
                    **common,
                    "suite": result.suite,
                    "expectation": f.expectation,
                    "rule": meta.get("rule"),
                    "column": f.column,
                    "kwargs": f.kwargs,
                    "success": False,
                    "severity": severity,
                    "message": message,
                    "observed_value": _jsonable(f.observed),
                    "unexpected_count": f.unexpected_count,
                    "failing_row_sample": f.sample,
                },
            )
        if result.success:
            ops.write_record(
                paths,
                "quality_results",
                {
                    **common,
                    "suite": result.suite,
                    "expectation": "*",
                    "success": True,
                    "observed_value": f"{result.evaluated} expectations passed on {result.rows} rows",
                    "message": f"{subject}: {result.suite} passed ({result.evaluated} expectations)",
                },
            )
    return outcomes


def _jsonable(value: Any) -> Any:
    import json

    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def reject_batch(paths: Paths, source: str, dataset: str, batch_dir: Path, manifest: dict[str, Any]) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = paths.quarantine / source / dataset / "rejected" / f"batch={manifest['batch_id']}-{stamp}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(batch_dir, target)
    return target


def landing_gate(paths: Paths, source: str, dataset: str, *, run_id: str | None = None, docs: bool = True) -> Gate:
    """The gate a ``BatchWriter`` calls before swapping a batch of ``source/dataset`` in."""

    def gate(batch_dir: Path, manifest: dict[str, Any]) -> None:
        results = validate_batch(paths, source, dataset, batch_dir, manifest, run_name=run_id, docs=docs)
        outcomes = record_landing_results(paths, source, dataset, manifest, results, run_id=run_id)
        for severity, message in outcomes:
            (log.warning if severity == WARNING else log.error)("%s", message)
        critical = [
            (result.suite, f)
            for result, suite in results
            for f in result.failures
            if expectation_meta(suite, f)[0] == CRITICAL
        ]
        if critical:
            kept = reject_batch(paths, source, dataset, batch_dir, manifest)
            log.error("landing batch %s/%s %s rejected; kept in %s", source, dataset, manifest["batch_id"], kept)
            suites: dict[str, list[str]] = {}
            for suite_name, f in critical:
                suites.setdefault(suite_name, []).append(f.describe())
            lines = [f"suite {name}: " + "; ".join(described) for name, described in suites.items()]
            raise QualityGateError("quality gate failed — " + " | ".join(lines))

    return gate


GateFactory = Callable[[str, str], Gate]


def landing_gates(paths: Paths, *, run_id: str | None = None, docs: bool = True) -> GateFactory:
    """``gates(source, dataset)`` → the landing gate of that dataset: what orchestration hands to an
    extractor, which hands it to its ``BatchWriter``."""

    def gates(source: str, dataset: str) -> Gate:
        return landing_gate(paths, source, dataset, run_id=run_id, docs=docs)

    return gates
