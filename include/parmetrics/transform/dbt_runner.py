"""Running the dbt project as ONE process (DuckDB allows one writer per file; ARCHITECTURE.md).

A build is incremental by default: the dossier models replace only what the batches landed since the
last build touch (dbt_project/README.md, "Incremental builds"). ``build(paths, full_refresh=True)``
rebuilds every table from all of landing instead. :attr:`DbtResult.nodes` says, per model, how it ran
(merged incrementally, or rebuilt as a table), how many rows it wrote and how long it took — dbt-duckdb
reports no row counts, so they come from the build file itself (the incremental models log each merge
in ``intermediate.int_incremental_log``).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from parmetrics.config import DBT_PROJECT_DIR, Paths

log = logging.getLogger(__name__)


class DbtBuildError(RuntimeError):
    """dbt build failed; the message names the failing nodes."""


@dataclass(frozen=True)
class NodeRun:
    """One model (or seed) of a dbt invocation."""

    name: str
    materialized: str  # table, view, incremental, seed
    ran_incrementally: bool  # merged a scope into the existing table (False: built from scratch)
    rows_affected: int | None  # rows written: merged rows, or the table's rows; None for views
    seconds: float
    status: str


@dataclass(frozen=True)
class DbtResult:
    seconds: float
    target_path: Path
    statuses: dict[str, int]
    full_refresh: bool = False
    nodes: tuple[NodeRun, ...] = field(default=())

    @property
    def incremental_nodes(self) -> tuple[NodeRun, ...]:
        return tuple(n for n in self.nodes if n.ran_incrementally)

    def summary(self) -> dict[str, Any]:
        """A JSON-able digest for ops records and benchmarks."""
        return {
            "seconds": round(self.seconds, 2),
            "full_refresh": self.full_refresh,
            "model_seconds": round(sum(n.seconds for n in self.nodes), 2),
            "incremental": {
                n.name: {"rows": n.rows_affected, "seconds": round(n.seconds, 2)} for n in self.incremental_nodes
            },
            "rebuilt": {
                n.name: {"rows": n.rows_affected, "seconds": round(n.seconds, 2)}
                for n in self.nodes
                if not n.ran_incrementally and n.materialized in ("table", "incremental")
            },
        }

    def format_nodes(self, limit: int | None = None) -> str:
        """A table of the models, slowest first (for the backfill command and the bench)."""
        rows = sorted(self.nodes, key=lambda n: -n.seconds)[:limit]
        lines = [f"{'model':<40} {'how':<12} {'rows':>12} {'seconds':>8}"]
        for n in rows:
            how = "incremental" if n.ran_incrementally else ("view" if n.materialized == "view" else "rebuilt")
            count = "" if n.rows_affected is None else f"{n.rows_affected:,}"
            lines.append(f"{n.name:<40} {how:<12} {count:>12} {n.seconds:>8.2f}")
        return "\n".join(lines)


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env(paths: Paths) -> dict[str, str]:
    env = dict(os.environ)
    env["PARMETRICS_DATA_DIR"] = str(paths.root)
    env["DBT_PROFILES_DIR"] = str(DBT_PROJECT_DIR)
    # dbt's artefacts and logs go to the data directory, never into the repository.
    env["DBT_TARGET_PATH"] = str(paths.warehouse / "dbt_target")
    env["DBT_LOG_PATH"] = str(paths.warehouse / "dbt_logs")
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # dbt unit tests check the models' logic on typed-out fixtures, not the data: the test suite runs them
    # (tests/dbt/test_unit_tests.py); a pipeline build would only spend seconds repeating them.
    env.setdefault("DBT_EXCLUDE_RESOURCE_TYPES", "unit_test")
    return env


def run_dbt(paths: Paths, *args: str) -> DbtResult:
    """Run ``dbt <args>`` against the build file; raise :class:`DbtBuildError` naming failed nodes."""
    paths.warehouse.mkdir(parents=True, exist_ok=True)
    env = dbt_env(paths)
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR)]
    log.info("running %s", " ".join(cmd))
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    for line in proc.stdout.splitlines():
        log.info("dbt | %s", line)
    target = Path(env["DBT_TARGET_PATH"])
    statuses, failures = _summarise(target / "run_results.json")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-30:] + proc.stderr.splitlines()[-10:])
        named = "; ".join(failures[:10]) or "see the dbt log"
        raise DbtBuildError(f"dbt {args[0]} failed (exit {proc.returncode}): {named}\n{tail}")
    log.info("dbt %s finished in %.1f s: %s", args[0], seconds, statuses)
    nodes = node_runs(target, paths.build_db)
    return DbtResult(
        seconds=seconds,
        target_path=target,
        statuses=statuses,
        full_refresh="--full-refresh" in args,
        nodes=nodes,
    )


def _summarise(run_results: Path) -> tuple[dict[str, int], list[str]]:
    if not run_results.exists():
        return {}, []
    results = json.loads(run_results.read_text()).get("results", [])
    statuses: dict[str, int] = {}
    failures = []
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        if r["status"] in ("error", "fail"):
            failures.append(f"{r['unique_id']} ({r['status']}: {(r.get('message') or '').strip()[:200]})")
    return statuses, failures


def node_runs(target: Path, build_db: Path) -> tuple[NodeRun, ...]:
    """How each model and seed of the last invocation ran, from run_results.json, the manifest and the
    build file (row counts; the incremental merges of this invocation from int_incremental_log)."""
    run_results = target / "run_results.json"
    manifest = target / "manifest.json"
    if not run_results.exists() or not manifest.exists():
        return ()
    results = json.loads(run_results.read_text())
    invocation = results.get("metadata", {}).get("invocation_id")
    nodes = json.loads(manifest.read_text()).get("nodes", {})
    ran = [r for r in results.get("results", []) if r["unique_id"].split(".")[0] in ("model", "seed")]
    merged: dict[str, int] = {}
    counts: dict[str, int] = {}
    try:
        merged, counts = _row_counts(build_db, invocation, ran, nodes)
    except duckdb.Error as exc:  # the report is best effort: a build that succeeded stays a success
        log.warning("could not read row counts from %s: %s", build_db, exc)
    runs = []
    for r in ran:
        node = nodes.get(r["unique_id"], {})
        name = node.get("name", r["unique_id"].split(".")[-1])
        materialized = node.get("config", {}).get("materialized", "seed" if node.get("resource_type") == "seed" else "")
        runs.append(
            NodeRun(
                name=name,
                materialized=materialized,
                ran_incrementally=name in merged,
                rows_affected=merged.get(name, counts.get(name)),
                seconds=float(r.get("execution_time") or 0.0),
                status=r["status"],
            )
        )
    return tuple(runs)


def _row_counts(
    build_db: Path, invocation: str | None, ran: list[dict[str, Any]], nodes: dict[str, Any]
) -> tuple[dict[str, int], dict[str, int]]:
    """Rows merged by each incremental model in this invocation, and the row count of every other table."""
    merged: dict[str, int] = {}
    counts: dict[str, int] = {}
    if not build_db.exists():
        return merged, counts
    with duckdb.connect(str(build_db), read_only=True) as con:
        has_log = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'intermediate' "
            "and table_name = 'int_incremental_log'"
        ).fetchone()[0]
        if has_log:
            merged = dict(
                con.execute(
                    "select model, sum(rows_inserted) from intermediate.int_incremental_log "
                    "where invocation_id = ? group by model",
                    [invocation],
                ).fetchall()
            )
        tables = set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())
        for r in ran:
            node = nodes.get(r["unique_id"], {})
            key = (node.get("schema"), node.get("alias") or node.get("name"))
            if key in tables and node.get("name") not in merged:
                counts[node["name"]] = con.execute(f'select count(*) from "{key[0]}"."{key[1]}"').fetchone()[0]
    return merged, counts


UNIT_SAMPLE = 5


def warning_test_records(target: Path, build_db: Path) -> list[dict[str, Any]]:
    """One ``ops.quality_results`` record per dbt test of severity ``warn`` in the last invocation.

    Such a test is an anomaly check (ARCHITECTURE.md, *Two kinds of rules*): the build goes on and the
    data is published, so its outcome is recorded like the landing gate's warnings (``stage`` ``dbt``,
    ``severity`` ``warning``, a one-line ``message`` with the count) for the publication's report to
    show. A passing test is recorded too: the report takes the warnings of the newest build, and a build
    without any is its proof. A failing test's rows are counted per unit (its query is run again on the
    build file, read-only) so that the message says where to look.
    """
    run_results, manifest = target / "run_results.json", target / "manifest.json"
    if not run_results.exists() or not manifest.exists():
        return []
    results = json.loads(run_results.read_text())
    nodes = json.loads(manifest.read_text()).get("nodes", {})
    meta = results.get("metadata", {})
    common = {
        "stage": "dbt",
        "suite": "dbt",
        "severity": "warning",
        "invocation_id": meta.get("invocation_id"),
        "build_started_at": _utc_iso(meta.get("invocation_started_at")),
    }
    records = []
    for r in results.get("results", []):
        node = nodes.get(r["unique_id"], {})
        if node.get("resource_type") != "test" or str(node.get("config", {}).get("severity", "")).lower() != "warn":
            continue
        name = node.get("name") or r["unique_id"].split(".")[-1]
        what = (node.get("description") or name.replace("_", " ")).strip().rstrip(".")
        failures = int(r.get("failures") or 0)
        record = {**common, "expectation": name, "rule": name, "unique_id": r["unique_id"]}
        if r["status"] == "pass":
            records.append(record | {"success": True, "observed_value": 0, "message": f"{what}: none"})
            continue
        if r["status"] not in ("warn", "fail"):  # skipped or errored: nothing was checked
            continue
        units, sample = _failing_rows(build_db, r.get("compiled_code"))
        subject, where = name, ""
        if units:
            more = f" and {len(units) - UNIT_SAMPLE} more" if len(units) > UNIT_SAMPLE else ""
            subject = "units " + ", ".join(unit for unit, _ in units[:UNIT_SAMPLE]) + more
            shown = ", ".join(f"{unit} {n}" for unit, n in units[:UNIT_SAMPLE])
            where = f" in {len(units)} unit{'s' if len(units) > 1 else ''} ({shown}{more})"
        rows = f"{failures} row{'' if failures == 1 else 's'}"
        records.append(
            record
            | {
                "success": False,
                "subject": subject,
                "units": dict(units),
                "observed_value": failures,
                "unexpected_count": failures,
                "failing_row_sample": sample,
                "message": f"{what}: {rows}{where}; published anyway: a dbt test of severity warn only warns",
            }
        )
    return records


def _utc_iso(value: str | None) -> str | None:
    # dbt writes "…Z" or a naive UTC time: make it an explicit UTC instant.
    if not value:
        return None
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


def _failing_rows(build_db: Path, sql: str | None) -> tuple[list[tuple[str, int]], list[dict[str, Any]]]:
    """(unit, rows) of a test's failing rows, most first, and a sample of them; empty when unknown."""
    if not sql or not build_db.exists():
        return [], []
    try:
        with duckdb.connect(str(build_db), read_only=True) as con:
            cur = con.execute(f"select * from ({sql}) limit {UNIT_SAMPLE}")
            names = [d[0] for d in cur.description]
            sample = [{k: _plain(v) for k, v in zip(names, row, strict=True)} for row in cur.fetchall()]
            if "unit_code" not in names:
                return [], sample
            units = con.execute(
                f"select coalesce(unit_code, '?'), count(*) from ({sql}) group by 1 order by 2 desc, 1"
            ).fetchall()
            return [(str(u), int(n)) for u, n in units], sample
    except duckdb.Error as exc:  # the record keeps its count; where the rows are is a refinement
        log.warning("could not read the failing rows of a warning test: %s", exc)
        return [], []


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def build(paths: Paths, *, full_refresh: bool = False) -> DbtResult:
    """``dbt build``: incremental unless ``full_refresh`` (every table rebuilt from all of landing)."""
    return run_dbt(paths, "build", *(["--full-refresh"] if full_refresh else []))
