"""The data-quality warnings of a publication: the anomaly checks that fired for the data it holds.

Anomaly checks (ARCHITECTURE.md, *Two kinds of rules*) never reject data: they are recorded in
``ops.quality_results`` with ``severity`` ``warning`` and the data is published anyway. A publication
carries every record up to itself, most of them about data it no longer holds (a batch landed again
since, a build before its own). Which records are *its* warnings:

1. **Its build** is the newest dbt invocation recorded in its ``ops.quality_results`` (stage ``dbt``):
   the build step records every dbt test of severity ``warn`` after each ``dbt build``, passing or not
   (``transform/dbt_runner.py``), and a publication is made from the build that ran last before it.
   Its **dbt warnings** are that invocation's failed records.
2. Its **mart-gate warnings** are the failed ``warning`` records of stage ``marts`` with that build's
   ``run_id`` (the gate runs in the same DAG run as the build).
3. Its **landing warnings**, per landing batch (``<source>/<dataset>/batch=<id>``: the batch a file or a
   window lands in, so a re-sent ``_v2`` file or a re-extracted window lands in the same batch): the
   failed ``warning`` records of the batch's *current* evaluation — the newest evaluation by the landing
   gate that let the batch land, i.e. had no failed critical rule (a rejected re-landing leaves the
   previous version in landing, and with it that version's warnings). A re-landed batch supersedes its
   old warnings. Evaluations are told apart by ``run_id``; only those recorded before the build started
   count (a batch landed while the build ran is in the next publication). Two evaluations of one batch
   under one ``run_id`` (an Airflow retry) count as one; their warnings are merged, one per rule.

A record without ``severity`` is critical (GX's own default): it is a rejection, never a warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

CRITICAL, WARNING = "critical", "warning"
STAGE_LANDING, STAGE_DBT, STAGE_MARTS = "landing", "dbt", "marts"
# How the report names each stage, and what it says of every warning.
STAGES = {
    STAGE_LANDING: "Tiếp nhận dữ liệu (landing)",
    STAGE_DBT: "Tính toán (dbt)",
    STAGE_MARTS: "Kiểm tra bảng công bố",
}
PUBLISHED_ANYWAY = (
    "Dữ liệu hợp lệ nhưng bất thường: các kiểm tra này chỉ cảnh báo, không loại dữ liệu — số liệu vẫn được công bố."
)
_BATCH_SUBJECT = re.compile(r"^(?P<source>[^/]+)/(?P<dataset>[^/]+)/batch=(?P<batch>[^/]+)$")


@dataclass(frozen=True)
class QualityWarning:
    """One anomaly check that fired for the publication's data."""

    stage: str  # landing, dbt or marts
    suite: str
    check: str  # the rule, expectation or dbt test that fired
    subject: str  # the file, landing batch, or units it concerns
    message: str  # one line, as the check recorded it
    count: int | None  # rows or records concerned, when the check counted them
    recorded_at: datetime | None


def severity(record: Mapping[str, Any]) -> str:
    return str(record.get("severity") or CRITICAL).lower()


def _failed(record: Mapping[str, Any]) -> bool:
    return record.get("success") in (False, 0, "false", "False")


def _stage(record: Mapping[str, Any]) -> str:
    # Landing records before the severity split were staged "landing:<source>.<dataset>".
    return str(record.get("stage") or "").split(":", 1)[0]


def _when(record: Mapping[str, Any]) -> datetime | None:
    value = record.get("recorded_at")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


def _order(record: Mapping[str, Any]) -> float:
    # recorded_at is an instant (UTC); a missing one sorts first.
    when = _when(record)
    return when.timestamp() if when else float("-inf")


def batch_of(record: Mapping[str, Any]) -> str:
    """The landing batch a record is about, as ``<source>/<dataset>/batch=<id>``."""
    if record.get("source") and record.get("dataset") and record.get("batch_id"):
        return f"{record['source']}/{record['dataset']}/batch={record['batch_id']}"
    subject = str(record.get("subject") or "")
    if _BATCH_SUBJECT.match(subject):
        return subject
    return subject or str(record.get("suite") or "")


def _identity(record: Mapping[str, Any]) -> tuple[str, ...]:
    kwargs = record.get("kwargs")
    if not isinstance(kwargs, str):
        kwargs = json.dumps(kwargs, sort_keys=True, default=str)
    return (
        str(record.get("suite")),
        str(record.get("expectation")),
        str(record.get("rule") or record.get("column") or ""),
        kwargs,
    )


def _as_warning(record: Mapping[str, Any]) -> QualityWarning:
    count = record.get("unexpected_count")
    check = record.get("rule") or record.get("expectation") or ""
    suite = str(record.get("suite") or "")
    subject = str(record.get("subject") or batch_of(record))
    message = str(record.get("message") or f"{subject}: {suite} {check} failed").splitlines()[0]
    return QualityWarning(
        stage=_stage(record),
        suite=suite,
        check=str(check),
        subject=subject,
        message=message,
        count=int(count) if isinstance(count, int | float) and count == count else None,
        recorded_at=_when(record),
    )


def _newest_build(records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The dbt records of the newest build invocation."""
    dbt = [r for r in records if _stage(r) == STAGE_DBT]
    if not dbt:
        return []
    newest = max(dbt, key=_order)
    key = newest.get("invocation_id") or newest.get("run_id")
    return [r for r in dbt if (r.get("invocation_id") or r.get("run_id")) == key]


def _landing_warnings(records: list[Mapping[str, Any]], before: datetime | None) -> list[Mapping[str, Any]]:
    evaluations: dict[str, dict[Any, list[Mapping[str, Any]]]] = {}
    for r in records:
        if _stage(r) != STAGE_LANDING:
            continue
        when = _when(r)
        if before is not None and when is not None and when.timestamp() >= before.timestamp():
            continue
        evaluations.setdefault(batch_of(r), {}).setdefault(r.get("run_id"), []).append(r)
    chosen: list[Mapping[str, Any]] = []
    for runs in evaluations.values():
        landed = [rs for rs in runs.values() if not any(_failed(r) and severity(r) == CRITICAL for r in rs)]
        if not landed:
            continue  # every evaluation was a rejection: nothing of this batch is in landing
        current = max(landed, key=lambda rs: max(_order(r) for r in rs))
        newest: dict[tuple[str, ...], Mapping[str, Any]] = {}
        for r in sorted(current, key=_order):
            if _failed(r) and severity(r) == WARNING:
                newest[_identity(r)] = r
        chosen.extend(newest.values())
    return chosen


def publication_warnings(records: Iterable[Mapping[str, Any]]) -> list[QualityWarning]:
    """The warnings of the publication whose ``ops.quality_results`` are ``records`` (module docstring)."""
    records = list(records)
    build = _newest_build(records)
    started = None
    if build:
        started = min((_started(r) for r in build if _started(r) is not None), default=None)
    build_run = build[0].get("run_id") if build else None
    chosen = [r for r in build if _failed(r) and severity(r) == WARNING]
    if build_run is not None:
        chosen += [
            r
            for r in records
            if _stage(r) == STAGE_MARTS and r.get("run_id") == build_run and _failed(r) and severity(r) == WARNING
        ]
    chosen += _landing_warnings(records, started)
    stage_order = {STAGE_LANDING: 0, STAGE_DBT: 1, STAGE_MARTS: 2}
    warnings = [_as_warning(r) for r in chosen]
    return sorted(warnings, key=lambda w: (stage_order.get(w.stage, 3), w.subject, w.suite, w.check))


def _started(record: Mapping[str, Any]) -> datetime | None:
    value = record.get("build_started_at")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


def load_warnings(con: duckdb.DuckDBPyConnection) -> list[QualityWarning]:
    """The warnings of the publication open on ``con`` (none when it carries no quality records)."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'ops' and table_name = 'quality_results'"
    ).fetchone()[0]
    if not exists:
        return []
    cur = con.execute("select * from ops.quality_results")
    names = [d[0] for d in cur.description]
    return publication_warnings(dict(zip(names, row, strict=True)) for row in cur.fetchall())


def warning_rows(warnings: list[QualityWarning]) -> list[list[Any]]:
    """What a report shows of each warning: stage, what fired, where (file, batch or units), how many, the
    message as the check recorded it."""
    return [[STAGES.get(w.stage, w.stage), w.check, w.subject, w.count, w.message] for w in warnings]
