"""``parmetrics soak``: rounds of seeded fault mixes, each checked against ground truth.

Setup: a small simulated province (its own data directory under ``<data>/soak/work``), its reference
snapshots landed, and its history extracted without faults. Then every round:

1. draws a fault mix from the seeded RNG (:func:`parmetrics.soak.faults.draw_mix`);
2. lets the simulated office work (records change), and breaks a few records in the source if drawn;
3. extracts the new window of both datasets through the faulty API (a SIGKILLed extractor subprocess
   first, if drawn, then the rerun of the window — as Airflow's retry would);
4. drops finance files (the next month's reports, and bad files if drawn) and lands the inbox;
5. every few rounds: ``dbt build`` → mart gate → publish (a SIGKILLed publisher first, and a tampered
   copy of the build through the gate, if drawn);
6. compares landing, quarantine, staging, marts and the published file with the truth.

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
from parmetrics.landing.writer import file_sha256
from parmetrics.soak import truth as t
from parmetrics.soak.faults import (
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
from parmetrics.sources.dossier_api import ApiConnection, extract_window
url, dataset, lo, hi, root, limit, per_part = sys.argv[1:8]
conn = ApiConnection(url, os.environ["SOAK_API_TOKEN"], timeout=2, max_attempts=10, backoff_initial=0.01,
                     backoff_max=0.05, max_retry_after=1)
extract_window(conn, dataset, datetime.fromisoformat(lo), datetime.fromisoformat(hi), Paths(Path(root)),
               os.environ["PARMETRICS_PSEUDONYM_KEY"].encode(), page_limit=int(limit), rows_per_part=int(per_part))
"""
PUBLISHER = """
import sys
from pathlib import Path
from parmetrics.config import Paths
from parmetrics.publish import publish
paths = Paths(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
publish(paths, run_id="soak-killed")
print("done", flush=True)
"""


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
        self.missed: Counter = Counter()  # kills that came too late to hit mid-batch / mid-publish
        self.publications = 0
        self.last_good: dict[str, tuple[int, int]] | None = None
        self.publish_seconds = 1.0
        self.db: Path | None = None
        self.office: Any = None
        self.hwm: datetime | None = None
        self._months: list[str] = []
        self._bad_templates: list[Any] = []

    # ---- setup ------------------------------------------------------------------------------------

    def setup(self) -> None:
        from parmetrics.simulators.dossier_data import DossierDataConfig, write_dossier_db
        from parmetrics.simulators.finance_files import bad_finance_files, finance_months
        from parmetrics.simulators.generate import SimulationPlan, write_reference_drops
        from parmetrics.simulators.live import LiveOffice
        from parmetrics.sources.reference_files import land_reference_inbox_files

        s = self.settings
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.db = write_dossier_db(
            self.paths.sim, DossierDataConfig(seed=s.seed, n_dossiers=s.dossiers, start=s.start, end=s.end)
        )
        plan = SimulationPlan(seed=s.seed, start=s.start.date(), end=s.end)
        list(write_reference_drops(self.paths.reference_inbox, plan))
        outcomes = land_reference_inbox_files(self.paths.reference_inbox, self.paths)
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
        result.findings.merge(findings)
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
        force = {k for k in ("publish_kill", "bad_build") if not self.faults[k]}
        mix = Mix(FaultKnobs(), build=True)
        mix.publish_kill = "publish_kill" in force or self.rng.random() < 0.5
        mix.bad_build = "bad_build" in force or self.rng.random() < 0.3
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
        result.findings.merge(findings)
        result.findings.merge(t.check_finance(self.paths, self.finance))
        self._build_and_publish(mix, truth, None, result, clock=hi)
        self._finish(result, started)
        return result

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
        from parmetrics.simulators.dossier_api import serve_in_thread
        from parmetrics.sources.dossier_api import extract_window

        with serve_in_thread(self.db, self.token, faults=plan) as server:
            conn = self._client(server.base_url)
            for dataset in DATASETS:
                if kill == dataset and lo is not None and result is not None:
                    if self._kill_extraction(server.base_url, dataset, lo, hi):
                        result.faults["extract_kill"] += 1
                    else:
                        self.missed["extract_kill"] += 1
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
                )

    def _kill_extraction(self, base_url: str, dataset: str, lo: datetime, hi: datetime) -> bool:
        """SIGKILL an extractor process once it has written part files; True if it died mid-batch."""
        batch_id = _batch_id(lo, hi)
        dataset_dir = self.paths.dataset_landing(SOURCE, dataset)
        part = self.rng.randrange(2)
        env = {**os.environ, "SOAK_API_TOKEN": self.token, "PARMETRICS_PSEUDONYM_KEY": self.key.decode()}
        # Small pages and parts, so the window takes many pages and the kill lands between them.
        args = [base_url, dataset, lo.isoformat(), hi.isoformat(), str(self.work), "3", "3"]
        child = subprocess.Popen(
            [sys.executable, "-c", EXTRACTOR, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        try:
            while not list(dataset_dir.glob(f".batch={batch_id}.tmp-*/part-{part:05d}.parquet")):
                if child.poll() is not None or time.monotonic() > deadline:
                    return False
                time.sleep(0.005)
            child.send_signal(signal.SIGKILL)
            child.wait()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        # Mid-batch: the killed writer's hidden batch is still there, uncommitted.
        return bool(list(dataset_dir.glob(f".batch={batch_id}.tmp-*")))

    # ---- finance files ----------------------------------------------------------------------------

    def _drop_finance(self, mix: Mix, result: RoundResult) -> None:
        """On a bad-files round: the next month's three reports (one a corrected re-send now and then)
        and ``mix.bad_files`` bad files, dropped together and landed from the inbox."""
        from parmetrics.simulators.finance_files import DATASETS as FINANCE_DATASETS
        from parmetrics.simulators.finance_files import rows_for, write_finance_file
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
        land_finance_inbox(inbox, self.paths)

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
            if mix.publish_kill:
                self._kill_publish(candidate, result)
            started = time.monotonic()
            try:
                publish(self.paths, run_id=f"soak-{result.number}")
            except Exception as exc:
                result.errors.append(f"publish: {_one_line(exc)}")
                self._check_published({}, result)
                return
            self.publish_seconds = time.monotonic() - started
        self._check_published({"new": candidate}, result, expect=candidate)
        self.last_good = candidate
        self.publications += 1
        result.published = True

    def _check_published(self, allowed: dict[str, Any], result: RoundResult, expect: Any = None) -> None:
        if self.last_good is not None:
            allowed = {"last good": self.last_good, **allowed}
        result.findings.merge(
            t.check_publication(
                self.paths.published_db, allowed, expect=expect, ever_published=self.last_good is not None
            )
        )

    def _kill_publish(self, candidate: dict[str, tuple[int, int]], result: RoundResult) -> None:
        """SIGKILL a publisher process at a random moment of its publish, then check the published file."""
        proc = subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(self.work)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            if proc.stdout.readline().strip() != "ready":
                result.errors.append("publish kill: the publisher did not start")
                return
            proc.stdin.write("go\n")
            proc.stdin.flush()
            time.sleep(self.rng.uniform(0, self.publish_seconds * 1.2))
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if "done" in out:
            self.missed["publish_kill"] += 1
        else:
            result.faults["publish_kill"] += 1
        self._check_published({"new": candidate}, result)
        if "done" in out:
            self.last_good = candidate

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
            "kills_too_late": dict(self.missed),
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
        self.console.print(f"round {label}: {r.seconds:5.1f} s{built} | {kinds} | {status}")


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
    if report["kills_too_late"]:
        console.print(f"kills that came after the work was done (not counted): {report['kills_too_late']}")
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
