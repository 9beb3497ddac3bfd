"""Running one bench stage in a child process: its wall time and its peak memory.

Each stage runs in its own process so that its peak RSS is its own: ``os.wait4`` returns the rusage of
exactly that child, and Linux folds the peak of every descendant it reaped into it (a ``dbt`` process
started by the stage counts), which ``getrusage(RUSAGE_CHILDREN)`` cannot do per stage. That is the
peak of the largest single process; a stage that runs several at once (the history extraction's
windows in flight) is also sampled as a whole: the largest sum of its processes' RSS
(``peak_tree_rss_mb``, sampled every 0.2 s, so a peak shorter than that can be missed).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
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
    # The largest sampled sum of the RSS of the stage's process and its descendants.
    peak_tree_rss_mb: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"seconds": round(self.seconds, 3), "peak_rss_mb": round(self.peak_rss_mb, 1), "result": self.result}
        if self.peak_tree_rss_mb is not None:
            out["peak_tree_rss_mb"] = round(self.peak_tree_rss_mb, 1)
        return out


class TreeRss:
    """Samples the summed RSS of a process and its descendants on a thread, keeping the largest."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-tree-rss", daemon=True)

    def _run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            for proc in processes:
                with contextlib.suppress(psutil.Error):  # ended between the listing and the reading
                    total += proc.memory_info().rss
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 2**20


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
        with TreeRss(proc.pid) as tree:
            _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
        raise StageError(f"bench stage {name} failed (exit {proc.returncode}); log {log_file}:\n{tail}")
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    # ru_maxrss is in KiB on Linux.
    return StageRun(name, seconds, usage.ru_maxrss / 1024, result, tree.peak_mb)


def bytecode_env(paths: Paths) -> dict[str, str]:
    """Cache compiled bytecode under the bench's directory, as a deployed image has it precompiled. Where
    PYTHONDONTWRITEBYTECODE is set, every dbt, GX and Airflow task process otherwise recompiles its imports
    (seconds each on 2 busy cores); the venv and the repository are left untouched either way."""
    return {"PYTHONPYCACHEPREFIX": str(paths.root.parent / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
