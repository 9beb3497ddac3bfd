"""Quarantine of record-based sources: records set aside one by one, and their later correction.

A record that breaks the contract (SOURCES.md §1, §2) is written, personal fields already removed, to
``quarantine/<source>/<dataset>/batch=<id>.jsonl`` with a one-line reason naming its key and the rule,
and listed in ``ops.quarantine`` (``status: quarantined``). Rerunning the window replaces both.

When the source corrects the record, the corrected version lands in a later window like any update;
that window records a resolution (``ops.quarantine``, ``status: resolved``, partition
``<source>__<dataset>__resolved``) naming the key, the batch that landed it and the batch that
quarantined it. :func:`open_quarantine` lists what is still waiting for a correction.

Paths in records are relative to the data directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parmetrics import ops
from parmetrics.config import Paths

RESOLVED = "__resolved"


@dataclass(frozen=True)
class Quarantined:
    """One record set aside: its key (None when the key itself is missing), the reason (one line, naming
    the record and the rule), the rule's id, the record without personal data, and its version."""

    key: str | None
    reason: str
    rule: str
    record: Any
    version: str | None = None


def quarantine_file(paths: Paths, source: str, dataset: str, batch_id: str) -> Path:
    return paths.quarantine / source / dataset / f"batch={batch_id}.jsonl"


def relative(paths: Paths, path: Path) -> str:
    try:
        return str(path.relative_to(paths.root))
    except ValueError:
        return str(path)


def record_batch_quarantine(paths: Paths, source: str, dataset: str, batch_id: str, entries: list[Quarantined]) -> None:
    """Replace the batch's quarantine file and its ``ops.quarantine`` records (none: both go)."""
    file = quarantine_file(paths, source, dataset, batch_id)
    if entries:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f".{file.name}.tmp-{os.getpid()}")
        with tmp.open("w", encoding="utf-8") as fh:
            for e in entries:
                line = {"key": e.key, "rule": e.rule, "reason": e.reason, "version": e.version, "record": e.record}
                fh.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(file)
    else:
        file.unlink(missing_ok=True)
    records = [
        ops.quarantine_record(
            source,
            dataset,
            e.key if e.key is not None else f"{relative(paths, file)}#{i + 1}",
            e.reason,
            batch_id=batch_id,
            key=e.key,
            rule=e.rule,
            version=e.version,
            status="quarantined",
            quarantined_to=f"{relative(paths, file)}#{i + 1}",
        )
        for i, e in enumerate(entries)
    ]
    partition = f"{source}__{dataset}"
    if records or (paths.ops / "quarantine" / partition / f"batch={batch_id}").exists():
        ops.replace_batch_records(paths, "quarantine", partition, batch_id, records)


def _quarantined(paths: Paths, source: str, dataset: str) -> list[dict[str, Any]]:
    return [
        r
        for r in ops.read_records(paths, "quarantine", partition=f"{source}__{dataset}")
        if r.get("status") == "quarantined" and r.get("key") is not None
    ]


def _resolved(paths: Paths, source: str, dataset: str) -> list[dict[str, Any]]:
    return list(ops.read_records(paths, "quarantine", partition=f"{source}__{dataset}{RESOLVED}"))


def open_quarantine(paths: Paths, source: str, dataset: str, *, besides: str | None = None) -> list[dict[str, Any]]:
    """Quarantined records (with a key) that no later batch has landed corrected; ``besides``: leave out
    the records of that batch (a rerun of it is about to replace them)."""
    done = {(r["key"], r["resolves_batch"]) for r in _resolved(paths, source, dataset)}
    return [
        r
        for r in _quarantined(paths, source, dataset)
        if r["batch_id"] != besides and (r["key"], r["batch_id"]) not in done
    ]


def open_keys(paths: Paths, source: str, dataset: str, batch_id: str) -> dict[str, list[dict[str, Any]]]:
    """key → the open quarantine records of that key in other batches (what this batch may resolve).

    Resolutions this very batch recorded in an earlier run count as open again: its rerun decides anew.
    """
    done = {(r["key"], r["resolves_batch"]) for r in _resolved(paths, source, dataset) if r.get("batch_id") != batch_id}
    out: dict[str, list[dict[str, Any]]] = {}
    for r in _quarantined(paths, source, dataset):
        if r["batch_id"] != batch_id and (r["key"], r["batch_id"]) not in done:
            out.setdefault(r["key"], []).append(r)
    return out


def record_resolutions(
    paths: Paths,
    source: str,
    dataset: str,
    batch_id: str,
    open_records: Mapping[str, list[dict[str, Any]]],
    landed: Iterable[tuple[str, str | None]],
) -> int:
    """Record that ``batch_id`` landed a corrected version of quarantined records; returns how many.

    ``landed``: (key, version) of the batch's rows whose key is in ``open_records``. A landed version
    corrects a quarantined one when it is newer (versions compare as ``yyyyMMddHHmmss`` or ISO text);
    a quarantined record whose version could not be read is corrected by any later landing of its key.
    """
    resolutions = []
    for key, version in landed:
        for q in open_records.get(key, ()):
            if q["version"] is not None and version is not None and version <= q["version"]:
                continue
            reason = (
                f"{q['ref']}: a corrected version ({version}) landed in batch {batch_id}; "
                f"quarantined in batch {q['batch_id']} for: {q['reason']}"
            )
            resolutions.append(
                ops.quarantine_record(
                    source,
                    dataset,
                    q["ref"],
                    reason,
                    batch_id=batch_id,
                    key=key,
                    rule=q.get("rule"),
                    version=version,
                    status="resolved",
                    resolves_batch=q["batch_id"],
                )
            )
    partition = f"{source}__{dataset}{RESOLVED}"
    if resolutions or (paths.ops / "quarantine" / partition / f"batch={batch_id}").exists():
        ops.replace_batch_records(paths, "quarantine", partition, batch_id, resolutions)
    return len(resolutions)
