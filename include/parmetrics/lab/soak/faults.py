"""A soak round's fault mix: drawn from a seeded RNG, injected into the simulator and the stages.

The dossier API faults are the simulator's own :class:`FaultKnobs`, plus two that the knobs do not
offer and a client meets in the wild: a server that stalls past the client's timeout, and a ``200``
whose body is cut short. Records that break the contract *in the source* (not in transit) are written
into the simulator's SQLite file by :func:`poison_records`: they must be quarantined and never land.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from parmetrics.lab.simulators.dossier_api import FaultKnobs, FaultLog, FaultResponse, KnobFaultPlan, PageRequest
from parmetrics.timestamps import format_ts

# Faults the API serves (counted from the simulator's fault log: what fired, not what was configured).
API_KINDS = ("error", "rate_limit", "drop", "timeout", "truncated", "duplicate", "mutate", "malformed", "latency")
# Faults of the stages around the API (counted by the runner when they really happened).
STAGE_KINDS = ("extract_kill", "publish_kill", "bad_records", "bad_files", "bad_build")
ALL_KINDS = API_KINDS + STAGE_KINDS
# Marks a poisoned record in a field that survives pseudonymisation, so quarantine can be matched to it.
POISON_MARK = "SOAK-POISON-"
POISON_REASONS = ("bad_timestamp", "unknown_status", "missing_key")


class SoakFaultPlan(KnobFaultPlan):
    """The simulator's standard plan, plus timeouts and truncated ``200`` pages.

    A timeout holds the request for ``stall_s`` (longer than the client's timeout) and then drops
    the connection; a truncated page cuts the JSON body inside its last record, so the client sees a
    ``200`` it cannot parse. Both are logged to the server's fault log like the standard kinds.

    For a kill, the runner reads the request log (``served``: pages answered ``200``, by dataset) and
    may set ``pace_s``: every request then waits that long first (the soak's own pacing, not a fault),
    so that the killed extractor's window spans a known, slow series of pages.
    """

    def __init__(self, knobs: FaultKnobs, *, timeout_rate: float = 0.0, truncate_rate: float = 0.0, stall_s: float):
        super().__init__(knobs)
        self.timeout_rate = timeout_rate
        self.truncate_rate = truncate_rate
        self.stall_s = stall_s
        # Own RNG: the standard plan's draws stay those of its seed.
        self._extra = random.Random(knobs.seed + 1)
        self.pace_s = 0.0
        self.served: Counter = Counter()

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        if self.pace_s:
            threading.Event().wait(self.pace_s)
        if self.timeout_rate and self._extra.random() < self.timeout_rate:
            self.log.add("timeout", request.dataset.table, seconds=self.stall_s)
            return FaultResponse(drop=True, delay_s=self.stall_s)
        return super().before_page(request)

    def transform_page(self, request: PageRequest, payloads: list[bytes]) -> list[bytes]:
        out = super().transform_page(request, payloads)
        if out and self.truncate_rate and self._extra.random() < self.truncate_rate:
            last = out[-1]
            # The server renders the page by joining payloads: a cut record makes the whole body invalid.
            out = [*out[:-1], last[: max(1, len(last) // 2)]]
            self.log.add("truncated", request.dataset.table, records=len(out))
        self.served[request.dataset.table] += 1
        return out


@dataclass
class Mix:
    """What one round injects. API rates are per page (``malformed_rate`` per record)."""

    knobs: FaultKnobs
    timeout_rate: float = 0.0
    truncate_rate: float = 0.0
    extract_kill: str | None = None  # the dataset whose extraction is SIGKILLed, if any
    bad_records: int = 0  # records broken in the source this round
    bad_files: int = 0  # bad finance files dropped this round
    publish_kill: bool = False
    bad_build: bool = False
    build: bool = False  # dbt build → gate → publish this round

    def configured(self) -> list[str]:
        k = self.knobs
        rates = {
            "error": k.error_rate,
            "rate_limit": k.rate_limit_rate,
            "drop": k.drop_rate,
            "timeout": self.timeout_rate,
            "truncated": self.truncate_rate,
            "duplicate": k.duplicate_rate,
            "mutate": k.mutate_rate,
            "malformed": k.malformed_rate,
            "latency": k.latency_s,
            "extract_kill": self.extract_kill,
            "bad_records": self.bad_records,
            "bad_files": self.bad_files,
            "publish_kill": self.publish_kill,
            "bad_build": self.bad_build,
        }
        return [kind for kind, value in rates.items() if value]

    def describe(self) -> dict[str, Any]:
        k = self.knobs
        return {
            "error_rate": k.error_rate,
            "rate_limit_rate": k.rate_limit_rate,
            "retry_after_s": k.retry_after_s,
            "drop_rate": k.drop_rate,
            "timeout_rate": self.timeout_rate,
            "truncate_rate": self.truncate_rate,
            "duplicate_rate": k.duplicate_rate,
            "mutate_rate": k.mutate_rate,
            "malformed_rate": k.malformed_rate,
            "latency_s": k.latency_s,
            "extract_kill": self.extract_kill,
            "bad_records": self.bad_records,
            "bad_files": self.bad_files,
            "publish_kill": self.publish_kill,
            "bad_build": self.bad_build,
            "build": self.build,
        }


# Per-page rates when a kind is drawn: high enough to fire on a round's few dozen pages, low enough
# that the client's retries (10 attempts) always get through.
RATE_RANGES: dict[str, tuple[float, float]] = {
    "error": (0.05, 0.25),
    "rate_limit": (0.03, 0.12),
    "drop": (0.03, 0.15),
    "timeout": (0.02, 0.08),
    "truncated": (0.05, 0.2),
    "duplicate": (0.1, 0.5),
    "mutate": (0.1, 0.5),
    # Per record: a round serves a few hundred records (every pass of every window).
    "malformed": (0.005, 0.02),
}


def draw_mix(rng: random.Random, *, seed: int, mutate_at: datetime, build: bool, force: set[str] = frozenset()) -> Mix:
    """A random mix: a few API faults (each drawn with probability 0.4) and the stage faults.

    ``force`` names kinds that must be part of the mix (the runner forces kinds that have not fired
    yet when few rounds are left, so a short soak still covers every kind).
    """

    def pick(kind: str, p: float) -> bool:
        return kind in force or rng.random() < p

    # A forced kind gets the top of its range, so that it surely fires in its round.
    rates = {
        kind: (RATE_RANGES[kind][1] if kind in force else rng.uniform(*RATE_RANGES[kind]) if pick(kind, 0.4) else 0.0)
        for kind in RATE_RANGES
    }
    # Error, rate-limit and drop share one roll per page in the simulator: their sum stays below 1.
    latency = rng.choice((0.001, 0.003)) if pick("latency", 0.3) else 0.0
    knobs = FaultKnobs(
        error_rate=rates["error"],
        rate_limit_rate=rates["rate_limit"],
        retry_after_s=rng.choice((0, 1)),
        latency_s=latency,
        drop_rate=rates["drop"],
        duplicate_rate=rates["duplicate"],
        mutate_rate=rates["mutate"],
        malformed_rate=rates["malformed"],
        seed=seed,
        mutate_at=mutate_at,
    )
    publish_kill = build and pick("publish_kill", 0.5)
    bad_build = build and pick("bad_build", 0.3)
    return Mix(
        knobs=knobs,
        timeout_rate=rates["timeout"],
        truncate_rate=rates["truncated"],
        extract_kill=rng.choice(("dossiers", "dossier_events")) if pick("extract_kill", 0.2) else None,
        bad_records=rng.randint(1, 3) if pick("bad_records", 0.3) else 0,
        bad_files=rng.randint(1, 3) if pick("bad_files", 0.3) else 0,
        publish_kill=publish_kill,
        bad_build=bad_build,
        build=build,
    )


@dataclass(frozen=True)
class Poison:
    """A record broken in the source: ``dataset``, its table key, the mark it carries, how it breaks."""

    dataset: str
    code: str
    stt: int | None
    version: datetime
    mark: str
    reason: str


@dataclass
class PoisonLog:
    """Every record the soak broke in the source (the ground truth of what must be quarantined)."""

    entries: list[Poison] = field(default_factory=list)

    def codes(self, dataset: str) -> set[Any]:
        return {p.code if dataset == "dossiers" else (p.code, p.stt) for p in self.entries if p.dataset == dataset}

    def marks(self) -> set[str]:
        return {p.mark for p in self.entries}


def _break(record: dict[str, Any], reason: str, dataset: str) -> dict[str, Any]:
    if reason == "bad_timestamp":
        record["NgayHenTra" if dataset == "dossiers" else "ThoiDiemXuLy"] = "2026-13-45"
    elif reason == "unknown_status":
        record["TrangThaiHoSo" if dataset == "dossiers" else "TrangThai"] = 42
    else:
        record.pop("MaHoSo", None)
    return record


def _pick(conn: sqlite3.Connection, table: str, rng: random.Random) -> str:
    """A real record of ``table`` chosen by the soak's RNG (so a seed replays the same poison)."""
    where = "WHERE ma_ho_so NOT LIKE 'SOAKBAD%'"
    (count,) = conn.execute(f"SELECT count(*) FROM {table} {where}").fetchone()
    sql = f"SELECT payload FROM {table} {where} ORDER BY ma_ho_so LIMIT 1 OFFSET ?"
    return conn.execute(sql, (rng.randrange(count),)).fetchone()[0]


def poison_records(
    db: Path, rng: random.Random, lo: datetime, hi: datetime, n: int, log: PoisonLog, round_no: int
) -> list[Poison]:
    """Insert ``n`` new records that break the contract, updated inside ``[lo, hi)``, into the source.

    Each is a copy of a real record under a new key (so the truth is clear: it must never land), with
    one rule broken and a mark in a field that quarantine keeps (``MaTTHC`` or ``PhongBanXuLy``).
    """
    made = []
    span = max(1, int((hi - lo).total_seconds()) - 1)
    with sqlite3.connect(db, timeout=30) as conn:
        for i in range(n):
            dataset = rng.choice(("dossiers", "dossier_events"))
            reason = rng.choice(POISON_REASONS)
            version = lo + timedelta(seconds=rng.randrange(span))
            code = f"SOAKBAD{round_no:03d}{i:02d}"
            mark = f"{POISON_MARK}{round_no:03d}-{i:02d}"
            ts = format_ts(version)
            if dataset == "dossiers":
                payload = _pick(conn, "dossiers", rng)
                record = json.loads(payload)
                record.update(MaHoSo=code, MaTTHC=mark, NgayCapNhat=ts)
                body = json.dumps(_break(record, reason, dataset), ensure_ascii=False, separators=(",", ":"))
                conn.execute("INSERT INTO dossiers VALUES (?, ?, ?)", (ts, code, body))
                stt = None
            else:
                payload = _pick(conn, "dossier_events", rng)
                record = json.loads(payload)
                stt = 1
                record.update(MaHoSo=code, STT=stt, PhongBanXuLy=mark, ThoiDiemGhiNhan=ts)
                body = json.dumps(_break(record, reason, dataset), ensure_ascii=False, separators=(",", ":"))
                conn.execute("INSERT INTO dossier_events VALUES (?, ?, ?, ?)", (ts, code, stt, body))
            poison = Poison(dataset, code, stt, version, mark, reason)
            log.entries.append(poison)
            made.append(poison)
        conn.commit()
    return made


def fired(log: FaultLog) -> dict[str, int]:
    """API faults that really fired, by kind (every kind of :data:`API_KINDS` present)."""
    counts = dict.fromkeys(API_KINDS, 0)
    for entry in log.entries:
        if entry.kind in counts:
            counts[entry.kind] += 1
    return counts
