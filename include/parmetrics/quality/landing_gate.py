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

Passing batches are recorded in ``ops.quality_results``; failing ones also in the GX Data Docs. A
failed suite keeps the batch out of landing (the previous version of that batch, if any, stays),
copies it to ``quarantine/<source>/<dataset>/rejected/`` for diagnosis (landing holds no personal data),
records every failed expectation in ``ops.quality_results`` and raises :class:`QualityGateError`.
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

from parmetrics.config import EXPECTATIONS_DIR, Paths
from parmetrics.landing.schemas import LANDING_SCHEMAS
from parmetrics.landing.writer import committed_batches
from parmetrics.quality.runner import (
    FailedExpectation,
    SuiteResult,
    build_data_docs,
    load_suite,
    record_and_raise,
    validate_frame,
)

log = logging.getLogger(__name__)
LANDING_SUITES_DIR = EXPECTATIONS_DIR / "landing"
MANIFEST_COUNTS = ("row_count", "api_total", "quarantined", "duplicates", "read")


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
) -> list[SuiteResult]:
    """Validate a batch against its suites.

    Validation runs in memory (a landing batch is validated on every extraction, thousands of times
    in a backfill); a suite that fails is validated again into the Data Docs store, so the docs show
    every rejected batch, and the docs are rebuilt.
    """
    docs_root = paths.root.resolve() / "gx" if docs else None
    con = open_batch_views(paths, source, dataset, batch_dir, manifest)
    try:
        results = [schema_result(con, source, dataset)]
        for suite in landing_suites(source, dataset):
            frame = con.execute(suite["meta"]["query"]).df()
            result = validate_frame(frame, suite)
            if not result.success and docs_root is not None:
                result = validate_frame(frame, suite, docs_root=docs_root, run_name=run_name)
            results.append(result)
    finally:
        con.close()
    if docs_root is not None and any(not r.success for r in results):
        build_data_docs(docs_root)
    return results


def reject_batch(paths: Paths, source: str, dataset: str, batch_dir: Path, manifest: dict[str, Any]) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = paths.quarantine / source / dataset / "rejected" / f"batch={manifest['batch_id']}-{stamp}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(batch_dir, target)
    return target


def landing_gate(
    paths: Paths, source: str, dataset: str, *, run_id: str | None = None, docs: bool = True
) -> Callable[[Path, dict[str, Any]], None]:
    """The gate a ``BatchWriter`` calls before swapping a batch of ``source/dataset`` in."""

    def gate(batch_dir: Path, manifest: dict[str, Any]) -> None:
        results = validate_batch(paths, source, dataset, batch_dir, manifest, run_name=run_id, docs=docs)
        if any(not r.success for r in results):
            kept = reject_batch(paths, source, dataset, batch_dir, manifest)
            log.error("landing batch %s/%s %s rejected; kept in %s", source, dataset, manifest["batch_id"], kept)
        record_and_raise(paths, results, run_id=run_id, stage=f"landing:{source}.{dataset}")

    return gate
