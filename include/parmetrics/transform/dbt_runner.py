"""Running the dbt project as ONE process (DuckDB allows one writer per file; ARCHITECTURE.md)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from parmetrics.config import DBT_PROJECT_DIR, Paths

log = logging.getLogger(__name__)


class DbtBuildError(RuntimeError):
    """dbt build failed; the message names the failing nodes."""


@dataclass(frozen=True)
class DbtResult:
    seconds: float
    target_path: Path
    statuses: dict[str, int]


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
    return DbtResult(seconds=seconds, target_path=target, statuses=statuses)


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


def build(paths: Paths) -> DbtResult:
    return run_dbt(paths, "build")
