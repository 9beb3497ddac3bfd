"""Running one bench stage in a child process: its wall time and its peak memory.

Each stage runs in its own process so that its peak RSS is its own: ``os.wait4`` returns the rusage of
exactly that child, and Linux folds the peak of every descendant it reaped into it (a ``dbt`` process
started by the stage counts), which ``getrusage(RUSAGE_CHILDREN)`` cannot do per stage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parmetrics.config import Paths, write_private_file


class StageError(RuntimeError):
    """A stage's process failed; the message names the stage and the tail of its log."""


@dataclass
class StageRun:
    name: str
    seconds: float
    peak_rss_mb: float
    result: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "peak_rss_mb": round(self.peak_rss_mb, 1), "result": self.result}


def run_stage(name: str, args: dict[str, Any], env: dict[str, str], workdir: Path) -> StageRun:
    """``python -m parmetrics.lab.bench.stages <name>`` with ``args``; returns what it wrote as its result."""
    workdir.mkdir(parents=True, exist_ok=True)
    args_file = workdir / f"{name}.args.json"
    result_file = workdir / f"{name}.result.json"
    log_file = workdir / f"{name}.log"
    # The args carry the simulated API's token: private from the first byte.
    write_private_file(args_file, json.dumps(args, default=str))
    result_file.unlink(missing_ok=True)
    started = time.perf_counter()
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "parmetrics.lab.bench.stages", name, str(args_file), str(result_file)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
        raise StageError(f"bench stage {name} failed (exit {proc.returncode}); log {log_file}:\n{tail}")
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    # ru_maxrss is in KiB on Linux.
    return StageRun(name, seconds, usage.ru_maxrss / 1024, result)


def bytecode_env(paths: Paths) -> dict[str, str]:
    """Cache compiled bytecode under the bench's directory, as a deployed image has it precompiled. Where
    PYTHONDONTWRITEBYTECODE is set, every dbt, GX and Airflow task process otherwise recompiles its imports
    (seconds each on 2 busy cores); the venv and the repository are left untouched either way."""
    return {"PYTHONPYCACHEPREFIX": str(paths.root.parent / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
