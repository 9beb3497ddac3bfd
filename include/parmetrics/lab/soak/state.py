"""What a soak run knows: its settings, each round's result, and the state every stage shares."""

from __future__ import annotations

import os
import random
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from parmetrics.config import Paths
from parmetrics.lab.soak import truth as t
from parmetrics.lab.soak.faults import PoisonLog

TOKEN_BYTES = 18
SOURCE = "dossier_api"
DATASETS = ("dossiers", "dossier_events")
KILL_KINDS = ("extract_kill", "publish_kill")


@dataclass(frozen=True)
class SoakSettings:
    rounds: int = 50
    seed: int = 766
    # A tiny province keeps a round to seconds: the faults, not the volume, are under test.
    dossiers: int = 2000
    start: datetime = datetime(2026, 1, 1)
    end: datetime = datetime(2026, 11, 20)
    # dbt build → gate → publish every this many rounds (0: only after the drain round); dbt costs
    # ~5 s to start and tens of seconds to build on 2 shared cores.
    build_every: int = 10
    ticks_per_round: tuple[int, int] = (2, 4)
    changes_per_tick: int = 15
    step: timedelta = timedelta(minutes=30)
    # Each window starts this much before the previous one ended (ARCHITECTURE.md's safety margin).
    margin: timedelta = timedelta(minutes=15)
    page_limit: int = 20
    client_timeout: float = 0.5
    finance_start: date = date(2026, 1, 1)

    def describe(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, datetime | date | timedelta) else v for k, v in asdict(self).items()}


@dataclass
class RoundResult:
    number: int
    window: tuple[str, str]
    mix: dict[str, Any]
    faults: Counter = field(default_factory=Counter)
    findings: t.Findings = field(default_factory=t.Findings)
    errors: list[str] = field(default_factory=list)
    landed: dict[str, int] = field(default_factory=dict)
    published: bool = False
    seconds: float = 0.0
    kills: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "window": list(self.window),
            "mix": self.mix,
            "faults": dict(self.faults),
            "findings": self.findings.to_json(),
            "errors": self.errors,
            "landed": self.landed,
            "published": self.published,
            "seconds": round(self.seconds, 2),
            "kills": self.kills,
        }


@dataclass
class SoakState:
    """One soak run's shared state: the work directory, the seeded RNG every stage draws from (in a fixed
    order, so a seed replays the same soak), the secrets, what the truth knows, and the tallies."""

    work: Path
    settings: SoakSettings
    rng: random.Random = field(init=False)
    paths: Paths = field(init=False)
    logs: Path = field(init=False)  # the killed children's stdout and stderr, one file per kill
    token: str = field(default_factory=lambda: secrets.token_urlsafe(TOKEN_BYTES))
    key: bytes = field(default_factory=lambda: secrets.token_hex(16).encode())
    poison: PoisonLog = field(default_factory=PoisonLog)
    finance: t.FinanceTruth = field(default_factory=t.FinanceTruth)
    rounds: list[RoundResult] = field(default_factory=list)
    faults: Counter = field(default_factory=Counter)
    # Kills by kind: landed mid-stage (the stage was running, its output not yet visible) or missed.
    kill_counts: dict[str, Counter] = field(
        default_factory=lambda: {kind: Counter(landed=0, missed=0) for kind in KILL_KINDS}
    )
    publications: int = 0
    last_good: dict[str, tuple[int, int]] | None = None
    last_good_sha: str | None = None  # the published file's checksum after the last good publish
    db: Path | None = None
    office: Any = None
    hwm: datetime | None = None
    months: list[str] = field(default_factory=list)
    bad_templates: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.settings.seed)
        self.paths = Paths(self.work)
        self.logs = self.work / "logs"

    def kills(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [k for r in self.rounds for k in r.kills if kind is None or k["kind"] == kind]

    def log_path(self, result: RoundResult, what: str) -> Path:
        return self.logs / f"round-{result.number + 1:03d}-{what}.log"


@contextmanager
def env(**values: str) -> Iterator[None]:
    """Set environment variables for the block (the gate's reference clock, the pseudonymisation key)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def window_batch_id(lo: datetime, hi: datetime) -> str:
    from parmetrics.sources.dossier_api import batch_id_for_window

    return batch_id_for_window(lo, hi)
