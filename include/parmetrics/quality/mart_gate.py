"""The mart gate: every suite of ``expectations/marts`` against the build file, before publication.

The build's marts are attached as ``build`` and the current publication, if any, as ``published``, so
a suite can compare the two; a suite with ``meta.incremental`` may validate only the rows that changed
(``quality/incremental.py``). Any failure raises :class:`QualityGateError` and the last good
publication stays.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from parmetrics.config import Paths, reference_now
from parmetrics.quality.incremental import incremental_frame, same_shape, table_shape, trusted_suites
from parmetrics.quality.runner import (
    FailedExpectation,
    SuiteResult,
    build_data_docs,
    load_suite,
    record_and_raise,
    validate_frame,
)
from parmetrics.quality.suites import (
    columns_read,
    columns_read_for_nullness,
    incremental_key,
    mart_suites,
    suite_fingerprint,
)

log = logging.getLogger(__name__)


SIZE_COLUMNS = [
    "table_name",
    "rows",
    "previous_rows",
    "rows_vs_previous",
    "units",
    "previous_units",
    "units_vs_previous",
]


def _size(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> tuple[int, int] | None:
    """(rows, distinct unit codes) of ``<catalog>.<table>``, or None when the catalog has no such table."""
    schema, name = table.split(".")
    columns = {
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ?",
            [catalog, schema, name],
        ).fetchall()
    }
    if not columns:
        return None
    units = "count(distinct unit_code)" if "unit_code" in columns else "0"
    rows, unit_count = con.execute(f"select count(*), {units} from {catalog}.{table}").fetchone()
    return int(rows), int(unit_count)


def publication_size_frame(con: duckdb.DuckDBPyConnection, tables: list[str]) -> pd.DataFrame:
    """One row per mart in ``tables``: its rows and units in the build and in the current publication.

    A mart missing from the build counts as empty; the ratios are null when there is no previous
    publication of the mart (or it was empty), so the first publication is held only to "not empty".
    """
    rows = []
    for table in tables:
        new_rows, new_units = _size(con, "build", table) or (0, 0)
        previous = _size(con, "published", table)
        old_rows, old_units = previous if previous else (None, None)
        rows.append(
            {
                "table_name": table,
                "rows": new_rows,
                "previous_rows": old_rows,
                "rows_vs_previous": new_rows / old_rows if old_rows else None,
                "units": new_units,
                "previous_units": old_units,
                "units_vs_previous": new_units / old_units if old_units else None,
            }
        )
    return pd.DataFrame(rows, columns=SIZE_COLUMNS).astype({"rows_vs_previous": float, "units_vs_previous": float})


def _suite_frame(con: duckdb.DuckDBPyConnection, suite_def: dict[str, Any]) -> pd.DataFrame:
    meta = suite_def["meta"]
    if meta.get("frame") == "publication_size":
        return publication_size_frame(con, meta["tables"])
    query = meta.get("query") or f"select * from {meta['table']}"
    now = reference_now().isoformat(sep=" ")
    return con.execute(query.replace("{reference_now}", f"timestamp '{now}'")).df()


def marts_file(paths: Paths) -> Path:
    """The file holding the build's marts: their own file when dbt built one, else the build file."""
    return paths.marts_db if paths.marts_db.exists() else paths.build_db


def _attach_build(con: duckdb.DuckDBPyConnection, marts: Path, warehouse: Path) -> None:
    """The marts as catalog ``build`` (the default), the rest of the build as ``warehouse``, and a search
    path through both, so a suite's query names ``marts.x`` and ``staging.y`` wherever dbt put them."""
    con.execute(f"attach '{marts}' as build (read_only)")
    catalogs = ["build"]
    if warehouse != marts and warehouse.exists():
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        catalogs.append("warehouse")
    schemas = con.execute(
        "select database_name, schema_name from duckdb_schemas() where database_name in ('build', 'warehouse') "
        "order by database_name = 'warehouse', schema_name"
    ).fetchall()
    con.execute("use build")
    con.execute(f"set search_path = '{','.join(f'{c}.{s}' for c, s in schemas)}'")


def run_mart_gate(
    paths: Paths,
    *,
    run_id: str | None = None,
    database: Path | None = None,
    docs: bool = True,
    incremental: bool = True,
) -> list[SuiteResult]:
    """Validate every mart suite against the build's marts (read-only); raise on any failure.

    The marts (``database``, default :func:`marts_file`) are attached as ``build`` (the default
    catalog, the rest of the build file beside them) and the current publication, if any, as
    ``published``, so a suite can compare the two. Suites that need a publication are skipped on the
    very first one.

    A suite with ``meta.incremental`` (row-level expectations only, see :func:`incremental_key`)
    validates only the rows whose verdict may differ from the current publication's when that
    publication passed the same suite (same fingerprint) and the mart has the same columns; otherwise,
    or with ``incremental=False``, every row. At 8M dossiers a nightly build changes a few thousand.
    """
    database = database or marts_file(paths)
    docs_root = paths.root.resolve() / "gx" if docs else None
    results = []
    # The gate's joins (the build against the publication, 8M rows a mart at 8M dossiers) spill past this
    # instead of growing: measured at 8M, 12.2 s and 2.5 GB peak with 2 GB against 13.1 s and 4.3 GB
    # without a limit. Spills go beside the build, not into the task's working directory.
    con = duckdb.connect(
        config={
            "memory_limit": os.environ.get("PARMETRICS_GATE_MEMORY_LIMIT", "2GB"),
            "temp_directory": str(paths.warehouse / "gate.tmp"),
        }
    )
    try:
        has_published = paths.published_db.exists()
        if has_published:
            con.execute(f"attach '{paths.published_db}' as published (read_only)")
        trusted = trusted_suites(con) if has_published and incremental else {}
        _attach_build(con, database, paths.build_db)
        for suite_path in mart_suites():
            suite_def = load_suite(suite_path)
            fingerprint = suite_fingerprint(suite_def)
            key = incremental_key(suite_def)
            table = suite_def["meta"].get("table")
            table_rows = None
            try:
                if key is not None and trusted.get(suite_def["name"]) == fingerprint and same_shape(con, table):
                    compared = columns_read(suite_def, [c for c, _ in table_shape(con, "build", table)])
                    nullness = columns_read_for_nullness(suite_def, compared)
                    frame = incremental_frame(con, table, key, compared, nullness)
                    table_rows = con.execute(f"select count(*) from build.{table}").fetchone()[0]
                else:
                    frame = _suite_frame(con, suite_def)
            except duckdb.Error as exc:
                # A mart that is missing or changed shape fails its suite instead of crashing the gate.
                failure = FailedExpectation("query", None, {}, str(exc).splitlines()[0], None)
                results.append(SuiteResult(suite=suite_def["name"], rows=0, evaluated=1, failures=[failure]))
                continue
            result = validate_frame(frame, suite_def, docs_root=docs_root, run_name=run_id)
            result.table_rows, result.fingerprint = table_rows, fingerprint
            scope = f"{result.rows} changed rows of {table_rows}" if table_rows is not None else f"{result.rows} rows"
            log.info("suite %s on %s: %s", result.suite, scope, "passed" if result.success else "FAILED")
            results.append(result)
    finally:
        con.close()
    if docs_root is not None:
        log.info("Data Docs: %s", build_data_docs(docs_root, [r.docs_resource for r in results]))
    record_and_raise(paths, results, run_id=run_id, stage="marts")
    return results
