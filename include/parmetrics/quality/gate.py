"""The quality gate: Great Expectations suites (reviewable JSON in ``expectations/``) on DataFrames.

GX's SQL datasource gives wrong results on DuckDB (ARCHITECTURE.md), so every suite validates a
pandas DataFrame pulled from DuckDB with the ephemeral context. A failed suite is recorded in
``ops.quality_results`` (one record per failed expectation, with a sample of failing rows) and raises
:class:`QualityGateError`, whose message names the suite and the expectations.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from parmetrics import ops
from parmetrics.config import EXPECTATIONS_DIR, Paths

log = logging.getLogger(__name__)
SAMPLE_ROWS = 5


class QualityGateError(RuntimeError):
    """A suite failed; the message names the suite and each failed expectation."""


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

    @property
    def success(self) -> bool:
        return not self.failures


def load_suite(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def mart_suites() -> list[Path]:
    return sorted((EXPECTATIONS_DIR / "marts").glob("*.json"))


@cache
def _gx():
    # GX is slow to import (~3.5 s) and chatty at INFO; import it only when a gate runs.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("frames")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    return gx, context, batch_definition


def validate_frame(df: pd.DataFrame, suite_def: dict[str, Any]) -> SuiteResult:
    """Validate one DataFrame against one suite definition."""
    _, context, batch_definition = _gx()
    from great_expectations.core.expectation_suite import ExpectationSuite

    name = suite_def["name"]
    with contextlib.suppress(Exception):
        context.suites.delete(name)
    suite = context.suites.add(
        ExpectationSuite(name=name, expectations=suite_def["expectations"], meta=suite_def.get("meta", {}))
    )
    result = batch_definition.get_batch(batch_parameters={"dataframe": df}).validate(
        suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}
    )
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
            ops.write_record(
                paths,
                "quality_results",
                {
                    "run_id": run_id,
                    "stage": stage,
                    "suite": r.suite,
                    "expectation": "*",
                    "success": True,
                    "observed_value": f"{r.evaluated} expectations passed on {r.rows} rows",
                },
            )
    if failed:
        lines = [f"suite {r.suite}: " + "; ".join(f.describe() for f in r.failures) for r in failed]
        raise QualityGateError("quality gate failed — " + " | ".join(lines))


def run_mart_gate(paths: Paths, *, run_id: str | None = None, database: Path | None = None) -> list[SuiteResult]:
    """Validate every mart suite against the build file (read-only); raise on any failure."""
    database = database or paths.build_db
    results = []
    with duckdb.connect(str(database), read_only=True) as con:
        for suite_path in mart_suites():
            suite_def = load_suite(suite_path)
            table = suite_def["meta"]["table"]
            df = con.sql(f"select * from {table}").df()
            result = validate_frame(df, suite_def)
            log.info(
                "suite %s on %s rows: %s",
                result.suite,
                result.rows,
                "passed" if result.success else "FAILED",
            )
            results.append(result)
    record_and_raise(paths, results, run_id=run_id, stage="marts")
    return results
