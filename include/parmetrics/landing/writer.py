"""Writing a landing batch: part files as extraction goes, then one atomic commit with a manifest.

A batch lives in ``landing/<source>/<dataset>/batch=<id>/`` (``part-NNNNN.parquet`` + ``_manifest.json``).
While it is written it lives in a hidden sibling (``.batch=<id>.tmp-<uuid>``) that no reader's glob
matches; :meth:`BatchWriter.commit` swaps it in with renames, so a reader sees the old batch or the new
one, never a mix, and a crash leaves only hidden debris that the next writer of the batch removes.
Rerunning a window replaces its batch instead of adding a second one.

One writer per batch: a writer holds an exclusive ``flock`` on ``landing/.locks/<source>/<dataset>/<id>.lock``
(outside the dataset's directory, which readers list) from before it clears debris until it commits or
aborts. A second writer of the same batch
(the same window extracted twice at once) waits for it, then fails after ``lock_timeout`` with one
line naming the batch, its window and the holder. The kernel releases the lock of a killed holder, so
a crash never blocks the next run; the small lock file stays (removing it could let two writers lock
two different files).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "_manifest.json"
LOCKS = ".locks"
DEFAULT_LOCK_TIMEOUT = 1800.0

# Called with (the hidden batch directory, its manifest) before the swap; raising keeps the batch out.
Gate = Callable[[Path, dict[str, Any]], None]


class BatchLockedError(RuntimeError):
    """Another writer holds the batch; the message names the batch, its window and the holder."""


class BatchLock:
    """An exclusive, process-crash-safe lock on one batch of one dataset (``fcntl.flock``)."""

    def __init__(self, dataset_dir: Path, batch_id: str) -> None:
        self.path = dataset_dir.parent.parent / LOCKS / dataset_dir.parent.name / dataset_dir.name / f"{batch_id}.lock"
        self.batch_id = batch_id
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            info = {}
        if not info:
            return "an unknown writer"
        task = " ".join(str(info[k]) for k in ("dag_id", "task_id", "run_id") if info.get(k))
        return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}" + (f" ({task})" if task else "")

    def acquire(self, timeout: float, describe: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    os.close(fd)
                    raise BatchLockedError(
                        f"{describe} is being written by {holder}; gave up after {timeout:g} s "
                        f"(lock {self.path.name}; rerun once that writer has finished)"
                    ) from None
                waited = True
                time.sleep(0.2)
        self._fd = fd
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            # Airflow puts the task's identity in the environment of the process running it.
            "dag_id": os.environ.get("AIRFLOW_CTX_DAG_ID"),
            "task_id": os.environ.get("AIRFLOW_CTX_TASK_ID"),
            "run_id": os.environ.get("AIRFLOW_CTX_DAG_RUN_ID"),
            "waited": waited,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def batch_dir(dataset_dir: Path, batch_id: str) -> Path:
    return dataset_dir / f"batch={batch_id}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class BatchWriter:
    """Writes one batch of one landing dataset. Use as a context manager; call :meth:`commit`."""

    dataset_dir: Path
    batch_id: str
    schema: pa.Schema
    window: Mapping[str, Any] = field(default_factory=dict)
    # Called with (the hidden batch directory, its manifest) before the swap; raising keeps the batch
    # out of landing (the quality gate's landing suites: a failed contract never becomes visible to dbt).
    # Handed in by orchestration (``quality.landing_gate.landing_gates``); None lands ungated.
    gate: Gate | None = None
    # Seconds to wait for another writer of the same batch before failing.
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    _tmp: Path | None = None
    _parts: list[Path] = field(default_factory=list)
    _rows: int = 0
    _lock: BatchLock | None = None

    def __post_init__(self) -> None:
        self.dataset_dir.mkdir(parents=True, exist_ok=True)
        self._lock = BatchLock(self.dataset_dir, self.batch_id)
        self._lock.acquire(self.lock_timeout, self.describe())
        # A writer dropped without commit or abort (a crashed caller) lets go of its batch like a dead process.
        weakref.finalize(self, self._lock.release)
        self._remove_debris()
        self._tmp = self.dataset_dir / f".batch={self.batch_id}.tmp-{uuid.uuid4().hex}"
        self._tmp.mkdir()

    def _remove_debris(self) -> None:
        # Hidden leftovers of an earlier, crashed writer of the same batch.
        for stale in self.dataset_dir.glob(f".batch={self.batch_id}.*"):
            shutil.rmtree(stale, ignore_errors=True)

    def describe(self) -> str:
        """The batch as an error names it: dataset, batch and window."""
        name = "/".join(self.dataset_dir.parts[-2:])
        window = ", ".join(f"{k} {v}" for k, v in self.window.items() if v is not None)
        return f"landing batch {name}/batch={self.batch_id}" + (f" (window {window})" if window else "")

    @property
    def rows(self) -> int:
        return self._rows

    def write_rows(self, rows: Iterable[Mapping[str, Any]]) -> int:
        rows = list(rows)
        if not rows:
            return 0
        return self.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def write_table(self, table: pa.Table) -> int:
        """Append one part file (written and fsynced now, so a crash keeps nothing half-written)."""
        assert self._tmp is not None, "writer already committed or aborted"
        if table.num_rows == 0:
            return 0
        table = table.select(self.schema.names).cast(self.schema)
        part = self._tmp / f"part-{len(self._parts):05d}.parquet"
        pq.write_table(table, part, compression="zstd")
        with part.open("rb") as fh:
            os.fsync(fh.fileno())
        self._parts.append(part)
        self._rows += table.num_rows
        return table.num_rows

    def rewrite_part(self, index: int, transform: Callable[[pa.Table], pa.Table]) -> int:
        """Replace part ``index`` (not yet committed) with ``transform`` of it; returns its new row count.

        For rows that a later page of the same batch superseded after the part was flushed.
        """
        assert self._tmp is not None, "writer already committed or aborted"
        part = self._parts[index]
        old = pq.read_table(part, schema=self.schema)
        new = transform(old).select(self.schema.names).cast(self.schema)
        pq.write_table(new, part, compression="zstd")
        with part.open("rb") as fh:
            os.fsync(fh.fileno())
        self._rows += new.num_rows - old.num_rows
        return new.num_rows

    def commit(self, **extra: Any) -> dict[str, Any]:
        """Write the manifest and swap the batch in. Returns the manifest."""
        assert self._tmp is not None, "writer already committed or aborted"
        manifest = {
            "batch_id": self.batch_id,
            "window": dict(self.window),
            "row_count": self._rows,
            "files": {p.name: file_sha256(p) for p in self._parts},
            "schema": self.schema.names,
            "committed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **extra,
        }
        tmp_manifest = self._tmp / MANIFEST
        tmp_manifest.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        _fsync_dir(self._tmp)
        if self.gate is not None:
            self.gate(self._tmp, manifest)
        final = batch_dir(self.dataset_dir, self.batch_id)
        old = None
        if final.exists():
            old = self.dataset_dir / f".batch={self.batch_id}.old-{uuid.uuid4().hex}"
            final.rename(old)
        self._tmp.rename(final)
        _fsync_dir(self.dataset_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self._tmp = None
        self._release()
        return manifest

    def abort(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()


def committed_batches(dataset_dir: Path) -> list[Path]:
    """Committed batch directories of a dataset (those with a manifest), oldest name first."""
    if not dataset_dir.exists():
        return []
    return sorted(p for p in dataset_dir.glob("batch=*") if (p / MANIFEST).exists())


def read_manifest(batch: Path) -> dict[str, Any]:
    return json.loads((batch / MANIFEST).read_text())
