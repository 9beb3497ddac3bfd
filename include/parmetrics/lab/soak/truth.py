"""Ground truth and the checks against it.

The truth is what the soak can know without trusting the pipeline: the simulated dossier source
itself (its SQLite file, after every change and fault of the round), the records the soak broke in
it, and the finance files it dropped. Each check returns a :class:`Findings` tally by problem, with a
few examples; the runner sums them into the report.

Versions: a record updated before the round's *cutoff* (the end of the window just extracted) must
be landed at exactly its source version; a record updated at or after it (a record the API updated
while it was being read) is in flight and must arrive with a later window — the final drain round
has no cutoff, so nothing stays unchecked.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.lab.soak.expected_rows import expected_dossier_row, expected_event_row, local_instant
from parmetrics.lab.soak.faults import POISON_MARK, PoisonLog
from parmetrics.landing.schemas import DOSSIER_EVENTS, DOSSIERS, LANDING_SCHEMAS
from parmetrics.landing.writer import MANIFEST, committed_batches, read_manifest

SOURCE = "dossier_api"
DATASETS = ("dossiers", "dossier_events")
VERSION = {"dossiers": "NgayCapNhat", "dossier_events": "ThoiDiemGhiNhan"}
MARK_COLUMN = {"dossiers": "MaTTHC", "dossier_events": "PhongBanXuLy"}
# Problems that fail the soak, by the figure they count towards.
FAILURES = {
    "lost": "records lost",
    "stale": "records lost",
    "good_file_not_landed": "records lost",
    "duplicate_in_batch": "duplicates",
    "duplicate_in_staging": "duplicates",
    "duplicate_in_marts": "duplicates",
    "corrupt": "violations",
    "phantom": "violations",
    "poison_landed": "violations",
    "poison_not_quarantined": "violations",
    "poison_published": "violations",
    "bad_file_not_quarantined": "violations",
    "bad_file_landed": "violations",
    "bad_publish": "bad publishes",
    "debris_visible": "violations",
    "kill_debris": "violations",
}
EXAMPLES = 5


@dataclass
class Findings:
    """Problems found by a check, by kind (keys of :data:`FAILURES`, or informational ones)."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, example: str, n: int = 1) -> None:
        self.counts[kind] += n
        shown = self.examples.setdefault(kind, [])
        if len(shown) < EXAMPLES:
            shown.append(example)

    def merge(self, other: Findings) -> Findings:
        self.counts.update(other.counts)
        for kind, shown in other.examples.items():
            mine = self.examples.setdefault(kind, [])
            mine.extend(shown[: EXAMPLES - len(mine)])
        return self

    def figure(self, name: str) -> int:
        return sum(n for kind, n in self.counts.items() if FAILURES.get(kind) == name)

    @property
    def failed(self) -> bool:
        return any(kind in FAILURES and n for kind, n in self.counts.items())

    def to_json(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "examples": self.examples}


def _key(dataset: str, row: dict[str, Any]) -> Any:
    return row["MaHoSo"] if dataset == "dossiers" else (row["MaHoSo"], row["STT"])


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "_batch_id"}


@dataclass
class SourceTruth:
    """The source as it stands: per dataset, key → (version, landing row or None if it breaks the contract)."""

    records: dict[str, dict[Any, tuple[datetime, dict[str, Any] | None]]]

    def good(self, dataset: str) -> dict[Any, tuple[datetime, dict[str, Any]]]:
        return {k: (v, row) for k, (v, row) in self.records[dataset].items() if row is not None}


def source_truth(db: Path, key: bytes) -> SourceTruth:
    """Every record of the simulated source, turned into the landing row the contract implies.

    Rows are built from the contract alone (:mod:`expected_rows`, not the extractor's conversions), with
    the same pseudonymisation key as extraction, so a landed row must equal its truth row field for
    field. A record that breaks the contract has no row: it must be quarantined.
    """
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        records: dict[str, dict[Any, tuple[datetime, dict[str, Any] | None]]] = {"dossiers": {}, "dossier_events": {}}
        for version, code, payload in conn.execute("SELECT ngay_cap_nhat, ma_ho_so, payload FROM dossiers"):
            row = expected_dossier_row(json.loads(payload), key)
            records["dossiers"][code] = (local_instant(version), row)
        for version, code, stt, payload in conn.execute(
            "SELECT thoi_diem_ghi_nhan, ma_ho_so, stt, payload FROM dossier_events"
        ):
            row = expected_event_row(json.loads(payload))
            records["dossier_events"][(code, stt)] = (local_instant(version), row)
    finally:
        conn.close()
    return SourceTruth(records)


@dataclass
class Landed:
    """A landing dataset read back: the latest row per key and the keys landed twice within a batch."""

    latest: dict[Any, dict[str, Any]]
    duplicates: list[tuple[str, Any]]
    marks: list[str]


def read_landing(paths: Paths, dataset: str) -> Landed:
    schema = DOSSIERS if dataset == "dossiers" else DOSSIER_EVENTS
    version = VERSION[dataset]
    latest: dict[Any, dict[str, Any]] = {}
    duplicates: list[tuple[str, Any]] = []
    marks: list[str] = []
    for batch in committed_batches(paths.dataset_landing(SOURCE, dataset)):
        rows = pq.read_table(batch, schema=schema).to_pylist()
        seen = Counter(_key(dataset, r) for r in rows)
        duplicates.extend((batch.name, k) for k, n in seen.items() if n > 1)
        for r in rows:
            mark = r.get(MARK_COLUMN[dataset])
            if isinstance(mark, str) and mark.startswith(POISON_MARK):
                marks.append(mark)
            k = _key(dataset, r)
            # Ties go to the later batch, as staging orders them (by batch id).
            if k not in latest or r[version] >= latest[k][version]:
                latest[k] = r
    return Landed(latest, duplicates, marks)


def check_landing(
    paths: Paths, truth: SourceTruth, cutoff: datetime | None, poison: PoisonLog
) -> tuple[Findings, dict[str, int]]:
    """Landing against the source: every settled record at its exact version, nothing twice in a
    batch, nothing the source lacks, no broken record. Returns the findings and per-dataset sizes."""
    findings = Findings()
    sizes: dict[str, int] = {}
    for dataset in DATASETS:
        landed = read_landing(paths, dataset)
        sizes[dataset] = len(landed.latest)
        for batch, k in landed.duplicates:
            findings.add("duplicate_in_batch", f"{dataset} {k!r} twice in {batch}")
        for mark in landed.marks:
            findings.add("poison_landed", f"{dataset} record marked {mark} landed")
        poisoned = poison.codes(dataset)
        records = truth.records[dataset]
        for k, (version, row) in records.items():
            got = landed.latest.get(k)
            if row is None:
                if got is not None and k in poisoned:
                    findings.add("poison_landed", f"{dataset} {k!r} landed though it breaks the contract")
                continue
            settled = cutoff is None or version < cutoff
            if got is None:
                if settled:
                    findings.add("lost", f"{dataset} {k!r} (updated {version}) is not in landing")
                else:
                    findings.counts["in_flight"] += 1
                continue
            got_version = got[VERSION[dataset]]
            if got_version < version:
                if settled:
                    findings.add("stale", f"{dataset} {k!r} landed at {got_version}, source at {version}")
                else:
                    findings.counts["in_flight"] += 1
            elif got_version > version:
                findings.add("phantom", f"{dataset} {k!r} landed at {got_version}, newer than the source's {version}")
            elif _strip(got) != _strip(row):
                diff = sorted(c for c in row if c != "_batch_id" and got.get(c) != row[c])
                findings.add("corrupt", f"{dataset} {k!r} differs from the source in {diff[:5]}")
        for k in landed.latest.keys() - records.keys():
            findings.add("phantom", f"{dataset} {k!r} landed but not in the source")
    return findings, sizes


def landing_debris(dataset_dir: Path) -> list[str]:
    """What a reader of a landing dataset sees besides committed batches: a batch directory without its
    manifest, a file the manifest does not list, anything else that is not hidden."""
    out: list[str] = []
    if not dataset_dir.exists():
        return out
    for entry in sorted(dataset_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir() or not entry.name.startswith("batch="):
            out.append(entry.name)
            continue
        if not (entry / MANIFEST).exists():
            out.append(f"{entry.name} (no manifest)")
            continue
        listed = set(read_manifest(entry).get("files", {})) | {MANIFEST}
        out.extend(f"{entry.name}/{p.name}" for p in sorted(entry.iterdir()) if p.name not in listed)
    return out


def visible_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` a reader sees (no hidden path component): relative path → (size, mtime)."""
    out: dict[str, tuple[int, int]] = {}
    if not folder.exists():
        return out
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            st = path.stat()
            out[str(rel)] = (st.st_size, st.st_mtime_ns)
    return out


def quarantine_file(paths: Paths, dataset: str, batch_id: str) -> Path:
    return paths.quarantine / SOURCE / dataset / f"batch={batch_id}.jsonl"


def check_quarantine(paths: Paths, dataset: str, batch_id: str, expected_marks: Iterable[str]) -> Findings:
    """Every record the soak broke inside this batch's window is in the batch's quarantine with a reason."""
    findings = Findings()
    path = quarantine_file(paths, dataset, batch_id)
    entries = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    found = {}
    for e in entries:
        record = e.get("record") if isinstance(e.get("record"), dict) else {}
        mark = record.get(MARK_COLUMN[dataset])
        if isinstance(mark, str) and mark.startswith(POISON_MARK):
            found[mark] = str(e.get("reason") or "")
        else:
            # A record quarantined that the soak did not break: a good record broken in transit that
            # was never read whole (it must then also be missing from landing: counted there as lost).
            findings.add("quarantined_unbroken", f"{dataset} batch={batch_id}: {str(e.get('reason'))[:120]}")
    for mark in expected_marks:
        if mark not in found:
            findings.add("poison_not_quarantined", f"{dataset} {mark} not in quarantine of batch={batch_id}")
        elif not found[mark].strip() or "\n" in found[mark]:
            findings.add("poison_not_quarantined", f"{dataset} {mark} quarantined without a one-line reason")
    return findings


# ---- the build and the publication ------------------------------------------------------------------


def dossier_key(code: str) -> str:
    """``marts.dossier_facts.dossier_key``: md5 of the source id (MARTS.md: a stable hash)."""
    return hashlib.md5(code.encode()).hexdigest()


def check_build(build_db: Path, truth: SourceTruth, cutoff: datetime | None, poison: PoisonLog) -> Findings:
    """Staging and ``marts.dossier_facts`` of a build against the source: one row per record, at the
    source's version (staging) and with its unit, procedure and status (marts)."""
    findings = Findings()
    with duckdb.connect(str(build_db), read_only=True) as con:
        staged = {
            "dossiers": con.execute(
                "select dossier_id, updated_at, status, unit_code from intermediate.int_dossiers"
            ).fetchall(),
            "dossier_events": con.execute(
                "select dossier_id, seq, recorded_at, status from intermediate.int_dossier_events"
            ).fetchall(),
        }
        facts = con.execute("select dossier_key, unit_code, procedure_code, status from marts.dossier_facts").fetchall()
    for dataset, rows in staged.items():
        by_key: dict[Any, tuple[Any, ...]] = {}
        for r in rows:
            k = r[0] if dataset == "dossiers" else (r[0], r[1])
            if k in by_key:
                findings.add("duplicate_in_staging", f"{dataset} {k!r} staged twice")
            by_key[k] = r
        good = truth.good(dataset)
        for k, (version, _row) in good.items():
            settled = cutoff is None or version < cutoff
            got = by_key.get(k)
            if got is None:
                if settled:
                    findings.add("lost", f"staging {dataset} {k!r} missing")
                continue
            got_version = got[1] if dataset == "dossiers" else got[2]
            if settled and got_version != version:
                findings.add("stale", f"staging {dataset} {k!r} at {got_version}, source at {version}")
        for k in by_key.keys() - good.keys():
            kind = "poison_landed" if k in poison.codes(dataset) else "phantom"
            findings.add(kind, f"staging {dataset} {k!r} is not a good record of the source")
    truth_facts = {dossier_key(code): (code, v, row) for code, (v, row) in truth.good("dossiers").items()}
    poisoned = {dossier_key(c) for c in poison.codes("dossiers")}
    seen: set[str] = set()
    for key, unit, procedure, status in facts:
        if key in seen:
            findings.add("duplicate_in_marts", f"dossier_facts {key} twice")
        seen.add(key)
        if key in poisoned or (isinstance(procedure, str) and procedure.startswith(POISON_MARK)):
            findings.add("poison_published", f"dossier_facts holds a broken record ({key})")
            continue
        expected = truth_facts.get(key)
        if expected is None:
            findings.add("phantom", f"dossier_facts {key} is no dossier of the source")
            continue
        code, version, row = expected
        if (cutoff is None or version < cutoff) and (unit, procedure, status) != (
            row["MaDonVi"],
            row["MaTTHC"],
            row["TrangThaiHoSo"],
        ):
            findings.add("corrupt", f"dossier_facts {code}: {(unit, procedure, status)} != source")
    for key, (code, version, _) in truth_facts.items():
        if key not in seen and (cutoff is None or version < cutoff):
            findings.add("lost", f"dossier_facts lacks {code}")
    return findings


def marts_fingerprint(db: Path) -> dict[str, tuple[int, int]]:
    """Every ``marts`` table's row count and order-independent content hash (raises if unreadable)."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        out = {}
        for t in tables:
            n, h = con.execute(f"select count(*), coalesce(sum(hash(x)::hugeint), 0) from marts.{t} as x").fetchone()
            out[t] = (int(n), int(h))
    return out


def check_publication(
    published: Path, allowed: dict[str, Any], *, expect: Any = None, ever_published: bool = True
) -> Findings:
    """The published file opens read-only and its marts are one of ``allowed`` (fingerprints by name:
    the last good publication, the verified new build) — and exactly ``expect`` when given."""
    findings = Findings()
    if not published.exists():
        if ever_published:
            findings.add("bad_publish", "the published file is missing")
        return findings
    try:
        got = marts_fingerprint(published)
    except duckdb.Error as exc:
        findings.add("bad_publish", f"the published file is unreadable: {' '.join(str(exc).split())[:200]}")
        return findings
    if expect is not None and got != expect:
        findings.add("bad_publish", "the published marts differ from the verified build")
    elif got not in allowed.values():
        findings.add("bad_publish", f"the published marts are none of {sorted(allowed)}")
    return findings


# ---- finance files -------------------------------------------------------------------------------


@dataclass
class FinanceTruth:
    """The finance files the soak dropped: which good file must have won each period, and the bad ones."""

    # (dataset, period) → (version, sha256, data rows) of the newest good file dropped for it
    winners: dict[tuple[str, str], tuple[int, str, int]] = field(default_factory=dict)
    # bad file name → (rule, sha256, times dropped)
    bad: dict[str, tuple[str, str, int]] = field(default_factory=dict)


# Words a one-line reason must contain for each rule of SOURCES.md §3 (bad_finance_files' rules).
RULE_WORDS = {
    "wrong_encoding": "encoding",
    "missing_column": "column",
    "renamed_column": "column",
    "text_in_number_column": "value",
    "negative_amount": "negative",
    "totals_do_not_reconcile": "reconcile",
    "period_does_not_match_name": "period",
    "empty_file": "empty",
}


def check_finance(paths: Paths, finance: FinanceTruth) -> Findings:
    findings = Findings()
    for (dataset, period), (version, digest, rows) in finance.winners.items():
        batch = paths.dataset_landing("finance", dataset) / f"batch={period}"
        if not batch.exists():
            findings.add("good_file_not_landed", f"finance {dataset} {period} v{version} not landed")
            continue
        manifest = read_manifest(batch)
        if manifest.get("source_sha256") != digest:
            findings.add("good_file_not_landed", f"finance {dataset} {period}: landed {manifest.get('source_file')}")
        elif manifest.get("row_count") != rows:
            findings.add("corrupt", f"finance {dataset} {period}: {manifest.get('row_count')} rows, file has {rows}")
    quarantined: dict[str, list[dict[str, Any]]] = {}
    for record in ops.read_records(paths, "quarantine"):
        if record.get("source") == "finance":
            quarantined.setdefault(record["ref"], []).append(record)
    landed_digests = {
        read_manifest(b).get("source_sha256")
        for (src, ds) in LANDING_SCHEMAS
        if src == "finance"
        for b in committed_batches(paths.dataset_landing(src, ds))
    }
    for name, (rule, digest, dropped) in finance.bad.items():
        records = quarantined.get(name, [])
        if len(records) < dropped:
            findings.add("bad_file_not_quarantined", f"{name} ({rule}) dropped {dropped}x, quarantined {len(records)}x")
        for r in records:
            reason = str(r.get("reason") or "")
            moved = paths.root / str(r.get("quarantined_to") or "")  # relative to the data dir (ops.py)
            reason_file = moved.with_name(moved.name + ".reason")
            if RULE_WORDS[rule] not in reason.lower() or not moved.exists() or not reason_file.exists():
                findings.add("bad_file_not_quarantined", f"{name} ({rule}): reason {reason!r}, file kept: {moved}")
        if digest in landed_digests:
            findings.add("bad_file_landed", f"{name} ({rule}) landed")
    return findings


FINANCE_STAGING = {
    "thu_ngan_sach": "int_budget_revenue",
    "giai_ngan_dau_tu_cong": "int_public_investment",
    "dang_ky_doanh_nghiep": "int_enterprise_registrations",
}


def check_finance_build(build_db: Path, finance: FinanceTruth) -> Findings:
    """Staging holds each winning file's rows for its period, and nothing of any other period."""
    findings = Findings()
    with duckdb.connect(str(build_db), read_only=True) as con:
        for dataset, model in FINANCE_STAGING.items():
            counts = dict(
                con.execute(f"select report_period, count(*) from intermediate.{model} group by all").fetchall()
            )
            expected = {p: rows for (d, p), (_, _, rows) in finance.winners.items() if d == dataset}
            for period, rows in expected.items():
                if counts.get(period) != rows:
                    findings.add("lost", f"staging {model} {period}: {counts.get(period)} rows, file has {rows}")
            for period in counts.keys() - expected.keys():
                findings.add("phantom", f"staging {model} holds period {period} that no good file brought")
    return findings
