"""The embedded default: simulated sources + ``airflow standalone`` under the data directory.

``make run`` and ``parmetrics backfill`` (when no ``--api-url`` is given) run on it. Sources set in the
environment (``orchestration/external.py``) are used as they are; only the others are simulated. The
Airflow home lives in ``<data>/airflow``, so a second start after a crash finds its metadata database
— an unfinished backfill included — where the first left it.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rich.console import Console

from parmetrics.config import Paths
from parmetrics.lab.runners.standalone import Standalone, airflow_cli
from parmetrics.orchestration.airflow_api import AirflowApi
from parmetrics.orchestration.backfill import REPROCESS_BEHAVIORS, AirflowDown, BackfillError, MonthRange


@contextlib.contextmanager
def embedded_airflow(
    paths: Paths, settings, console: Console, dag_ids: set[str], *, land_files: bool = True
) -> Iterator[tuple[AirflowApi, Standalone]]:
    """Start the simulated sources and Airflow standalone (``lab.demo.sources_and_airflow``, as ``make
    run`` does); yield its API once every DAG is parsed and unpaused (and, with ``land_files``, once the
    inbox watchers have handled the dropped files: the dossier landing suite checks unit codes against
    the reference snapshots). A failed file run does not stop it: the backfill reports it at the end.
    Stops everything on exit."""
    from parmetrics.lab.demo import sources_and_airflow, wait_for_file_ingestion

    started_at = datetime.now(UTC).isoformat()
    with sources_and_airflow(paths, settings, console, dag_ids) as (api, airflow):
        if land_files:
            wait_for_file_ingestion(api, paths, console, settings.timeout, since=started_at, fail_on_failed_runs=False)
        yield api, airflow


@dataclass
class EmbeddedWatch:
    """Keeps the embedded Airflow alive during a backfill: at every poll, a scheduler or API server
    whose process is gone (SIGKILL, OOM, "database is locked" on SQLite) is said so and started again
    — the backfill lives in the metadata database and the new scheduler resets the orphaned tasks.
    After ``max_restarts`` of one component it gives up with the reason and the resume command."""

    airflow: Standalone
    console: Console
    dag_ids: set[str]
    resume: str
    max_restarts: int = 3
    restarts: Counter = field(default_factory=Counter)
    timeout: float = 300

    def check(self, api: AirflowApi) -> AirflowApi:
        dead = self.airflow.dead_components()
        if not dead:
            return api
        for name, how in dead.items():
            what = "Airflow standalone" if name == "standalone" else f"the Airflow {name}"
            if self.restarts[name] >= self.max_restarts:
                raise AirflowDown(f"{what} died again ({how}) after {self.max_restarts} restarts", self.resume)
            self.restarts[name] += 1
            self.console.print(
                f"[yellow]{what} died ({how}); restarting it ({self.restarts[name]} of {self.max_restarts}) …[/yellow]"
            )
            self.airflow.restart(name)
        if "standalone" in dead or "api-server" in dead:
            api = self.airflow.wait_ready(self.dag_ids, timeout=self.timeout)
        self.console.print("Airflow is back; following the backfill")
        return api


def create_backfill_with_cli(
    env: dict[str, str], dag_id: str, months: MonthRange, *, reprocess_behavior: str, max_active_runs: int
) -> None:
    """``airflow backfill create`` — for the embedded Airflow, with its scheduler stopped.

    On SQLite, Airflow refuses to create a backfill while the scheduler writes ("Backfill creation is not
    supported on SQLite under concurrent access"): each month's run is a read-then-write that loses to
    any concurrent commit. With nothing else running, creation is one quiet transaction.
    """
    if reprocess_behavior not in REPROCESS_BEHAVIORS:
        raise BackfillError(f"--reprocess-behavior {reprocess_behavior!r}: expected one of {REPROCESS_BEHAVIORS}")
    try:
        airflow_cli(
            env,
            "backfill",
            "create",
            "--dag-id",
            dag_id,
            # Explicit offsets: the CLI reads a bare date in Airflow's default timezone (UTC).
            "--from-date",
            months.from_date,
            "--to-date",
            months.to_date,
            "--reprocess-behavior",
            reprocess_behavior,
            "--max-active-runs",
            str(max_active_runs),
        )
    except RuntimeError as exc:
        raise BackfillError(f"airflow backfill create for {dag_id} ({months.label()}) failed: {exc}") from exc
