"""The files that come from the catalogue, and a check that the committed ones are current.

- ``expectations/landing/<source>.<dataset>.json``: each dataset's row rules as a GX suite — contract
  rules with severity ``critical``, anomaly checks with ``warning``, each expectation's ``meta.notes``
  saying why it is of its kind. (Rules that are not about rows — the manifest's reconciliation, months
  against each other — are hand-written suites the dataset declares; see ``model.Suite``.)
- ``dbt_project/models/staging/_landing__sources.yml``: dbt ``sources:`` with every landing column and
  its DuckDB type, plus the landing zone's batch manifests. Each source table resolves to a view in the
  build file's ``landing`` schema, which ``macros/landing_views.sql`` (re)creates at the start of every
  dbt invocation from this file: over the committed batches, or typed and empty while none is there.

``python -m parmetrics.catalogue --write`` rewrites them; ``--check`` (and the catalogue test) fails
while a committed file differs from what the catalogue says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from parmetrics.catalogue.datasets import DATASETS, SOURCES
from parmetrics.catalogue.model import SEVERITY, Dataset, quote
from parmetrics.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from parmetrics.landing.writer import MANIFEST

LANDING_SUITES_DIR = EXPECTATIONS_DIR / "landing"
SOURCES_YAML = DBT_PROJECT_DIR / "models" / "staging" / "_landing__sources.yml"
GENERATED_BY = "python -m parmetrics.catalogue --write (from include/parmetrics/catalogue/datasets.py)"
# The build file's schema holding one view per source table (dbt_project/macros/landing_views.sql).
LANDING_SCHEMA = "landing"
# Columns the landing view adds to every Parquet row: where it was read from (staging derives the batch,
# the part file and the row from them, which break ties between versions of a record).
READER_COLUMNS = (
    {"name": "filename", "data_type": "varchar", "description": "The part file the row was read from."},
    {"name": "file_row_number", "data_type": "bigint", "description": "The row's position in that part file."},
)


def suite_name(dataset: Dataset, part: str | None = None) -> str:
    return f"landing.{dataset.full_name}" + (f".{part}" if part else "")


def suite_path(dataset: Dataset, part: str | None = None) -> Path:
    return LANDING_SUITES_DIR / (suite_name(dataset, part).removeprefix("landing.") + ".json")


def landing_suite(dataset: Dataset) -> dict[str, Any]:
    """The GX suite of ``dataset``'s row rules, over the batch being landed (view ``batch``)."""
    rules = dataset.rules()
    wanted = set(dataset.key)
    for _, rule in rules:
        wanted.update(rule.columns)
    columns = [quote(c) for c in dataset.column_names if c in wanted]
    derived = [d for _, r in rules if (d := r.derived_column(dataset.subject_sql()))]
    expectations = []
    for kind, rule in rules:
        kind_name, kwargs = rule.expectation()
        expectations.append(
            {
                "type": kind_name,
                "kwargs": kwargs,
                "severity": SEVERITY[kind],
                "meta": {"kind": kind, "rule": rule.rule_id, "notes": rule.why},
            }
        )
    return {
        "name": suite_name(dataset),
        "meta": {
            "query": f"select {', '.join(columns + derived)} from batch",
            "notes": dataset.notes,
            "generated_by": GENERATED_BY,
        },
        "expectations": expectations,
    }


def duckdb_type(t: pa.DataType) -> str:
    if pa.types.is_string(t):
        return "varchar"
    if pa.types.is_int32(t):
        return "integer"
    if pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_list(t):
        return duckdb_type(t.value_type) + "[]"
    if pa.types.is_struct(t):
        return "struct(" + ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in t) + ")"
    raise ValueError(f"no DuckDB type for Arrow {t}")


def dbt_sources() -> dict[str, Any]:
    sources = []
    for source in SOURCES:
        tables = []
        for d in (d for d in DATASETS if d.source == source):
            meta: dict[str, Any] = {
                "landing_path": d.landing_path,
                "batches": "batch=*/*.parquet",
                "format": "parquet",
                "key": list(d.key),
                "version_column": d.version_column,
            }
            if d.personal_fields:
                meta["personal_fields_removed"] = list(d.personal_fields)
            tables.append(
                {
                    "name": d.name,
                    "identifier": f"{source.name}__{d.name}",
                    "description": d.description,
                    "meta": meta,
                    "columns": [
                        {"name": f.name, "data_type": duckdb_type(f.type), "description": f.description}
                        for f in d.fields
                    ]
                    + [dict(c) for c in READER_COLUMNS],
                }
            )
        sources.append(
            {
                "name": source.name,
                "description": source.description,
                "schema": LANDING_SCHEMA,
                "meta": {"kind": source.kind, "asset": source.asset_name},
                "tables": tables,
            }
        )
    sources.append(
        {
            "name": "landing",
            "description": "The landing zone's own record of what it holds (landing/writer.py).",
            "schema": LANDING_SCHEMA,
            "tables": [
                {
                    "name": "batch_manifests",
                    "identifier": "landing__batch_manifests",
                    "description": f"One `{MANIFEST}` per committed batch of every dataset: its window, row count, "
                    "committed_at and the checksum of every part file. A batch being written has none yet.",
                    "meta": {"landing_path": "landing", "batches": f"*/*/batch=*/{MANIFEST}", "format": "text"},
                    "columns": [
                        {"name": "filename", "data_type": "varchar", "description": "The manifest's path."},
                        {"name": "content", "data_type": "varchar", "description": "The manifest's JSON text."},
                    ],
                }
            ],
        }
    )
    return {"version": 2, "sources": sources}


def generated_files() -> dict[Path, str]:
    files = {suite_path(d): json.dumps(landing_suite(d), indent=2, ensure_ascii=False) + "\n" for d in DATASETS}
    header = (
        f"# Generated by {GENERATED_BY}: do not edit.\n"
        "# The landing datasets as dbt sources, each a view of the build file's landing schema that\n"
        "# macros/landing_views.sql creates from this file (typed and empty while nothing has landed).\n"
    )
    files[SOURCES_YAML] = header + yaml.safe_dump(dbt_sources(), sort_keys=False, allow_unicode=True, width=110)
    return files


def stale_files() -> list[Path]:
    """Committed files that differ from what the catalogue generates (missing ones included)."""
    return [p for p, text in generated_files().items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def write_files() -> list[Path]:
    written = []
    for path, text in generated_files().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
