"""``make run``: the whole pipeline through real Airflow on the embedded default, then the scorecard.

Generates the simulated province (deterministic; reused when its settings are unchanged), serves
the dossier API on a free port, starts ``airflow standalone`` with a local ``AIRFLOW_HOME``, lands
the reference snapshot, triggers dossier ingestion, waits for the asset-triggered build to publish,
prints the on-time table and shuts everything down. The demo resets its own watermarks, so a second
run really re-extracts the same windows and must publish identical rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from parmetrics.config import Paths, write_private_file
from parmetrics.lab.runners.standalone import Standalone
from parmetrics.orchestration.external import external_systems
from parmetrics.reports.scorecard import print_scorecard

log = logging.getLogger(__name__)
DAG_IDS = {
    "ingest_reference",
    "ingest_finance",
    "ingest_documents",
    "ingest_dossiers",
    "build_marts",
    "publish_reports",
}
FILE_DAGS = ("ingest_reference", "ingest_finance")
# Claimed files with no run of their DAG for this long were claimed by a run that died with an
# earlier Airflow (an inbox watcher fires once per claim): they get a run of their own.
FILE_IDLE_SECONDS = 30.0


@dataclass(frozen=True)
class DemoSettings:
    seed: int = 766
    # 2019-01-01 → end: about 5,000 dossiers a year keeps `make run` within its 10-minute budget on 2
    # cores; `parmetrics simulate --dossiers-per-year 50000` gives the full demo province.
    n_dossiers: int = 40_000
    # Finance reports from this month on (each is gated on landing; older years are for backfills).
    finance_start: date = date(2025, 1, 1)
    # The simulated source is frozen at `end`; the reference clock reads a nightly run six hours later.
    end: datetime = datetime(2026, 11, 20)
    keep_running: bool = False
    timeout: float = 900
    # The reference clock when it is not the source's own "today" (a backfill replays history as of
    # the day after its last month).
    clock_at: datetime | None = None

    @property
    def clock(self) -> datetime:
        return self.clock_at or self.end + timedelta(hours=6)


def demo_secrets(paths: Paths) -> dict[str, str]:
    """The demo's own API token and pseudonymisation key, generated once into an ignored file that is
    private (0600) from its first byte; when two runs race, the first file written wins for both."""
    path = paths.root / "secrets.json"
    if not path.exists():
        values = {"dossier_api_token": secrets.token_urlsafe(24), "pseudonym_key": secrets.token_hex(32)}
        with contextlib.suppress(FileExistsError):
            write_private_file(path, json.dumps(values), replace=False)
    return json.loads(path.read_text())


def prepare_sources(
    paths: Paths,
    settings: DemoSettings,
    console: Console,
    *,
    dossiers_per_year: int | None = None,
    sources: tuple[str, ...] | None = None,
    workers: int | None = None,
) -> Path:
    """Generate the realistic province (2019-01-01 → ``settings.end``) unless the same settings already
    produced it; drop its reference snapshots and finance reports into the inboxes every time.

    Volume: ``dossiers_per_year`` if given, else ``settings.n_dossiers`` dossiers in total over the
    span (``make run``: see ``simulators.generate.DEMO_DOSSIERS_PER_YEAR``). Returns the dossier database."""
    from parmetrics.lab.simulators.generate import SOURCES, SimulationPlan, generate_sources

    plan = SimulationPlan(
        seed=settings.seed,
        end=settings.end,
        dossiers_per_year=dossiers_per_year,
        n_dossiers=None if dossiers_per_year else settings.n_dossiers,
        workers=workers,
        finance_start=settings.finance_start,
    )
    wanted_sources = tuple(sources or SOURCES)
    db = paths.sim / "dossier_api.sqlite"
    marker = paths.sim / "settings.json"
    databases = tuple(s for s in ("dossiers", "documents") if s in wanted_sources)
    cached = db.exists() and marker.exists() and marker.read_text() == plan.fingerprint()
    cached = cached and ("documents" not in databases or (paths.sim / "document_db.sqlite").exists())
    started = time.monotonic()
    todo = tuple(s for s in wanted_sources if not (cached and s in databases))
    if not cached:
        marker.unlink(missing_ok=True)
    report = generate_sources(paths, SimulationPlan(**{**plan.__dict__, "sources": todo}), console)
    if not cached and databases:
        marker.write_text(plan.fingerprint())
    if "dossiers" in report:
        d = report["dossiers"]
        console.print(
            f"generated {d['dossiers']} dossiers and {d['events']} events in {d['seconds']:.1f} s "
            f"({d['dossiers_per_s']} dossiers/s)"
        )
    console.print(f"sources ready in {time.monotonic() - started:.1f} s ({', '.join(todo)} written)")
    return db


@contextlib.contextmanager
def simulator(db: Path, token: str, workdir: Path) -> Iterator[int]:
    """Serve the dossier API in a child process; yields its port."""
    port_file = workdir / "dossier_api.port"
    port_file.unlink(missing_ok=True)
    log = workdir / "dossier_api.log"
    argv = [
        "-m",
        "parmetrics.lab.simulators.dossier_api",
        "--db",
        str(db),
        "--port",
        "0",
        "--port-file",
        str(port_file),
    ]
    proc = subprocess.Popen(
        [sys.executable, *argv],
        # The token goes through the environment, not argv: argv shows in `ps`, and argparse reads a
        # generated token that happens to start with "-" as an option (a CI run failed on one).
        env={**os.environ, "PARMETRICS_DOSSIER_API_TOKEN": token},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["(empty log)"]
                raise RuntimeError(f"dossier API simulator did not start ({tail[0]}); see {log}")
            time.sleep(0.1)
        yield int(port_file.read_text())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def reset_watermarks(paths: Paths) -> None:
    shutil.rmtree(paths.ops / "source_watermarks", ignore_errors=True)


def pipeline_env(paths: Paths, settings: DemoSettings, secret: dict[str, str], api_port: int | None) -> dict[str, str]:
    conn = {
        "conn_type": "http",
        "host": "127.0.0.1",
        "port": api_port,
        "schema": "http",
        "password": secret["dossier_api_token"],
    }
    return {
        "PARMETRICS_DATA_DIR": str(paths.root),
        "PARMETRICS_CLOCK": settings.clock.isoformat(),
        "PARMETRICS_PSEUDONYM_KEY": secret["pseudonym_key"],
        "PARMETRICS_SCHEDULE_MODE": "event-only",
        "AIRFLOW_CONN_DOSSIER_API": json.dumps(conn),
        "AIRFLOW_CONN_DOCUMENT_DB": f"sqlite:///{paths.sim / 'document_db.sqlite'}",
    }


def wait_for_file_ingestion(
    api, paths: Paths, console: Console, timeout: float, since: str = "", *, fail_on_failed_runs: bool = True
) -> list[str]:
    """Wait until the inbox watchers have claimed every dropped file and their runs have finished;
    returns the runs that failed since ``since`` (raising instead with ``fail_on_failed_runs``).

    Failed runs that started before ``since`` (ISO, UTC) are history — e.g. a run killed with an
    earlier Airflow, whose claimed files the next run landed. Files left claimed by a run that died
    with an earlier Airflow get no new event: after a quiet spell a run of their DAG is triggered."""
    from parmetrics.orchestration.inboxes import finance_inbox, reference_inbox

    deadline = time.monotonic() + timeout
    inboxes = {"ingest_finance": finance_inbox(), "ingest_reference": reference_inbox()}
    idle_since: dict[str, float] = {}
    console.print("waiting for the inbox watchers to land the reference and finance files …")
    while time.monotonic() < deadline:
        pending = {
            dag_id: [
                f for f in [*inbox.glob("*.*"), *(inbox / ".processing").glob("*")] if f.is_file() or f.is_symlink()
            ]
            for dag_id, inbox in inboxes.items()
            if inbox.exists()
        }
        runs = [r for dag_id in FILE_DAGS for r in api.dag_runs(dag_id)]
        active = [r for r in runs if r["state"] not in ("success", "failed")]
        if not any(pending.values()) and not active:
            failed = [
                f"{r['dag_id']} {r['dag_run_id']}"
                for r in runs
                if r["state"] == "failed" and (r["start_date"] or "") >= since
            ]
            if failed and fail_on_failed_runs:
                raise RuntimeError(f"file ingestion failed: {failed}")
            console.print(f"file ingestion done ({len(runs)} run(s), {len(failed)} failed)")
            return failed
        for dag_id, files in pending.items():
            claimed = [f for f in files if f.parent.name == ".processing"]
            busy = any(r["dag_id"] == dag_id for r in active)
            if not claimed or busy:
                idle_since.pop(dag_id, None)
            elif time.monotonic() - idle_since.setdefault(dag_id, time.monotonic()) > FILE_IDLE_SECONDS:
                console.print(f"{len(claimed)} claimed file(s) wait without a run: triggering {dag_id}")
                api.trigger(dag_id)
                idle_since.pop(dag_id)
        time.sleep(3)
    raise TimeoutError("the inbox watchers did not finish landing the dropped files")


def run_pipeline(api, paths: Paths, console: Console, timeout: float) -> dict:
    """Land every source (the files the inbox watchers take, then the two databases), then wait for the
    asset-triggered build that started after the last landing: it has seen everything."""
    # The reference snapshots first: the dossier landing suite checks unit codes against them.
    wait_for_file_ingestion(api, paths, console, timeout)
    documents = api.trigger("ingest_documents")
    dossiers = api.trigger("ingest_dossiers")
    console.print(f"triggered ingest_documents ({documents}) and ingest_dossiers ({dossiers})")
    landed_at = ""
    for dag_id, run_id in (("ingest_documents", documents), ("ingest_dossiers", dossiers)):
        run = api.wait_for_run(dag_id, run_id, timeout)
        if run["state"] != "success":
            raise RuntimeError(f"{dag_id} run {run_id} {run['state']}: failed tasks {api.failed_tasks(dag_id, run_id)}")
        landed_at = max(landed_at, run["end_date"])
    landed_at = max([landed_at, *(r["end_date"] or "" for d in FILE_DAGS for r in api.dag_runs(d))])
    console.print("waiting for the asset-triggered build_marts run after the last landing …")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = api.dag_runs("build_marts")
        active = [r for r in runs if r["state"] not in ("success", "failed")]
        # A landing event queues a build; builds run one at a time, so the last one to start after
        # the last landing has read everything landed.
        after = [r for r in runs if (r["start_date"] or "") > landed_at and r["run_type"] == "asset_triggered"]
        if after and not active:
            run = max(after, key=lambda r: r["start_date"])
            if run["state"] != "success":
                failed = api.failed_tasks("build_marts", run["dag_run_id"])
                raise RuntimeError(f"build_marts run {run['dag_run_id']} failed: tasks {failed}")
            console.print(f"build_marts {run['dag_run_id']} ({run['run_type']}) published")
            return run
        time.sleep(3)
    raise TimeoutError("no asset-triggered build_marts run finished after the last landing")


def wait_for_reports(api, build_run_id: str, console: Console, timeout: float) -> dict:
    """The ``publish_reports`` run that the build's publication started (its asset event created it)."""
    deadline = time.monotonic() + timeout
    while not (run_ids := api.runs_created_by("build_marts", build_run_id, "publish_reports")):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the publication of build_marts {build_run_id} started no publish_reports run")
        time.sleep(2)
    run = api.wait_for_run("publish_reports", run_ids[-1], max(deadline - time.monotonic(), 1.0))
    if run["state"] != "success":
        failed = api.failed_tasks("publish_reports", run_ids[-1])
        raise RuntimeError(f"publish_reports run {run_ids[-1]} failed: tasks {failed}")
    console.print(f"publish_reports {run_ids[-1]} wrote the publication's workbook and HTML report")
    return run


@contextlib.contextmanager
def sources_and_airflow(
    paths: Paths,
    settings: DemoSettings,
    console: Console,
    dag_ids: set[str],
    *,
    cluster: Callable[[Path, dict[str, str]], Any] = Standalone,
    reset_marks: bool = False,
) -> Iterator[tuple[Any, Any]]:
    """Start the sources, then Airflow — the one sequence ``make run``, ``make up`` and the embedded
    backfill share. Sources set in the environment (``orchestration/external.py``) are used as they are
    (with the wall clock and their own settings); only the others are simulated, and the dossier API
    simulator is served on a free port. Yields ``(api, airflow)`` once every DAG in ``dag_ids`` is parsed
    and unpaused; stops Airflow and the simulator on exit.

    ``cluster(airflow_home, env)`` makes the Airflow to run on (``start``, ``wait_ready``, ``stop``):
    standalone by default, a CeleryExecutor cluster for the distributed path (``make test-celery``).
    ``reset_marks``: forget the watermarks first when every source is simulated (the demo re-extracts
    the same windows of its frozen sources, and must publish the same rows)."""
    ext = external_systems()
    for line in ext.describe():
        console.print(line)
    real = {
        "dossiers": ext.dossier_api,
        "documents": ext.document_db,
        "reference": ext.finance_inbox,
        "finance": ext.finance_inbox,
    }
    simulated = tuple(name for name, value in real.items() if not value)
    secret = demo_secrets(paths)
    db = prepare_sources(paths, settings, console, sources=simulated) if simulated else None
    if reset_marks and not ext.any:
        reset_watermarks(paths)
    workdir = paths.root / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    serving = simulator(db, secret["dossier_api_token"], workdir) if db and not ext.dossier_api else nullcontext()
    with serving as port:
        env = pipeline_env(paths, settings, secret, port)
        if ext.any:
            # Real systems: the wall clock and nightly schedules, and their settings win.
            env.pop("PARMETRICS_CLOCK")
        env.update(ext.env())
        airflow = cluster(paths.root / "airflow", env)
        kind = type(airflow).__name__
        console.print(f"starting Airflow {kind} (AIRFLOW_HOME={airflow.airflow_home}, UI {airflow.base_url}) …")
        airflow.start()
        try:
            yield airflow.wait_ready(dag_ids, timeout=settings.timeout), airflow
        finally:
            console.print("stopping Airflow …")
            airflow.stop()


def run_demo(
    paths: Paths,
    settings: DemoSettings,
    console: Console | None = None,
    cluster: Callable[[Path, dict[str, str]], Any] = Standalone,
) -> int:
    """Run the pipeline once through Airflow standalone. Sources set in the environment (see
    ``orchestration/external.py``) are used as they are; only the others are simulated.

    ``cluster(airflow_home, env)`` makes the Airflow to run on (``start``, ``wait_ready``, ``stop``):
    standalone by default, a CeleryExecutor cluster for the distributed path (``make test-celery``)."""
    console = console or Console()
    started = time.monotonic()
    ext = external_systems()
    paths = Paths(ext.data_dir) if ext.data_dir else paths
    with sources_and_airflow(paths, settings, console, DAG_IDS, cluster=cluster, reset_marks=True) as (api, airflow):
        build_run = run_pipeline(api, paths, console, settings.timeout)
        wait_for_reports(api, build_run["dag_run_id"], console, settings.timeout)
        # The pipeline ran on the demo's fixed clock (pipeline_env), or on the wall clock with real systems.
        clock = None if ext.any else (settings.clock.replace(tzinfo=None, microsecond=0), True)
        rows = print_scorecard(paths.published_db, console, clock=clock)
        from parmetrics.reports.generate import reports_dir

        reports = reports_dir(paths)
        console.print(f"reports: {reports / 'par_metrics_latest.xlsx'} · {reports / 'par_metrics_latest.html'}")
        if settings.keep_running:
            console.print(
                f"Airflow UI: {airflow.base_url} (user admin, password in "
                f"{airflow.airflow_home}/simple_auth_manager_passwords.json.generated); Ctrl-C stops"
            )
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    console.print(f"done in {time.monotonic() - started:.0f} s; published file: {paths.published_db}")
    return 0 if rows else 1
