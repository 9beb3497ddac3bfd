"""Writing a landing batch: part files as extraction goes, then one atomic commit with a manifest.

A batch lives in ``landing/<source>/<dataset>/batch=<id>/`` (``part-NNNNN.parquet`` + ``_manifest.json``).
While it is written it lives in a hidden sibling (``.batch=<id>.tmp-<uuid>``) that no reader's glob
matches; :meth:`BatchWriter.commit` swaps it in with renames, so a reader sees the old batch or the new
one, never a mix, and a crash leaves only hidden debris that the next writer of the batch removes.
Rerunning a window replaces its batch instead of adding a second one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "_manifest.json"


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
    # out of landing (the quality gate's landing suites: a failed suite never becomes visible to dbt).
    gate: Callable[[Path, dict[str, Any]], None] | None = None
    _tmp: Path | None = None
    _parts: list[Path] = field(default_factory=list)
    _rows: int = 0

    def __post_init__(self) -> None:
        self.dataset_dir.mkdir(parents=True, exist_ok=True)
        self._remove_debris()
        self._tmp = self.dataset_dir / f".batch={self.batch_id}.tmp-{uuid.uuid4().hex}"
        self._tmp.mkdir()

    def _remove_debris(self) -> None:
        # Hidden leftovers of an earlier, crashed writer of the same batch.
        for stale in self.dataset_dir.glob(f".batch={self.batch_id}.*"):
            shutil.rmtree(stale, ignore_errors=True)

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
        return manifest

    def abort(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

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
