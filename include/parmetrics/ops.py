"""Operational records (``ops.*``) as small immutable JSON files under ``<data>/ops/<table>/``.

No task contends for a DuckDB lock to log (ARCHITECTURE.md): each record is one file, written to a
temporary name and renamed into place, so a reader never sees half a record. The build reads them
as sources and each publication carries them as ``ops.*`` tables.

Every path in a record is relative to the data directory: a publication is read by BI users, who
have no business knowing the server's layout. :func:`data_relative` is applied to every record here,
centrally, whatever its writer put in it: absolute paths under the data directory become relative,
and absolute paths elsewhere (an inbox on another mount, say) are reduced to their file name.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parmetrics.config import Paths

TABLES = ("pipeline_runs", "quality_results", "publish_log", "source_watermarks", "quarantine")


# An absolute POSIX path of at least two components, not part of a URL, a ratio or a relative path.
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"`,;()\[\]{}<>]+/)+[^\s/'\"`,;()\[\]{}<>]*")


def data_relative(value: Any, root: Path) -> Any:
    """``value`` (a record, or anything in one) with every absolute path made relative to ``root``, the
    data directory, or, when it lies outside, reduced to its last component."""
    if isinstance(value, dict):
        return {k: data_relative(v, root) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [data_relative(v, root) for v in value]
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str) or "/" not in value:
        return value
    prefixes = sorted({str(root), str(root.resolve())}, key=len, reverse=True)

    def relative(match: re.Match[str]) -> str:
        path = match.group(0)
        for prefix in prefixes:
            if path == prefix:
                return "."
            if path.startswith(prefix + "/"):
                return path[len(prefix) + 1 :]
        return path.rstrip("/").rsplit("/", 1)[-1]

    if value.startswith("/") and "\n" not in value and not _ABSOLUTE_PATH.fullmatch(value):
        # A value that is one path with spaces in it (a share's folder name): the whole value is the path.
        return relative(re.match(r".*", value))
    return _ABSOLUTE_PATH.sub(relative, value)


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def write_record(paths: Paths, table: str, record: dict[str, Any], *, partition: str | None = None) -> Path:
    """Write one immutable record of ``ops.<table>``; returns its path."""
    if table not in TABLES:
        raise ValueError(f"unknown ops table {table!r}; expected one of {TABLES}")
    folder = paths.ops / table
    if partition:
        folder = folder / partition
    folder.mkdir(parents=True, exist_ok=True)
    record = data_relative({"recorded_at": _now_utc(), **record}, paths.root)
    name = f"{record['recorded_at'].replace(':', '').replace('-', '')}-{uuid.uuid4().hex[:8]}.json"
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(record, ensure_ascii=False, default=str, sort_keys=True))
    os.replace(tmp, folder / name)
    return folder / name


def read_records(paths: Paths, table: str, *, partition: str | None = None) -> Iterator[dict[str, Any]]:
    """All records of ``ops.<table>`` (optionally one partition), oldest first."""
    folder = paths.ops / table
    if partition:
        folder = folder / partition
    if not folder.exists():
        return
    for path in sorted(folder.rglob("*.json")):
        yield json.loads(path.read_text())


def watermark_partition(source: str, dataset: str) -> str:
    return f"{source}__{dataset}"


def record_watermark(
    paths: Paths,
    source: str,
    dataset: str,
    *,
    high_water_mark: datetime,
    rows_landed: int,
    quarantined: int,
    batch_id: str,
    run_id: str | None = None,
) -> Path:
    return write_record(
        paths,
        "source_watermarks",
        {
            "source": source,
            "dataset": dataset,
            "high_water_mark": high_water_mark.isoformat(sep=" "),
            "rows_landed": rows_landed,
            "quarantined": quarantined,
            "batch_id": batch_id,
            "run_id": run_id,
        },
        partition=watermark_partition(source, dataset),
    )


def current_watermark(paths: Paths, source: str, dataset: str) -> datetime | None:
    """The high-water mark: the newest instant up to which the dataset was extracted completely."""
    marks = [
        datetime.fromisoformat(r["high_water_mark"])
        for r in read_records(paths, "source_watermarks", partition=watermark_partition(source, dataset))
    ]
    return max(marks) if marks else None


def replace_batch_records(
    paths: Paths, table: str, partition: str, batch_id: str, records: list[dict[str, Any]]
) -> Path:
    """Replace the records one batch wrote to ``ops.<table>`` (a rerun of a batch replaces, never adds).

    The batch's records live in ``ops/<table>/<partition>/batch=<id>/``; the folder is built beside
    its target and swapped in with renames, so readers see the old set or the new one.
    """
    if table not in TABLES:
        raise ValueError(f"unknown ops table {table!r}; expected one of {TABLES}")
    parent = paths.ops / table / partition
    parent.mkdir(parents=True, exist_ok=True)
    final = parent / f"batch={batch_id}"
    tmp = parent / f".batch={batch_id}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    stamp = _now_utc()
    for i, record in enumerate(records):
        (tmp / f"{i:06d}.json").write_text(
            json.dumps(
                data_relative({"recorded_at": stamp, **record}, paths.root),
                ensure_ascii=False,
                default=str,
                sort_keys=True,
            )
        )
    old = None
    if final.exists():
        old = parent / f".batch={batch_id}.old-{uuid.uuid4().hex}"
        final.rename(old)
    tmp.rename(final)
    if old is not None:
        import shutil

        shutil.rmtree(old, ignore_errors=True)
    return final


def quarantine_record(source: str, dataset: str, ref: str, reason: str, **extra: Any) -> dict[str, Any]:
    """One ``ops.quarantine`` row: what was set aside, where from, and the one-line reason."""
    return {
        "source": source,
        "dataset": dataset,
        "ref": ref,
        "reason": " ".join(str(reason).split()),  # one line, whatever the exception said
        "landed_at": _now_utc(),
        **extra,
    }
