"""The embedded default: simulated sources + ``airflow standalone`` under the data directory.

``make run`` and ``parmetrics backfill`` (when no ``--api-url`` is given) run on it. Sources set in the
environment (``orchestration/external.py``) are used as they are; only the others are simulated. The
Airflow home lives in ``<data>/airflow``, so a second start after a crash finds its metadata database
— an unfinished backfill included — where the first left it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime

from rich.console import Console

from parmetrics.config import Paths
from parmetrics.lab.runners.standalone import Standalone, airflow_cli
from parmetrics.orchestration.airflow_api import AirflowApi
from parmetrics.orchestration.backfill import REPROCESS_BEHAVIORS, BackfillError, MonthRange
from parmetrics.orchestration.external import external_systems


@contextlib.contextmanager
def embedded_airflow(
    paths: Paths, settings, console: Console, dag_ids: set[str], *, land_files: bool = True
) -> Iterator[tuple[AirflowApi, Standalone]]:
    """Start the simulated sources and Airflow standalone; yield its API once every DAG is parsed and
    unpaused (and, with ``land_files``, once the inbox watchers have landed the dropped files: the
    dossier landing suite checks unit codes against the reference snapshots). Stops everything on exit."""
    from parmetrics.lab.demo import demo_secrets, pipeline_env, prepare_sources, simulator, wait_for_file_ingestion

    ext = external_systems()
    for line in ext.describe():
        console.print(line)
    real = {"dossiers": ext.dossier_api, "documents": ext.document_db, "reference": ext.finance_inbox}
    real["finance"] = ext.finance_inbox
    simulated = tuple(name for name, value in real.items() if not value)
    secret = demo_secrets(paths)
    db = prepare_sources(paths, settings, console, sources=simulated) if simulated else None
    workdir = paths.root / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    serving = simulator(db, secret["dossier_api_token"], workdir) if db and not ext.dossier_api else nullcontext()
    with serving as port:
        env = pipeline_env(paths, settings, secret, port)
        if ext.any:
            env.pop("PARMETRICS_CLOCK")
        env.update(ext.env())
        airflow = Standalone(paths.root / "airflow", env)
        console.print(f"starting Airflow standalone (AIRFLOW_HOME={airflow.airflow_home}, UI {airflow.base_url}) …")
        started_at = datetime.now(UTC).isoformat()
        airflow.start()
        try:
            api = airflow.wait_ready(dag_ids, timeout=settings.timeout)
            if land_files:
                wait_for_file_ingestion(api, paths, console, settings.timeout, since=started_at)
            yield api, airflow
        finally:
            console.print("stopping Airflow …")
            airflow.stop()


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
