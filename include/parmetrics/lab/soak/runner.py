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

import math
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from parmetrics.lab.soak import truth as t
from parmetrics.lab.soak.extraction import Extraction
from parmetrics.lab.soak.faults import ALL_KINDS, FaultKnobs, Mix, SoakFaultPlan, draw_mix, fired, poison_records
from parmetrics.lab.soak.finance_drops import FinanceDrops
from parmetrics.lab.soak.publication import Publication
from parmetrics.lab.soak.report import build_report, passed, print_summary, round_line, write_report
from parmetrics.lab.soak.state import KILL_KINDS, RoundResult, SoakSettings, SoakState, one_line, window_batch_id

# Re-exported: the CLI and the tests import these from the runner.
__all__ = [
    "KILL_KINDS",
    "RoundResult",
    "Soak",
    "SoakSettings",
    "passed",
    "print_summary",
    "run_soak",
    "write_report",
]


class Soak:
    """One soak run in ``work`` (wiped first). ``run()`` returns the report; see the module docstring.

    The stages are their own objects over one shared :class:`SoakState`: extraction (with its kill),
    the finance drops, and build → gate → publish (with its kill and the tampered build)."""

    def __init__(self, work: Path, settings: SoakSettings, console: Console | None = None) -> None:
        self.state = SoakState(work, settings)
        self.console = console or Console(quiet=True)
        self.extraction = Extraction(self.state)
        self.finance_drops = FinanceDrops(self.state)
        self.publication = Publication(self.state)

    # ---- setup ------------------------------------------------------------------------------------

    def setup(self) -> None:
        from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db
        from parmetrics.lab.simulators.finance_files import bad_finance_files, finance_months
        from parmetrics.lab.simulators.generate import SimulationPlan, write_reference_drops
        from parmetrics.lab.simulators.live import LiveOffice
        from parmetrics.sources.reference_files import land_reference_inbox_files

        s = self.state.settings
        shutil.rmtree(self.state.work, ignore_errors=True)
        self.state.work.mkdir(parents=True)
        self.state.db = write_dossier_db(
            self.state.paths.sim, DossierDataConfig(seed=s.seed, n_dossiers=s.dossiers, start=s.start, end=s.end)
        )
        plan = SimulationPlan(seed=s.seed, start=s.start.date(), end=s.end)
        list(write_reference_drops(self.state.paths.reference_inbox, plan))
        from parmetrics.quality.landing_gate import landing_gates

        outcomes = land_reference_inbox_files(
            self.state.paths.reference_inbox, self.state.paths, gates=landing_gates(self.state.paths)
        )
        refused = [o for o in outcomes if o["status"] not in ("landed", "unchanged")]
        if refused:
            raise RuntimeError(f"soak setup: reference snapshots not landed: {refused}")
        self.state.months = list(finance_months(s.finance_start, s.end.date()))
        self.state.bad_templates = bad_finance_files(self.state.work / "bad_files", s.seed)
        self.state.office = LiveOffice(self.state.db, step=s.step, changes_per_tick=s.changes_per_tick)
        self.state.hwm = self.state.office.clock
        # The history, without faults: the rounds then play the nightly increments on top of it.
        self.extraction.extract_all(None, self.state.hwm, SoakFaultPlan(FaultKnobs(), stall_s=0))

    def _unseen(self) -> list[str]:
        return [k for k in ALL_KINDS if not self.state.faults[k]]

    def _force(self, number: int) -> set[str]:
        """Kinds not yet injected, spread over the rounds left, so that a short soak covers them all."""
        build_kinds = {"publish_kill", "bad_build"}
        unseen = [k for k in self._unseen() if k not in build_kinds]
        left = self.state.settings.rounds - number
        quota = math.ceil(len(unseen) / left) if left > 0 else len(unseen)
        return set(unseen[:quota])

    def _builds(self, number: int) -> bool:
        every = self.state.settings.build_every
        return bool(every) and (number + 1) % every == 0 and number + 1 < self.state.settings.rounds

    def run_round(self, number: int) -> RoundResult:
        s = self.state.settings
        started = time.monotonic()
        lo = self.state.hwm - s.margin
        for _ in range(self.state.rng.randint(*s.ticks_per_round)):
            self.state.office.tick()
        hi = self.state.office.clock
        mix = draw_mix(
            self.state.rng,
            seed=s.seed * 1000 + number,
            mutate_at=hi,
            build=self._builds(number),
            force=self._force(number),
        )
        result = RoundResult(number, (lo.isoformat(), hi.isoformat()), mix.describe())
        self.state.rounds.append(result)
        poisoned = []
        if mix.bad_records:
            state = self.state
            poisoned = poison_records(state.db, state.rng, state.hwm, hi, mix.bad_records, state.poison, number)
            result.faults["bad_records"] += len(poisoned)
        plan = SoakFaultPlan(
            mix.knobs, timeout_rate=mix.timeout_rate, truncate_rate=mix.truncate_rate, stall_s=s.client_timeout * 3
        )
        try:
            self.extraction.extract_all(lo, hi, plan, kill=mix.extract_kill, result=result)
            self.state.hwm = hi
        except Exception as exc:  # the round fails, the next one re-extracts from the same mark
            result.errors.append(f"extract: {one_line(exc)}")
        result.faults.update({k: v for k, v in fired(plan.log).items() if v})
        try:
            self.finance_drops.drop(mix, result)
        except Exception as exc:
            result.errors.append(f"finance: {one_line(exc)}")
        truth = t.source_truth(self.state.db, self.state.key)
        findings, result.landed = t.check_landing(self.state.paths, truth, hi, self.state.poison)
        findings.merge(self.extraction.debris_check())
        result.findings.merge(findings)
        for kill in result.kills:
            if "after_rerun" in kill:
                # The whole landing after the rerun, against the source.
                kill["after_rerun"].update(
                    {name: findings.figure(name) for name in ("records lost", "duplicates", "violations")}
                )
        for p in poisoned:
            result.findings.merge(t.check_quarantine(self.state.paths, p.dataset, window_batch_id(lo, hi), [p.mark]))
        result.findings.merge(t.check_finance(self.state.paths, self.state.finance))
        if mix.build:
            self.publication.build_and_publish(mix, truth, hi, result)
        self._finish(result, started)
        return result

    def drain(self) -> RoundResult:
        """The last round: no API faults, a window up to the newest change, then build and publish."""
        started = time.monotonic()
        number = len(self.state.rounds)
        lo = self.state.hwm - self.state.settings.margin
        truth = t.source_truth(self.state.db, self.state.key)
        newest = max(v for records in truth.records.values() for v, _ in records.values())
        hi = max(self.state.office.clock, newest + timedelta(seconds=1))
        # A publish kill is forced until one has landed over an earlier publication (the case that matters:
        # a reader must keep the last good file).
        over_previous = any(k["landed"] and k["over_previous"] for k in self.state.kills("publish_kill"))
        mix = Mix(FaultKnobs(), build=True)
        mix.publish_kill = not over_previous or self.state.rng.random() < 0.5
        mix.bad_build = not self.state.faults["bad_build"] or self.state.rng.random() < 0.3
        result = RoundResult(number, (lo.isoformat(), hi.isoformat()), {**mix.describe(), "drain": True})
        self.state.rounds.append(result)
        try:
            self.extraction.extract_all(lo, hi, SoakFaultPlan(FaultKnobs(), stall_s=0))
            self.state.hwm = hi
        except Exception as exc:
            result.errors.append(f"extract: {one_line(exc)}")
        truth = t.source_truth(self.state.db, self.state.key)
        # No cutoff: every record of the source must now be landed at its latest version.
        findings, result.landed = t.check_landing(self.state.paths, truth, None, self.state.poison)
        findings.merge(self.extraction.debris_check())
        result.findings.merge(findings)
        result.findings.merge(t.check_finance(self.state.paths, self.state.finance))
        self.publication.build_and_publish(mix, truth, None, result, clock=hi)
        self._finish(result, started)
        return result

    def _finish(self, result: RoundResult, started: float) -> None:
        self.state.faults.update(result.faults)
        result.seconds = time.monotonic() - started

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        self.console.print(
            f"soak: {self.state.settings.rounds} rounds, seed {self.state.settings.seed}, "
            f"{self.state.settings.dossiers} dossiers, build every {self.state.settings.build_every or '-'} rounds"
        )
        self.setup()
        self.console.print(f"setup done in {time.monotonic() - started:.1f} s (history landed up to {self.state.hwm})")
        for number in range(self.state.settings.rounds):
            self._print(self.run_round(number))
        self._print(self.drain())
        return build_report(self.state, time.monotonic() - started)

    def _print(self, r: RoundResult) -> None:
        self.console.print(round_line(r))


def run_soak(data_root: Path, settings: SoakSettings, console: Console | None = None) -> tuple[dict[str, Any], Path]:
    """Run a soak in ``<data_root>/soak/work``; returns the report and the JSON file written beside it."""
    soak = Soak(data_root / "soak" / "work", settings, console)
    report = soak.run()
    return report, write_report(report, data_root / "soak")
