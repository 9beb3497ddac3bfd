"""Helpers for the dbt tests: write landing batches the way extraction does, build once, query read-only.

dbt costs ~5 s to start, so each warehouse is built once (module- or session-scoped fixture) and the
tests only query the result. Each build gets its own target and log directories, so these tests can
run beside any other dbt invocation.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from parmetrics.landing.schemas import LANDING_SCHEMAS
from parmetrics.landing.writer import BatchWriter

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT = REPO_ROOT / ".venv" / "bin" / "dbt"


def ts(text: str | None) -> datetime | None:
    """'YYYY-MM-DD HH:MM[:SS]' -> naive local datetime (landing timestamps are naive local time)."""
    if text is None:
        return None
    return datetime.fromisoformat(text)


def write_batch(
    data_dir: Path,
    source: str,
    dataset: str,
    batch_id: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    commit: bool = True,
) -> None:
    """Land one batch; ``commit=False`` leaves the hidden debris of a crashed writer."""
    writer = BatchWriter(
        dataset_dir=data_dir / "landing" / source / dataset,
        batch_id=batch_id,
        schema=LANDING_SCHEMAS[(source, dataset)],
    )
    writer.write_rows(rows)
    if commit:
        writer.commit()


def dbt_build(data_dir: Path, work_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``dbt build <args>`` against ``data_dir``'s build file; fails the test when dbt fails."""
    return dbt_invoke(data_dir, work_dir, "build", *args)


def dbt_invoke(
    data_dir: Path,
    work_dir: Path,
    *args: str,
    check: bool = True,
    project: Path = DBT_PROJECT,
    unit_tests: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` on ``project`` (this repository's by default) against ``data_dir``'s build file.
    dbt's unit tests run only with ``unit_tests`` (test_unit_tests.py runs them, once; the other builds
    here test the data, like the pipeline's builds, which skip them)."""
    (data_dir / "warehouse").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PARMETRICS_DATA_DIR": str(data_dir),
        "DBT_PROFILES_DIR": str(project),
        "DBT_TARGET_PATH": str(work_dir / "dbt_target"),
        "DBT_LOG_PATH": str(work_dir / "dbt_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("DBT_EXCLUDE_RESOURCE_TYPES", None)
    if not unit_tests:
        env["DBT_EXCLUDE_RESOURCE_TYPES"] = "unit_test"
    proc = subprocess.run(
        [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return proc


class Warehouse:
    """Read-only access to a finished build."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def dicts(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.rows(sql, params)[0][0]


def build_warehouse(tmp_path_factory: pytest.TempPathFactory, name: str, land) -> Warehouse:
    """Land data with ``land(data_dir)``, run one dbt build, return the build file."""
    work = tmp_path_factory.mktemp(name)
    data_dir = work / "data"
    data_dir.mkdir()
    land(data_dir)
    dbt_build(data_dir, work)
    return Warehouse(data_dir / "warehouse" / "par_metrics_build.duckdb")
