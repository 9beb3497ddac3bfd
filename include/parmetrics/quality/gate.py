"""The quality gate: Great Expectations suites (reviewable JSON in ``expectations/``) on DataFrames.

GX's SQL datasource gives wrong results on DuckDB (ARCHITECTURE.md), so every suite validates a
pandas DataFrame pulled from DuckDB with the ephemeral context. A failed suite is recorded in
``ops.quality_results`` (one record per failed expectation, with a sample of failing rows) and raises
:class:`QualityGateError`, whose message names the suite and the expectations.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from parmetrics import ops
from parmetrics.config import EXPECTATIONS_DIR, Paths, reference_now
from parmetrics.quality.errors import QualityGateError

log = logging.getLogger(__name__)
SAMPLE_ROWS = 5


@dataclass
class FailedExpectation:
    expectation: str
    column: str | None
    kwargs: dict[str, Any]
    observed: Any
    unexpected_count: int | None
    sample: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        target = f"({self.column})" if self.column else ""
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count is not None else ""
        observed = f", observed {self.observed!r}" if self.observed is not None else ""
        example = f", e.g. {self.sample[0]}" if self.sample else ""
        return f"{self.expectation}{target}{count}{observed}{example}"


@dataclass
class SuiteResult:
    suite: str
    rows: int
    evaluated: int
    failures: list[FailedExpectation]
    # Set when only the rows that differ from the current publication were validated (see
    # incremental_frame): the table's full size, for the record.
    table_rows: int | None = None
    fingerprint: str | None = None

    @property
    def success(self) -> bool:
        return not self.failures


def load_suite(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def suite_fingerprint(suite_def: dict[str, Any]) -> str:
    """What a suite checks, as a hash: rows passed under one fingerprint are not trusted under another."""
    canonical = json.dumps(
        {"expectations": suite_def["expectations"], "meta": suite_def.get("meta", {})}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# Expectations that hold for a table when they hold for each of its rows (or, for uniqueness, for
# each group of rows sharing the incremental key): the only ones a suite may hold to be validated
# on changed rows. The table's column list is the same in every frame drawn from it.
ROW_LEVEL = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_value_lengths_to_equal",
        "expect_column_value_lengths_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
    }
)
UNIQUENESS = {"expect_column_values_to_be_unique": "column", "expect_compound_columns_to_be_unique": "column_list"}


def incremental_key(suite_def: dict[str, Any]) -> list[str] | None:
    """The key of a suite that may validate only changed rows, or None if it must see the whole table.

    A suite opts in with a non-empty ``meta.incremental.key`` and qualifies only if every expectation is row-level
    without ``mostly`` (a share of the table) and every uniqueness expectation covers the key, so that
    all rows that could duplicate a changed row share its key and are in the frame.
    """
    incremental = suite_def.get("meta", {}).get("incremental")
    if not incremental or "table" not in suite_def["meta"]:
        return None
    key = list(incremental["key"])
    if not key:
        return None
    for e in suite_def["expectations"]:
        kwargs = e.get("kwargs", {})
        if "mostly" in kwargs:
            return None
        if e["type"] in UNIQUENESS:
            columns = kwargs[UNIQUENESS[e["type"]]]
            columns = [columns] if isinstance(columns, str) else columns
            if not set(key) <= set(columns):
                return None
        elif e["type"] not in ROW_LEVEL:
            return None
    return key


def mart_suites() -> list[Path]:
    return sorted((EXPECTATIONS_DIR / "marts").glob("*.json"))


@cache
def _context(docs_root: Path | None):
    """A GX context; with ``docs_root``, results and Data Docs are kept as files under it.

    The context itself stays ephemeral (no project file rewritten by concurrent tasks); only its
    stores are on disk, so every validation adds its result to the Data Docs a person can open at
    ``<docs_root>/uncommitted/data_docs/local_site/index.html``.
    """
    # GX is slow to import (~3.5 s) and chatty at INFO; import it only when a gate runs.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = (
        FilesystemStoreBackendDefaults(root_directory=str(docs_root))
        if docs_root
        else InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    )
    config = DataContextConfig(
        store_backend_defaults=defaults,
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    batch_definition = (
        context.data_sources.add_pandas("frames")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    return context, batch_definition


def validate_frame(
    df: pd.DataFrame, suite_def: dict[str, Any], *, docs_root: Path | None = None, run_name: str | None = None
) -> SuiteResult:
    """Validate one DataFrame against one suite definition (recorded in Data Docs under ``docs_root``)."""
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.core.run_identifier import RunIdentifier

    context, batch_definition = _context(docs_root)
    name = suite_def["name"]
    # GX stores a dotted name as nested folders; its own copy of the suite gets a flat name.
    gx_name = name.replace(".", "__")
    suite = context.suites.add_or_update(
        ExpectationSuite(name=gx_name, expectations=suite_def["expectations"], meta=suite_def.get("meta", {}))
    )
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}
    if docs_root is None:
        result = batch_definition.get_batch(batch_parameters={"dataframe": df}).validate(
            suite, result_format=result_format
        )
    else:
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=gx_name, data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=gx_name,
                validation_definitions=[definition],
                actions=[],
                result_format=result_format,
            )
        )
        run = checkpoint.run(batch_parameters={"dataframe": df}, run_id=RunIdentifier(run_name=run_name or "adhoc"))
        result = next(iter(run.run_results.values()))
    failures = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        res = r.result or {}
        error = (r.exception_info or {}).get("exception_message") if r.exception_info else None
        failures.append(
            FailedExpectation(
                expectation=cfg.type,
                column=cfg.kwargs.get("column") or cfg.kwargs.get("column_A"),
                kwargs={k: v for k, v in cfg.kwargs.items() if k != "batch_id"},
                observed=res.get("observed_value", error),
                unexpected_count=res.get("unexpected_count"),
                sample=[_jsonable(v) for v in (res.get("partial_unexpected_list") or [])[:SAMPLE_ROWS]],
            )
        )
    return SuiteResult(suite=name, rows=len(df), evaluated=len(result.results), failures=failures)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def record_and_raise(paths: Paths, results: list[SuiteResult], *, run_id: str | None, stage: str) -> None:
    """Write every expectation outcome of failed suites to ops.quality_results; raise if any failed."""
    failed = [r for r in results if not r.success]
    for r in results:
        for f in r.failures:
            ops.write_record(
                paths,
                "quality_results",
                {
                    "run_id": run_id,
                    "stage": stage,
                    "suite": r.suite,
                    "expectation": f.expectation,
                    "column": f.column,
                    "kwargs": f.kwargs,
                    "success": False,
                    "observed_value": _jsonable(f.observed),
                    "unexpected_count": f.unexpected_count,
                    "failing_row_sample": f.sample,
                },
            )
        if r.success:
            scope = f"{r.rows} rows" if r.table_rows is None else f"{r.rows} changed rows of {r.table_rows}"
            record = {
                "run_id": run_id,
                "stage": stage,
                "suite": r.suite,
                "expectation": "*",
                "success": True,
                "observed_value": f"{r.evaluated} expectations passed on {scope}",
            }
            if r.fingerprint:
                # The next gate trusts this publication's rows only under the same suite.
                record["suite_fingerprint"] = r.fingerprint
            ops.write_record(paths, "quality_results", record)
    if failed:
        lines = [f"suite {r.suite}: " + "; ".join(f.describe() for f in r.failures) for r in failed]
        raise QualityGateError("quality gate failed — " + " | ".join(lines))


KEEP_VALIDATION_RUNS = 30


def build_data_docs(docs_root: Path) -> Path:
    """Render Data Docs for the validations kept under ``docs_root``; returns the index page.

    Only the newest runs of each suite are kept, so rendering stays quick as the history grows.
    """
    validations = docs_root / "uncommitted" / "validations"
    for suite_dir in validations.glob("*") if validations.exists() else []:
        # <suite>/<run name>/<run time>/: the run time sorts chronologically.
        runs = sorted((p for p in suite_dir.glob("*/*") if p.is_dir()), key=lambda p: p.name)
        for old in runs[:-KEEP_VALIDATION_RUNS]:
            shutil.rmtree(old, ignore_errors=True)
    context, _ = _context(docs_root)
    context.build_data_docs()
    return docs_root / "uncommitted" / "data_docs" / "local_site" / "index.html"


# The lists of dossiers open at as_of follow the clock: a due-soon list that empties is news, not a broken
# extraction, so the row-count rule leaves them out.
OPEN_DOSSIER_LISTS = ("due_soon_dossiers", "overdue_dossiers")


def row_count_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Exact row counts of every mart but the open-dossier lists in the build and in the previous publication."""
    rows = []
    tables = con.execute(
        "select table_name from duckdb_tables() where database_name = 'build' and schema_name = 'marts' order by 1"
    ).fetchall()
    published = {
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'published' and schema_name = 'marts'"
        ).fetchall()
    }
    for (table,) in tables:
        if table in OPEN_DOSSIER_LISTS:
            continue
        new = con.execute(f"select count(*) from build.marts.{table}").fetchone()[0]
        old = con.execute(f"select count(*) from published.marts.{table}").fetchone()[0] if table in published else None
        ratio = new / old if old else None
        rows.append({"table_name": table, "rows": new, "previous_rows": old, "ratio_to_previous": ratio})
    return pd.DataFrame(rows, columns=["table_name", "rows", "previous_rows", "ratio_to_previous"])


def trusted_suites(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Suite → fingerprint of every mart suite whose last outcome in the current publication was a pass.

    A publication carries ``ops.quality_results`` as of itself, so its last mart-stage record of a suite
    is the gate that let it be published. Publications from before fingerprints were recorded (or
    without the table) trust nothing.
    """
    try:
        rows = con.execute(
            """
            select suite, success, suite_fingerprint from (
                select *, row_number() over (partition by suite order by recorded_at desc, success) as latest
                from published.ops.quality_results where stage = 'marts'
            ) where latest = 1
            """
        ).fetchall()
    except duckdb.Error:
        return {}
    return {suite: fingerprint for suite, success, fingerprint in rows if success and fingerprint}


def _same_shape(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """The table exists in the build and has the same columns, in order and type, in the publication."""
    schema, name = table.split(".")
    shapes = [
        con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
            [catalog, schema, name],
        ).fetchall()
        for catalog in ("build", "published")
    ]
    return bool(shapes[0]) and shapes[0] == shapes[1]


def incremental_frame(con: duckdb.DuckDBPyConnection, table: str, key: list[str]) -> pd.DataFrame:
    """The rows of ``build.<table>`` that are not in ``published.<table>`` (as a multiset, so a row
    duplicated in the build counts as changed), with every build row sharing their key.

    The published rows passed this suite when they were published; a nightly build changes few of them.
    Keys are matched with ``is not distinct from`` so a changed row with a null key is in the frame.
    """
    changed = f"select * from build.{table} except all select * from published.{table}"
    match = " and ".join(f"b.{k} is not distinct from c.{k}" for k in key)
    return con.execute(
        f"with changed as ({changed}) select b.* from build.{table} b semi join changed c on {match}"
    ).df()


def _suite_frame(con: duckdb.DuckDBPyConnection, suite_def: dict[str, Any]) -> pd.DataFrame:
    meta = suite_def["meta"]
    if meta.get("frame") == "row_counts":
        return row_count_frame(con)
    query = meta.get("query") or f"select * from {meta['table']}"
    now = reference_now().isoformat(sep=" ")
    return con.execute(query.replace("{reference_now}", f"timestamp '{now}'")).df()


def run_mart_gate(
    paths: Paths,
    *,
    run_id: str | None = None,
    database: Path | None = None,
    docs: bool = True,
    incremental: bool = True,
) -> list[SuiteResult]:
    """Validate every mart suite against the build file (read-only); raise on any failure.

    The build is attached as ``build`` (and is the default catalog) and the current publication, if
    any, as ``published``, so a suite can compare the two. Suites that need a publication are skipped
    on the very first one.

    A suite with ``meta.incremental`` (row-level expectations only, see :func:`incremental_key`)
    validates only the rows that differ from the current publication when that publication passed the
    same suite (same fingerprint) and its table has the same columns; otherwise, or with
    ``incremental=False``, every row. At 8M dossiers a nightly build changes a few thousand of them.
    """
    database = database or paths.build_db
    docs_root = paths.root.resolve() / "gx" if docs else None
    results = []
    con = duckdb.connect()
    try:
        con.execute(f"attach '{database}' as build (read_only)")
        has_published = paths.published_db.exists()
        if has_published:
            con.execute(f"attach '{paths.published_db}' as published (read_only)")
        trusted = trusted_suites(con) if has_published and incremental else {}
        con.execute("use build")
        for suite_path in mart_suites():
            suite_def = load_suite(suite_path)
            if suite_def["meta"].get("requires_published") and not has_published:
                continue
            fingerprint = suite_fingerprint(suite_def)
            key = incremental_key(suite_def)
            table = suite_def["meta"].get("table")
            table_rows = None
            try:
                if key is not None and trusted.get(suite_def["name"]) == fingerprint and _same_shape(con, table):
                    frame = incremental_frame(con, table, key)
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
        log.info("Data Docs: %s", build_data_docs(docs_root))
    record_and_raise(paths, results, run_id=run_id, stage="marts")
    return results
