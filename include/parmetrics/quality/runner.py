"""Running Great Expectations suites (reviewable JSON in ``expectations/``) on DataFrames.

GX's SQL datasource gives wrong results on DuckDB (ARCHITECTURE.md), so every suite validates a
pandas DataFrame pulled from DuckDB with the ephemeral context. Outcomes go to ``ops.quality_results``
(one record per failed expectation, with a sample of failing rows); a failed suite raises
:class:`QualityGateError`, whose message names the suite and the expectations. Data Docs are rendered
from the validations kept under the data directory.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from parmetrics import ops
from parmetrics.config import Paths
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
        if self.sample and all(isinstance(row, dict) for row in self.sample):
            # Named rows (a suite's ``meta.id_columns``): every one, with its numbers.
            example = ": " + ", ".join(" ".join(f"{k}={v}" for k, v in row.items()) for row in self.sample)
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
    # The validation result as Data Docs store it (with a docs root): rendered by build_data_docs.
    docs_resource: Any = None

    @property
    def success(self) -> bool:
        return not self.failures


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
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}
    # A frame of one row per thing checked (e.g. one per mart) names its failing rows by these columns.
    id_columns = suite_def.get("meta", {}).get("id_columns")
    if id_columns:
        result_format["unexpected_index_column_names"] = list(id_columns)
    docs_resource = None
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
        docs_resource, result = next(iter(run.run_results.items()))
    failures = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        res = r.result or {}
        error = (r.exception_info or {}).get("exception_message") if r.exception_info else None
        sample = res.get("partial_unexpected_index_list") if id_columns else None
        sample = sample or res.get("partial_unexpected_list") or []
        failures.append(
            FailedExpectation(
                expectation=cfg.type,
                column=cfg.kwargs.get("column") or cfg.kwargs.get("column_A"),
                kwargs={k: v for k, v in cfg.kwargs.items() if k != "batch_id"},
                observed=res.get("observed_value", error),
                unexpected_count=res.get("unexpected_count"),
                sample=[_jsonable(v) for v in sample[:SAMPLE_ROWS]],
            )
        )
    return SuiteResult(
        suite=name, rows=len(df), evaluated=len(result.results), failures=failures, docs_resource=docs_resource
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN: a missing number
        return None
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


def build_data_docs(docs_root: Path, resources: list[Any] | None = None) -> Path:
    """Render Data Docs for the validations kept under ``docs_root``; returns the index page.

    Only the newest runs of each suite are kept (building the index drops the pages of the others).
    With ``resources`` (a gate's new validation results) only their pages and the index are rendered:
    re-rendering every kept run of every suite at each gate cost seconds that the gate's own work, on a
    nightly build's changed rows, no longer does.
    """
    validations = docs_root / "uncommitted" / "validations"
    for suite_dir in validations.glob("*") if validations.exists() else []:
        # <suite>/<run name>/<run time>/: the run time sorts chronologically.
        runs = sorted((p for p in suite_dir.glob("*/*") if p.is_dir()), key=lambda p: p.name)
        for old in runs[:-KEEP_VALIDATION_RUNS]:
            shutil.rmtree(old, ignore_errors=True)
    context, _ = _context(docs_root)
    context.build_data_docs(resource_identifiers=[r for r in resources or [] if r is not None] or None)
    return docs_root / "uncommitted" / "data_docs" / "local_site" / "index.html"


def load_suite(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
