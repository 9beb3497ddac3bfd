"""The soak's build stage: ``dbt build`` → mart gate → publish, with a killed publisher first and a tampered
copy of the build through the gate when the round draws them; what a reader sees is checked after each."""

from __future__ import annotations

import os
import shutil
import signal
from datetime import datetime
from typing import Any

import duckdb

from parmetrics.lab.soak import truth as t
from parmetrics.lab.soak.faults import Mix
from parmetrics.lab.soak.kills import PUBLISH_HOLDS, PUBLISHER, opens_read_only, record_kill, run_and_kill, tail
from parmetrics.lab.soak.state import RoundResult, SoakState, env, one_line
from parmetrics.landing.writer import file_sha256
from parmetrics.publish import PARQUET_LOCK


class Publication:
    def __init__(self, state: SoakState) -> None:
        self.state = state

    def build_and_publish(
        self,
        mix: Mix,
        truth: t.SourceTruth,
        cutoff: datetime | None,
        result: RoundResult,
        clock: datetime | None = None,
    ) -> None:
        from parmetrics.publish import publish
        from parmetrics.quality.errors import QualityGateError
        from parmetrics.quality.mart_gate import run_mart_gate
        from parmetrics.transform.dbt_runner import build

        clock = clock or cutoff
        with env(PARMETRICS_CLOCK=clock.isoformat(timespec="seconds")):
            try:
                build(self.state.paths)
            except Exception as exc:
                result.errors.append(f"dbt build: {one_line(exc)}")
                return
            agrees = t.check_build(self.state.paths.build_db, truth, cutoff, self.state.poison)
            agrees.merge(t.check_finance_build(self.state.paths.build_db, self.state.finance))
            result.findings.merge(agrees)
            candidate = t.marts_fingerprint(self.state.paths.build_db)
            if mix.bad_build:
                self._tampered_build_through_gate(result)
            try:
                run_mart_gate(self.state.paths, run_id=f"soak-{result.number}", docs=False)
            except QualityGateError as exc:
                result.errors.append(f"gate refused an untampered build: {one_line(exc)}")
                return
            if agrees.failed:
                # The gate passed a build that disagrees with the source: publishing it is a bad publish.
                result.findings.add("bad_publish", "the gate passed a build that disagrees with the source")
            killed = self._kill(candidate, result) if mix.publish_kill else None
            try:
                publish(self.state.paths, run_id=f"soak-{result.number}")
            except Exception as exc:
                result.errors.append(f"publish: {one_line(exc)}")
                self._check_published({}, result)
                return
        self._check_published({"new": candidate}, result, expect=candidate)
        self.state.last_good = candidate
        self.state.last_good_sha = file_sha256(self.state.paths.published_db)
        self.state.publications += 1
        result.published = True
        if killed is not None and killed["landed"]:
            killed["after_rerun"] = self._after_rerun(candidate, result)

    def _check_published(self, allowed: dict[str, Any], result: RoundResult, expect: Any = None) -> None:
        if self.state.last_good is not None:
            allowed = {"last good": self.state.last_good, **allowed}
        result.findings.merge(
            t.check_publication(
                self.state.paths.published_db, allowed, expect=expect, ever_published=self.state.last_good is not None
            )
        )

    def _kill(self, candidate: dict[str, tuple[int, int]], result: RoundResult) -> dict[str, Any]:
        """SIGKILL a publisher held inside publish() (a step drawn at random, all before the swap) once its
        hidden publication file exists beside the published one; then check what a reader sees."""
        phase = self.state.rng.choice(sorted(PUBLISH_HOLDS))
        step = PUBLISH_HOLDS[phase]
        folder = self.state.paths.published
        log_path = self.state.log_path(result, f"publish-{phase}")
        marker = f"holding before {step}".encode()
        before = t.visible_files(folder)
        kill: dict[str, Any] = {
            "kind": "publish_kill",
            "round": result.number + 1,
            "phase": phase,
            "held_before": step,
            "over_previous": self.state.last_good_sha is not None,
        }

        def evidence() -> str | None:
            hidden = sorted(folder.glob(".par_metrics-*.duckdb"))
            if not hidden or not log_path.exists() or marker not in log_path.read_bytes():
                return None
            return f"{hidden[0].name} exists beside the published file; the publisher is in publish(), at {step}"

        outcome = run_and_kill(
            self.state.work, [PUBLISHER, str(self.state.work), step], dict(os.environ), log_path, evidence
        )
        hidden = sorted(p.name for p in folder.glob(".par_metrics-*.duckdb*"))
        kill["hidden_after_kill"] = hidden
        published = self.state.paths.published_db
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
        record_kill(self.state, kill, outcome, landed, why, result)
        if landed:
            opens = opens_read_only(published) if published.exists() else None
            after = {
                "published_is_last_good": sha == self.state.last_good_sha
                and (opens is None or opens == self.state.last_good),
                # None: nothing was ever published, and nothing may be now (published_is_last_good).
                "opens_read_only": (opens is not None) if self.state.last_good_sha else None,
                "visible_changed": sorted(set(before.items()) ^ set(t.visible_files(folder).items())),
            }
            kill["after_kill"] = after
            if not after["published_is_last_good"] or after["opens_read_only"] is False:
                result.findings.add("bad_publish", f"a publish killed at {phase} changed the published file")
            for name, _ in after["visible_changed"]:
                result.findings.add("kill_debris", f"a publish killed at {phase} changed {name}")
        elif "done" in tail(log_path):
            # The publish went through before the kill: the candidate is published, checked as such.
            self._check_published({}, result, expect=candidate)
            self.state.last_good, self.state.last_good_sha = candidate, sha
        return kill

    def _after_rerun(self, candidate: dict[str, tuple[int, int]], result: RoundResult) -> dict[str, Any]:
        """After the publish that followed a landed kill: no leftover of the killed one, the verified build
        published, the file opens read-only."""
        folder = self.state.paths.published
        # The Parquet sets' lock file is not a leftover: it is meant to stay (its flock died with the holder).
        hidden = sorted(str(p.relative_to(folder)) for p in folder.rglob(".*") if p.name != PARQUET_LOCK)
        opens = opens_read_only(self.state.paths.published_db)
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
        from parmetrics.quality.errors import QualityGateError
        from parmetrics.quality.mart_gate import run_mart_gate

        copy = self.state.paths.warehouse / "soak_tampered.duckdb"
        shutil.copyfile(self.state.paths.build_db, copy)
        tampers = {
            "duplicated dossiers": "insert into marts.dossier_facts select * from marts.dossier_facts limit 3",
            "unknown status": "update marts.dossier_facts set status = 42 where dossier_key in "
            "(select dossier_key from marts.dossier_facts order by dossier_key limit 3)",
        }
        if self.state.paths.published_db.exists():
            # Against a previous publication, losing most of a mart is caught by the row-count suite.
            tampers["three quarters of criteria_scores lost"] = "delete from marts.criteria_scores where rowid % 4 != 0"
        name = self.state.rng.choice(sorted(tampers))
        with duckdb.connect(str(copy)) as con:
            con.execute(tampers[name])
        try:
            run_mart_gate(self.state.paths, run_id=f"soak-{result.number}-tampered", database=copy, docs=False)
        except QualityGateError:
            result.faults["bad_build"] += 1
        else:
            # The DAG would now publish it.
            result.findings.add("bad_publish", f"the gate passed a tampered build ({name})")
            result.faults["bad_build"] += 1
        finally:
            copy.unlink(missing_ok=True)
