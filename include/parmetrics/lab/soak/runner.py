"""``parmetrics soak``: rounds of seeded fault mixes, each checked against ground truth.

Setup: a small simulated province (its own data directory under ``<data>/soak/work``), its reference
snapshots landed, and its history extracted without faults. Then every round:

1. draws a fault mix from the seeded RNG (:func:`parmetrics.lab.soak.faults.draw_mix`);
2. lets the simulated office work (records change), and breaks a few records in the source if drawn;
3. extracts the new window of both datasets through the faulty API (a SIGKILLed extractor subprocess
   first, if drawn, then the rerun of the window — as Airflow's retry would);
4. drops finance files (the next month's reports, and bad files if drawn) and lands the inbox;
5. every few rounds: ``dbt build`` → mart gate → publish (a SIGKILLed publisher first, and a tampered
   copy of the build through the gate, if drawn);
6. compares landing, quarantine, staging, marts and the published file with the truth.

Kills are triggered on evidence that the stage is running, not on a timer. The killed extractor's
window is served in small pages, each held ``KILL_PACE_S`` by the simulator, and it is killed once the
request log shows the page drawn at random served and its hidden ``.batch=<id>.tmp-*`` holds a part
file. The killed publisher is held inside ``publish()`` before a step drawn at random (all before the
swap; the hold is a wrapper set in the child, ``publish.py`` is unchanged) and killed once its hidden
file exists beside the published one. A kill *landed mid-stage* when the child died by the signal
with its hidden output still there and nothing of it visible; any other outcome is *missed* (reported
with its reason; a child that failed on its own is a stage error with the tail of its log, which is
kept under ``<work>/logs``). After a landed kill the rerun is checked: no debris of the killed run, the
batch committed once, nothing lost or duplicated; for a publish, the file readers see right after the
kill is the last good one, byte for byte, and opens read-only, and after the rerun it is the new build.

A last *drain* round extracts without API faults up to the newest change, so records that moved
while being read arrive too, and builds and publishes once more: then nothing may be in flight.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from parmetrics.config import Paths
from parmetrics.lab.soak import truth as t
from parmetrics.lab.soak.faults import (
    ALL_KINDS,
    API_KINDS,
    FaultKnobs,
    Mix,
    PoisonLog,
    SoakFaultPlan,
    draw_mix,
    fired,
    poison_records,
)
from parmetrics.landing.writer import MANIFEST, file_sha256

log = logging.getLogger(__name__)
TOKEN_BYTES = 18
SOURCE = "dossier_api"
DATASETS = ("dossiers", "dossier_events")
FIGURES = ("records lost", "duplicates", "bad publishes", "violations")

# The extractor as its own process (so it can be SIGKILLed): arguments url, dataset, from, to, data dir,
# page limit, rows per part; the token and key come from the environment.
EXTRACTOR = """
import os, sys
from datetime import datetime
from pathlib import Path
from parmetrics.config import Paths
from parmetrics.quality.landing_gate import landing_gate
from parmetrics.sources.dossier_api import ApiConnection, extract_window
url, dataset, lo, hi, root, limit, per_part = sys.argv[1:8]
conn = ApiConnection(url, os.environ["SOAK_API_TOKEN"], timeout=2, max_attempts=10, backoff_initial=0.01,
                     backoff_max=0.05, max_retry_after=1)
print(f"extracting {dataset} {lo} .. {hi}, {limit} per page", flush=True)
stats = extract_window(conn, dataset, datetime.fromisoformat(lo), datetime.fromisoformat(hi), Paths(Path(root)),
                       os.environ["PARMETRICS_PSEUDONYM_KEY"].encode(), page_limit=int(limit),
                       rows_per_part=int(per_part), gate=landing_gate(Paths(Path(root)), "dossier_api", dataset))
print("done", stats, flush=True)
"""
# The publisher as its own process, held inside one step of publish() until the soak kills it: the hold
# is a wrapper set here, around a module-level step that publish() looks up when it runs (publish.py
# itself is not changed). Arguments: data dir, the step to hold before.
PUBLISHER = """
import sys, time
from pathlib import Path
import parmetrics.publish as publishing
from parmetrics.config import Paths
root, step = sys.argv[1:3]
original = getattr(publishing, step)  # raises if publish.py no longer has the step: the log says so

def held(*args, **kwargs):
    print(f"holding before {step}", flush=True)
    time.sleep(120)  # killed here
    return original(*args, **kwargs)

setattr(publishing, step, held)
publishing.publish(Paths(Path(root)), run_id="soak-killed")
print("done", flush=True)
"""
# Where a publish kill lands (all before the swap), by the step of publish() it is held before.
PUBLISH_HOLDS = {
    "start": "_tables",  # the hidden file just created, nothing copied yet
    "copy": "_copy_ops_records",  # the marts copied into the hidden file, not yet checkpointed
    "swap": "verify_publication",  # the hidden file written and fsynced, about to be verified and swapped in
}
KILL_KINDS = ("extract_kill", "publish_kill")
KILL_POLL_S = 0.01  # how often the evidence of a running stage is looked for
KILL_DEADLINE_S = 90.0
# While a killed extractor runs, every request waits this long: its window then spans ~KILL_PAGES pages
# and takes a second or so, and the kill lands between pages chosen at random.
KILL_PACE_S = 0.03
KILL_PAGES = 12
LOG_TAIL = 600


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


@contextmanager
def _env(**values: str) -> Iterator[None]:
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


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


class Soak:
    """One soak run in ``work`` (wiped first). ``run()`` returns the report; see the module docstring."""

    def __init__(self, work: Path, settings: SoakSettings, console: Console | None = None) -> None:
        self.work = work
        self.settings = settings
        self.console = console or Console(quiet=True)
        self.paths = Paths(work)
        self.rng = random.Random(settings.seed)
        self.token = secrets.token_urlsafe(TOKEN_BYTES)
        self.key = secrets.token_hex(16).encode()
        self.poison = PoisonLog()
        self.finance = t.FinanceTruth()
        self.rounds: list[RoundResult] = []
        self.faults: Counter = Counter()
        # Kills by kind: landed mid-stage (the stage was running, its output not yet visible) or missed.
        self.kill_counts: dict[str, Counter] = {kind: Counter(landed=0, missed=0) for kind in KILL_KINDS}
        self.logs = work / "logs"  # the killed children's stdout and stderr, one file per kill
        self.publications = 0
        self.last_good: dict[str, tuple[int, int]] | None = None
        self.last_good_sha: str | None = None  # the published file's checksum after the last good publish
        self.db: Path | None = None
        self.office: Any = None
        self.hwm: datetime | None = None
        self._months: list[str] = []
        self._bad_templates: list[Any] = []

    # ---- setup ------------------------------------------------------------------------------------

    def setup(self) -> None:
        from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db
        from parmetrics.lab.simulators.finance_files import bad_finance_files, finance_months
        from parmetrics.lab.simulators.generate import SimulationPlan, write_reference_drops
        from parmetrics.lab.simulators.live import LiveOffice
        from parmetrics.sources.reference_files import land_reference_inbox_files

        s = self.settings
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.db = write_dossier_db(
            self.paths.sim, DossierDataConfig(seed=s.seed, n_dossiers=s.dossiers, start=s.start, end=s.end)
        )
        plan = SimulationPlan(seed=s.seed, start=s.start.date(), end=s.end)
        list(write_reference_drops(self.paths.reference_inbox, plan))
        from parmetrics.quality.landing_gate import landing_gates

        outcomes = land_reference_inbox_files(self.paths.reference_inbox, self.paths, gates=landing_gates(self.paths))
        refused = [o for o in outcomes if o["status"] not in ("landed", "unchanged")]
        if refused:
            raise RuntimeError(f"soak setup: reference snapshots not landed: {refused}")
        self._months = list(finance_months(s.finance_start, s.end.date()))
        self._bad_templates = bad_finance_files(self.work / "bad_files", s.seed)
        self.office = LiveOffice(self.db, step=s.step, changes_per_tick=s.changes_per_tick)
        self.hwm = self.office.clock
        # The history, without faults: the rounds then play the nightly increments on top of it.
        self._extract_all(None, self.hwm, SoakFaultPlan(FaultKnobs(), stall_s=0))

    # ---- one round --------------------------------------------------------------------------------

    def _unseen(self) -> list[str]:
        return [k for k in ALL_KINDS if not self.faults[k]]

    def _force(self, number: int) -> set[str]:
        """Kinds not yet injected, spread over the rounds left, so that a short soak covers them all."""
        build_kinds = {"publish_kill", "bad_build"}
        unseen = [k for k in self._unseen() if k not in build_kinds]
        left = self.settings.rounds - number
        quota = math.ceil(len(unseen) / left) if left > 0 else len(unseen)
        return set(unseen[:quota])

    def _builds(self, number: int) -> bool:
        every = self.settings.build_every
        return bool(every) and (number + 1) % every == 0 and number + 1 < self.settings.rounds

    def run_round(self, number: int) -> RoundResult:
        s = self.settings
        started = time.monotonic()
        lo = self.hwm - s.margin
        for _ in range(self.rng.randint(*s.ticks_per_round)):
            self.office.tick()
        hi = self.office.clock
        mix = draw_mix(
            self.rng, seed=s.seed * 1000 + number, mutate_at=hi, build=self._builds(number), force=self._force(number)
        )
        result = RoundResult(number, (lo.isoformat(), hi.isoformat()), mix.describe())
        self.rounds.append(result)
        poisoned = []
        if mix.bad_records:
            poisoned = poison_records(self.db, self.rng, self.hwm, hi, mix.bad_records, self.poison, number)
            result.faults["bad_records"] += len(poisoned)
        plan = SoakFaultPlan(
            mix.knobs, timeout_rate=mix.timeout_rate, truncate_rate=mix.truncate_rate, stall_s=s.client_timeout * 3
        )
        try:
            self._extract_all(lo, hi, plan, kill=mix.extract_kill, result=result)
            self.hwm = hi
        except Exception as exc:  # the round fails, the next one re-extracts from the same mark
            result.errors.append(f"extract: {_one_line(exc)}")
        result.faults.update({k: v for k, v in fired(plan.log).items() if v})
        try:
            self._drop_finance(mix, result)
        except Exception as exc:
            result.errors.append(f"finance: {_one_line(exc)}")
        truth = t.source_truth(self.db, self.key)
        findings, result.landed = t.check_landing(self.paths, truth, hi, self.poison)
        findings.merge(self._debris_check())
        result.findings.merge(findings)
        for kill in result.kills:
            if "after_rerun" in kill:
                # The whole landing after the rerun, against the source.
                kill["after_rerun"].update(
                    {name: findings.figure(name) for name in ("records lost", "duplicates", "violations")}
                )
        for p in poisoned:
            batch_id = _batch_id(lo, hi)
            result.findings.merge(t.check_quarantine(self.paths, p.dataset, batch_id, [p.mark]))
        result.findings.merge(t.check_finance(self.paths, self.finance))
        if mix.build:
            self._build_and_publish(mix, truth, hi, result)
        self._finish(result, started)
        return result

    def drain(self) -> RoundResult:
        """The last round: no API faults, a window up to the newest change, then build and publish."""
        started = time.monotonic()
        number = len(self.rounds)
        lo = self.hwm - self.settings.margin
        truth = t.source_truth(self.db, self.key)
        newest = max(v for records in truth.records.values() for v, _ in records.values())
        hi = max(self.office.clock, newest + timedelta(seconds=1))
        # A publish kill is forced until one has landed over an earlier publication (the case that matters:
        # a reader must keep the last good file).
        over_previous = any(k["landed"] and k["over_previous"] for k in self.kills("publish_kill"))
        mix = Mix(FaultKnobs(), build=True)
        mix.publish_kill = not over_previous or self.rng.random() < 0.5
        mix.bad_build = not self.faults["bad_build"] or self.rng.random() < 0.3
        result = RoundResult(number, (lo.isoformat(), hi.isoformat()), {**mix.describe(), "drain": True})
        self.rounds.append(result)
        try:
            self._extract_all(lo, hi, SoakFaultPlan(FaultKnobs(), stall_s=0))
            self.hwm = hi
        except Exception as exc:
            result.errors.append(f"extract: {_one_line(exc)}")
        truth = t.source_truth(self.db, self.key)
        # No cutoff: every record of the source must now be landed at its latest version.
        findings, result.landed = t.check_landing(self.paths, truth, None, self.poison)
        findings.merge(self._debris_check())
        result.findings.merge(findings)
        result.findings.merge(t.check_finance(self.paths, self.finance))
        self._build_and_publish(mix, truth, None, result, clock=hi)
        self._finish(result, started)
        return result

    def _debris_check(self) -> t.Findings:
        findings = t.Findings()
        for dataset in DATASETS:
            for name in t.landing_debris(self.paths.dataset_landing(SOURCE, dataset)):
                findings.add("debris_visible", f"{dataset}: {name}")
        return findings

    def kills(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [k for r in self.rounds for k in r.kills if kind is None or k["kind"] == kind]

    def _finish(self, result: RoundResult, started: float) -> None:
        self.faults.update(result.faults)
        result.seconds = time.monotonic() - started

    # ---- extraction -------------------------------------------------------------------------------

    def _client(self, base_url: str) -> Any:
        from parmetrics.sources.dossier_api import ApiConnection

        # Quick retries: the soak's faults are dense, and Retry-After is honoured up to one second.
        return ApiConnection(
            base_url,
            self.token,
            timeout=self.settings.client_timeout,
            max_attempts=10,
            backoff_initial=0.01,
            backoff_max=0.05,
            max_retry_after=1,
        )

    def _extract_all(
        self,
        lo: datetime | None,
        hi: datetime,
        plan: SoakFaultPlan,
        *,
        kill: str | None = None,
        result: RoundResult | None = None,
    ) -> None:
        from parmetrics.lab.simulators.dossier_api import serve_in_thread
        from parmetrics.quality.landing_gate import landing_gate
        from parmetrics.sources.dossier_api import extract_window

        with serve_in_thread(self.db, self.token, faults=plan) as server:
            server.handle_error = _quiet_resets(server.handle_error)
            conn = self._client(server.base_url)
            for dataset in DATASETS:
                killed = None
                if kill == dataset and lo is not None and result is not None:
                    killed = self._kill_extraction(server.base_url, plan, dataset, lo, hi, result)
                # The (re)run of the window: replaces whatever a killed run left.
                extract_window(
                    conn,
                    dataset,
                    lo,
                    hi,
                    self.paths,
                    self.key,
                    page_limit=self.settings.page_limit,
                    rows_per_part=self.settings.page_limit,
                    gate=landing_gate(self.paths, "dossier_api", dataset),
                )
                if killed is not None and killed["landed"]:
                    killed["after_rerun"] = self._after_extraction_rerun(dataset, _batch_id(lo, hi), result)

    def _window_size(self, dataset: str, lo: datetime, hi: datetime) -> int:
        """Records of ``dataset`` the source holds in ``[lo, hi)`` (the window's pages, before faults)."""
        from parmetrics.timestamps import format_ts

        column = "ngay_cap_nhat" if dataset == "dossiers" else "thoi_diem_ghi_nhan"
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            sql = f"select count(*) from {dataset} where {column} >= ? and {column} < ?"
            return conn.execute(sql, (format_ts(lo), format_ts(hi))).fetchone()[0]
        finally:
            conn.close()

    def _run_and_kill(self, args: list[str], env: dict[str, str], log_path: Path, evidence: Any) -> dict[str, Any]:
        """Run ``python -c *args`` (stdout and stderr to ``log_path``) and SIGKILL it as soon as
        ``evidence()`` says its stage is in progress (polled every :data:`KILL_POLL_S`)."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        seen = None
        with log_path.open("wb") as out:
            child = subprocess.Popen(
                [sys.executable, "-c", *args], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
            try:
                while child.poll() is None and time.monotonic() - started < KILL_DEADLINE_S:
                    seen = evidence()
                    if seen:
                        child.send_signal(signal.SIGKILL)
                        break
                    time.sleep(KILL_POLL_S)
            finally:
                if child.poll() is None:
                    child.kill()
                child.wait()
        return {
            "evidence": seen,
            "returncode": child.returncode,
            "seconds": round(time.monotonic() - started, 3),
            "log": str(log_path.relative_to(self.work)),
        }

    def _log_path(self, result: RoundResult, what: str) -> Path:
        return self.logs / f"round-{result.number + 1:03d}-{what}.log"

    def _record_kill(
        self, kill: dict[str, Any], outcome: dict[str, Any], landed: bool, why: str, result: RoundResult
    ) -> None:
        """Count a kill as landed mid-stage or missed; a child that failed on its own is a stage error
        (with the tail of its log)."""
        kill.update(outcome, landed=landed)
        kind = kill["kind"]
        rc = outcome["returncode"]
        if landed:
            result.faults[kind] += 1
            self.kill_counts[kind]["landed"] += 1
        else:
            kill["missed"] = why
            self.kill_counts[kind]["missed"] += 1
        if rc not in (0, -signal.SIGKILL):
            tail = _tail(self.work / outcome["log"])
            result.errors.append(f"{kind}: the child exited {rc} before it was killed ({outcome['log']}): {tail}")
        result.kills.append(kill)

    def _kill_extraction(
        self, base_url: str, plan: SoakFaultPlan, dataset: str, lo: datetime, hi: datetime, result: RoundResult
    ) -> dict[str, Any]:
        """Run the window's extraction in a child, paced by the server, and SIGKILL it once the request
        log shows the page drawn at random served and its hidden batch holds a part file (or, if nothing of
        the window lands, once all its pages are served)."""
        batch_id = _batch_id(lo, hi)
        dataset_dir = self.paths.dataset_landing(SOURCE, dataset)
        records = self._window_size(dataset, lo, hi)
        # Small pages (one part file each) so that the window spans ~KILL_PAGES of them.
        limit = max(1, min(self.settings.page_limit, math.ceil(records / KILL_PAGES)))
        pages = max(1, math.ceil(records / limit))
        target = self.rng.randint(1, max(1, pages - 1))
        kill: dict[str, Any] = {
            "kind": "extract_kill",
            "round": result.number + 1,
            "dataset": dataset,
            "batch": batch_id,
            "window_records": records,
            "page_limit": limit,
            "kill_after_pages": target,
        }
        env = {**os.environ, "SOAK_API_TOKEN": self.token, "PARMETRICS_PSEUDONYM_KEY": self.key.decode()}
        args = [EXTRACTOR, base_url, dataset, lo.isoformat(), hi.isoformat(), str(self.work), str(limit), str(limit)]
        served_before = plan.served[dataset]

        def evidence() -> str | None:
            served = plan.served[dataset] - served_before
            if served < target:
                return None
            hidden = sorted(dataset_dir.glob(f".batch={batch_id}.tmp-*"))
            parts = sum(1 for h in hidden for _ in h.glob("part-*.parquet"))
            # A part written; or, when the window holds nothing that lands (empty, or only records broken
            # in the source), its pages all served while the batch is still open.
            if not hidden or (not parts and served < pages):
                return None
            return f"{hidden[0].name} holds {parts} part file(s), {served} page(s) served"

        plan.pace_s = KILL_PACE_S
        try:
            outcome = self._run_and_kill(args, env, self._log_path(result, f"extract-{dataset}"), evidence)
        finally:
            plan.pace_s = 0.0
        kill["pages_served"] = plan.served[dataset] - served_before
        hidden = sorted(p.name for p in dataset_dir.glob(f".batch={batch_id}.tmp-*"))
        committed = (dataset_dir / f"batch={batch_id}").exists()
        kill["hidden_after_kill"] = hidden
        killed = outcome["evidence"] is not None and outcome["returncode"] == -signal.SIGKILL
        # Mid-batch: killed while running, its hidden batch still there and nothing committed.
        landed = killed and bool(hidden) and not committed
        if landed:
            why = ""
        elif outcome["returncode"] == 0 and outcome["evidence"] is None:
            why = f"the extractor finished before the evidence was seen ({kill['pages_served']} pages served)"
        elif committed:
            why = "the batch was committed before the kill"
        elif outcome["evidence"] is None:
            why = f"no evidence of a running extraction (exit {outcome['returncode']})"
        else:
            why = "no hidden batch left after the kill"
        self._record_kill(kill, outcome, landed, why, result)
        return kill

    def _after_extraction_rerun(self, dataset: str, batch_id: str, result: RoundResult) -> dict[str, Any]:
        """After the rerun of a killed window: the batch committed once, nothing of the killed run left."""
        dataset_dir = self.paths.dataset_landing(SOURCE, dataset)
        hidden = sorted(p.name for p in dataset_dir.glob(f".batch={batch_id}.*"))
        visible = t.landing_debris(dataset_dir)
        committed = (dataset_dir / f"batch={batch_id}" / MANIFEST).exists()
        for name in hidden:
            result.findings.add("kill_debris", f"{dataset}: {name} left after the rerun of a killed extraction")
        for name in visible:
            result.findings.add("kill_debris", f"{dataset}: {name} visible after the rerun of a killed extraction")
        if not committed:
            result.findings.add("lost", f"{dataset} batch={batch_id}: the rerun of a killed extraction did not commit")
        return {"hidden_left": hidden, "visible_debris": visible, "batch_committed": committed}

    # ---- finance files ----------------------------------------------------------------------------

    def _drop_finance(self, mix: Mix, result: RoundResult) -> None:
        """On a bad-files round: the next month's three reports (one a corrected re-send now and then)
        and ``mix.bad_files`` bad files, dropped together and landed from the inbox."""
        from parmetrics.lab.simulators.finance_files import DATASETS as FINANCE_DATASETS
        from parmetrics.lab.simulators.finance_files import rows_for, write_finance_file
        from parmetrics.sources.finance_files import land_finance_inbox

        if not mix.bad_files:
            return
        inbox = self.paths.inbox
        dropped: list[tuple[str, str, int, Path]] = []
        landed_periods = sorted({p for _, p in self.finance.winners})
        if self._months:
            month = self._months.pop(0)
            for dataset in FINANCE_DATASETS:
                fmt = self.rng.choice(("csv", "xlsx"))
                path = write_finance_file(inbox, dataset, month, fmt, seed=self.settings.seed)
                dropped.append((dataset, month, 0, path))
        if landed_periods and self.rng.random() < 0.3:
            month = self.rng.choice(landed_periods)
            dataset = self.rng.choice(FINANCE_DATASETS)
            version = self.finance.winners[(dataset, month)][0] + 1 if (dataset, month) in self.finance.winners else 1
            dropped.append(
                (
                    dataset,
                    month,
                    version,
                    write_finance_file(inbox, dataset, month, "csv", version=version, seed=self.settings.seed),
                )
            )
        for dataset, month, version, path in dropped:
            current = self.finance.winners.get((dataset, month))
            if current is None or version >= current[0]:
                rows = len(rows_for(dataset, month, self.settings.seed))
                self.finance.winners[(dataset, month)] = (version, file_sha256(path), rows)
        for bad in self.rng.sample(self._bad_templates, min(mix.bad_files, len(self._bad_templates))):
            target = inbox / bad.path.name
            shutil.copyfile(bad.path, inbox / f".{bad.path.name}.tmp")
            os.replace(inbox / f".{bad.path.name}.tmp", target)  # a drop is atomic, as the contract's writers do
            rule, digest, times = self.finance.bad.get(bad.path.name, (bad.rule, file_sha256(target), 0))
            self.finance.bad[bad.path.name] = (rule, digest, times + 1)
            result.faults["bad_files"] += 1
        from parmetrics.quality.landing_gate import landing_gates

        land_finance_inbox(inbox, self.paths, gates=landing_gates(self.paths))

    # ---- build, gate, publish ---------------------------------------------------------------------

    def _build_and_publish(
        self,
        mix: Mix,
        truth: t.SourceTruth,
        cutoff: datetime | None,
        result: RoundResult,
        clock: datetime | None = None,
    ) -> None:
        from parmetrics.publish import publish
        from parmetrics.quality.gate import QualityGateError, run_mart_gate
        from parmetrics.transform.dbt_runner import build

        clock = clock or cutoff
        with _env(PARMETRICS_CLOCK=clock.isoformat(timespec="seconds")):
            try:
                build(self.paths)
            except Exception as exc:
                result.errors.append(f"dbt build: {_one_line(exc)}")
                return
            agrees = t.check_build(self.paths.build_db, truth, cutoff, self.poison)
            agrees.merge(t.check_finance_build(self.paths.build_db, self.finance))
            result.findings.merge(agrees)
            candidate = t.marts_fingerprint(self.paths.build_db)
            if mix.bad_build:
                self._tampered_build_through_gate(result)
            try:
                run_mart_gate(self.paths, run_id=f"soak-{result.number}", docs=False)
            except QualityGateError as exc:
                result.errors.append(f"gate refused an untampered build: {_one_line(exc)}")
                return
            if agrees.failed:
                # The gate passed a build that disagrees with the source: publishing it is a bad publish.
                result.findings.add("bad_publish", "the gate passed a build that disagrees with the source")
            killed = self._kill_publish(candidate, result) if mix.publish_kill else None
            try:
                publish(self.paths, run_id=f"soak-{result.number}")
            except Exception as exc:
                result.errors.append(f"publish: {_one_line(exc)}")
                self._check_published({}, result)
                return
        self._check_published({"new": candidate}, result, expect=candidate)
        self.last_good = candidate
        self.last_good_sha = file_sha256(self.paths.published_db)
        self.publications += 1
        result.published = True
        if killed is not None and killed["landed"]:
            killed["after_rerun"] = self._after_publish_rerun(candidate, result)

    def _check_published(self, allowed: dict[str, Any], result: RoundResult, expect: Any = None) -> None:
        if self.last_good is not None:
            allowed = {"last good": self.last_good, **allowed}
        result.findings.merge(
            t.check_publication(
                self.paths.published_db, allowed, expect=expect, ever_published=self.last_good is not None
            )
        )

    def _kill_publish(self, candidate: dict[str, tuple[int, int]], result: RoundResult) -> dict[str, Any]:
        """SIGKILL a publisher held inside publish() (a step drawn at random, all before the swap) once its
        hidden publication file exists beside the published one; then check what a reader sees."""
        phase = self.rng.choice(sorted(PUBLISH_HOLDS))
        step = PUBLISH_HOLDS[phase]
        folder = self.paths.published
        log_path = self._log_path(result, f"publish-{phase}")
        marker = f"holding before {step}".encode()
        before = t.visible_files(folder)
        kill: dict[str, Any] = {
            "kind": "publish_kill",
            "round": result.number + 1,
            "phase": phase,
            "held_before": step,
            "over_previous": self.last_good_sha is not None,
        }

        def evidence() -> str | None:
            hidden = sorted(folder.glob(".par_metrics-*.duckdb"))
            if not hidden or not log_path.exists() or marker not in log_path.read_bytes():
                return None
            return f"{hidden[0].name} exists beside the published file; the publisher is in publish(), at {step}"

        outcome = self._run_and_kill([PUBLISHER, str(self.work), step], dict(os.environ), log_path, evidence)
        hidden = sorted(p.name for p in folder.glob(".par_metrics-*.duckdb*"))
        kill["hidden_after_kill"] = hidden
        published = self.paths.published_db
        sha = file_sha256(published) if published.exists() else None
        killed = outcome["evidence"] is not None and outcome["returncode"] == -signal.SIGKILL
        # Mid-publish: killed while held in publish(), its hidden file never swapped in.
        landed = killed and bool(hidden)
        if landed:
            why = ""
        elif outcome["returncode"] == 0:
            why = "the publish finished first"
        elif outcome["evidence"] is None:
            why = f"no evidence of a running publish (exit {outcome['returncode']})"
        else:
            why = "no hidden publication left after the kill"
        self._record_kill(kill, outcome, landed, why, result)
        if landed:
            opens = _opens_read_only(published) if published.exists() else None
            after = {
                "published_is_last_good": sha == self.last_good_sha and (opens is None or opens == self.last_good),
                # None: nothing was ever published, and nothing may be now (published_is_last_good).
                "opens_read_only": (opens is not None) if self.last_good_sha else None,
                "visible_changed": sorted(set(before.items()) ^ set(t.visible_files(folder).items())),
            }
            kill["after_kill"] = after
            if not after["published_is_last_good"] or after["opens_read_only"] is False:
                result.findings.add("bad_publish", f"a publish killed at {phase} changed the published file")
            for name, _ in after["visible_changed"]:
                result.findings.add("kill_debris", f"a publish killed at {phase} changed {name}")
        elif "done" in _tail(log_path):
            # The publish went through before the kill: the candidate is published, checked as such.
            self._check_published({}, result, expect=candidate)
            self.last_good, self.last_good_sha = candidate, sha
        return kill

    def _after_publish_rerun(self, candidate: dict[str, tuple[int, int]], result: RoundResult) -> dict[str, Any]:
        """After the publish that followed a landed kill: no leftover of the killed one, the verified build
        published, the file opens read-only."""
        folder = self.paths.published
        hidden = sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))
        opens = _opens_read_only(self.paths.published_db)
        after = {
            "hidden_left": hidden,
            "published_is_build": opens == candidate,
            "opens_read_only": opens is not None,
        }
        for name in hidden:
            result.findings.add("kill_debris", f"{name} left in published/ after the rerun of a killed publish")
        return after

    def _tampered_build_through_gate(self, result: RoundResult) -> None:
        """A copy of the build, broken the way a faulty model would break it, must not pass the gate."""
        from parmetrics.quality.gate import QualityGateError, run_mart_gate

        copy = self.paths.warehouse / "soak_tampered.duckdb"
        shutil.copyfile(self.paths.build_db, copy)
        tampers = {
            "duplicated dossiers": "insert into marts.dossier_facts select * from marts.dossier_facts limit 3",
            "unknown status": "update marts.dossier_facts set status = 42 where dossier_key in "
            "(select dossier_key from marts.dossier_facts order by dossier_key limit 3)",
        }
        if self.paths.published_db.exists():
            # Against a previous publication, losing most of a mart is caught by the row-count suite.
            tampers["three quarters of criteria_scores lost"] = "delete from marts.criteria_scores where rowid % 4 != 0"
        name = self.rng.choice(sorted(tampers))
        with duckdb.connect(str(copy)) as con:
            con.execute(tampers[name])
        try:
            run_mart_gate(self.paths, run_id=f"soak-{result.number}-tampered", database=copy, docs=False)
        except QualityGateError:
            result.faults["bad_build"] += 1
        else:
            # The DAG would now publish it.
            result.findings.add("bad_publish", f"the gate passed a tampered build ({name})")
            result.faults["bad_build"] += 1
        finally:
            copy.unlink(missing_ok=True)

    # ---- the whole soak ---------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        self.console.print(
            f"soak: {self.settings.rounds} rounds, seed {self.settings.seed}, "
            f"{self.settings.dossiers} dossiers, build every {self.settings.build_every or '-'} rounds"
        )
        self.setup()
        self.console.print(f"setup done in {time.monotonic() - started:.1f} s (history landed up to {self.hwm})")
        for number in range(self.settings.rounds):
            self._print(self.run_round(number))
        self._print(self.drain())
        return self.report(time.monotonic() - started)

    def totals(self) -> dict[str, int]:
        findings = t.Findings()
        for r in self.rounds:
            findings.merge(r.findings)
        out = {name: findings.figure(name) for name in FIGURES}
        out["stage errors"] = sum(len(r.errors) for r in self.rounds)
        return out

    def report(self, seconds: float) -> dict[str, Any]:
        findings = t.Findings()
        for r in self.rounds:
            findings.merge(r.findings)
        return {
            "settings": self.settings.describe(),
            "seconds": round(seconds, 1),
            "rounds": self.settings.rounds,
            "faults": {k: self.faults[k] for k in ALL_KINDS},
            "kills": {kind: dict(counts) for kind, counts in self.kill_counts.items()},
            "kill_details": self.kills(),
            "publications": self.publications,
            "poisoned_records": len(self.poison.entries),
            "bad_files_dropped": sum(n for _, _, n in self.finance.bad.values()),
            "finance_periods_landed": len(self.finance.winners),
            "totals": self.totals(),
            "problems": findings.to_json(),
            "errors": [f"round {r.number}: {e}" for r in self.rounds for e in r.errors],
            "round_results": [r.to_json() for r in self.rounds],
        }

    def _print(self, r: RoundResult) -> None:
        kinds = ", ".join(f"{k}×{n}" for k, n in sorted(r.faults.items())) or "no faults"
        problems = {k: n for k, n in r.findings.counts.items() if k in t.FAILURES and n}
        status = "[green]ok[/green]" if not problems and not r.errors else f"[red]{problems} {r.errors}[/red]"
        label = "drain" if r.mix.get("drain") else f"{r.number + 1:>3}"
        built = " build+publish" if r.published else (" build" if r.mix.get("build") else "")
        kills = "".join(f" | {_describe_kill(k)}" for k in r.kills)
        self.console.print(f"round {label}: {r.seconds:5.1f} s{built} | {kinds}{kills} | {status}")


def _describe_kill(kill: dict[str, Any]) -> str:
    what = kill.get("dataset") or kill.get("phase")
    if not kill["landed"]:
        return f"{kill['kind']} {what}: missed ({kill['missed']})"
    if kill["kind"] == "extract_kill":
        return f"{kill['kind']} {what}: landed mid-batch after {kill['pages_served']} pages in {kill['seconds']:.2f} s"
    return f"{kill['kind']} {what}: landed mid-publish in {kill['seconds']:.2f} s"


def _quiet_resets(handle_error: Any) -> Any:
    """The server's error handler, minus the traceback of a connection its killed client reset."""

    def handle(request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionResetError | BrokenPipeError):
            log.info("dossier API simulator: %s (a killed client)", _one_line(exc))
            return
        handle_error(request, client_address)

    return handle


def _tail(path: Path) -> str:
    """The end of a child's log, on one line."""
    try:
        text = path.read_bytes()[-LOG_TAIL * 4 :].decode(errors="replace")
    except OSError:
        return ""
    return " ".join(text.split())[-LOG_TAIL:]


def _opens_read_only(path: Path) -> dict[str, tuple[int, int]] | None:
    """The marts' fingerprint of a file opened read-only; None when it does not open or read."""
    try:
        return t.marts_fingerprint(path)
    except (duckdb.Error, OSError):
        return None


def _batch_id(lo: datetime, hi: datetime) -> str:
    from parmetrics.sources.dossier_api import batch_id_for_window

    return batch_id_for_window(lo, hi)


def print_summary(report: dict[str, Any], console: Console) -> None:
    faults = Table(title="faults injected", show_header=True)
    faults.add_column("kind")
    faults.add_column("count", justify="right")
    for kind, n in report["faults"].items():
        faults.add_row(kind + (" (API)" if kind in API_KINDS else ""), str(n))
    console.print(faults)
    figures = Table(title=f"soak: {report['rounds']} rounds + drain in {report['seconds']:.0f} s", show_header=True)
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    figures.add_row("publications", str(report["publications"]))
    figures.add_row("records broken in the source", str(report["poisoned_records"]))
    figures.add_row("bad finance files dropped", str(report["bad_files_dropped"]))
    for name, value in report["totals"].items():
        style = "green" if value == 0 else "red"
        figures.add_row(name, f"[{style}]{value}[/{style}]")
    console.print(figures)
    kills = Table(title="kills", show_header=True)
    kills.add_column("kind")
    kills.add_column("landed mid-stage", justify="right")
    kills.add_column("missed", justify="right")
    for kind, counts in report["kills"].items():
        kills.add_row(kind, str(counts["landed"]), str(counts["missed"]))
    console.print(kills)
    for kill in report["kill_details"]:
        if not kill["landed"]:
            console.print(f"round {kill['round']}: {_describe_kill(kill)}; log {kill['log']}")
    for kind, examples in report["problems"]["examples"].items():
        if kind in t.FAILURES:
            console.print(f"[red]{kind}[/red]: {report['problems']['counts'][kind]}, e.g. {examples[:3]}")
    for error in report["errors"][:10]:
        console.print(f"[red]error[/red] {error}")


def write_report(report: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    path = out_dir / f"soak-{stamp}-seed{report['settings']['seed']}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    os.replace(tmp, path)
    return path


def passed(report: dict[str, Any]) -> bool:
    return not any(report["totals"].values())


def run_soak(data_root: Path, settings: SoakSettings, console: Console | None = None) -> tuple[dict[str, Any], Path]:
    """Run a soak in ``<data_root>/soak/work``; returns the report and the JSON file written beside it."""
    soak = Soak(data_root / "soak" / "work", settings, console)
    report = soak.run()
    return report, write_report(report, data_root / "soak")
