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
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console

from parmetrics.config import Paths
from parmetrics.orchestration.standalone import Standalone
from parmetrics.report import print_on_time

log = logging.getLogger(__name__)
DAG_IDS = {"ingest_reference", "ingest_dossiers", "build_marts"}


@dataclass(frozen=True)
class DemoSettings:
    seed: int = 766
    n_dossiers: int = 3000
    # The simulated source is frozen at `end`; the reference clock reads a nightly run six hours later.
    end: datetime = datetime(2026, 11, 20)
    keep_running: bool = False
    timeout: float = 900

    @property
    def clock(self) -> datetime:
        return self.end + timedelta(hours=6)


def demo_secrets(paths: Paths) -> dict[str, str]:
    """The demo's own API token and pseudonymisation key, generated once into an ignored file."""
    path = paths.root / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    paths.root.mkdir(parents=True, exist_ok=True)
    values = {"dossier_api_token": secrets.token_urlsafe(24), "pseudonym_key": secrets.token_hex(32)}
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


def prepare_sources(paths: Paths, settings: DemoSettings, console: Console) -> Path:
    """Generate the simulated sources unless the same settings already produced them."""
    from parmetrics.simulators.dossier_data import DossierDataConfig, read_meta, write_dossier_db
    from parmetrics.simulators.reference_files import write_don_vi_file

    config = DossierDataConfig(seed=settings.seed, n_dossiers=settings.n_dossiers, end=settings.end)
    db = paths.sim / "dossier_api.sqlite"
    wanted = json.dumps({k: str(v) for k, v in config.__dict__.items()}, sort_keys=True)
    marker = paths.sim / "settings.json"
    if not (db.exists() and marker.exists() and marker.read_text() == wanted):
        started = time.monotonic()
        write_dossier_db(paths.sim, config)
        marker.write_text(wanted)
        meta = read_meta(db)
        console.print(
            f"generated {meta['dossiers']} dossiers and {meta['dossier_events']} events "
            f"in {time.monotonic() - started:.1f} s"
        )
    write_don_vi_file(paths.reference_inbox, month=settings.end.strftime("%Y%m"))
    return db


@contextlib.contextmanager
def simulator(db: Path, token: str, workdir: Path) -> Iterator[int]:
    """Serve the dossier API in a child process; yields its port."""
    port_file = workdir / "dossier_api.port"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "parmetrics.simulators.dossier_api",
            "--db",
            str(db),
            "--token",
            token,
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ],
        stdout=(workdir / "dossier_api.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dossier API simulator did not start; see {workdir / 'dossier_api.log'}")
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


def pipeline_env(paths: Paths, settings: DemoSettings, secret: dict[str, str], api_port: int) -> dict[str, str]:
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
    }


def run_pipeline(api, console: Console, timeout: float) -> dict:
    """Trigger reference and dossier ingestion; wait for the build they cause to publish."""

    def run_and_wait(dag_id: str) -> dict:
        run_id = api.trigger(dag_id)
        console.print(f"triggered {dag_id} ({run_id})")
        run = api.wait_for_run(dag_id, run_id, timeout)
        if run["state"] != "success":
            raise RuntimeError(f"{dag_id} run {run_id} {run['state']}: failed tasks {api.failed_tasks(dag_id, run_id)}")
        return run

    run_and_wait("ingest_reference")
    before = {r["dag_run_id"] for r in api.dag_runs("build_marts")}
    run_and_wait("ingest_dossiers")
    console.print("waiting for the asset-triggered build_marts run …")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [r for r in api.dag_runs("build_marts") if r["dag_run_id"] not in before]
        if new:
            run = api.wait_for_run("build_marts", new[-1]["dag_run_id"], deadline - time.monotonic())
            if run["state"] != "success":
                failed = api.failed_tasks("build_marts", run["dag_run_id"])
                raise RuntimeError(f"build_marts run {run['dag_run_id']} failed: tasks {failed}")
            console.print(f"build_marts {run['dag_run_id']} ({run['run_type']}) published")
            return run
        time.sleep(2)
    raise TimeoutError("no build_marts run was triggered by the landing asset")


def run_demo(paths: Paths, settings: DemoSettings, console: Console | None = None) -> int:
    console = console or Console()
    started = time.monotonic()
    secret = demo_secrets(paths)
    db = prepare_sources(paths, settings, console)
    reset_watermarks(paths)
    workdir = paths.root / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    with simulator(db, secret["dossier_api_token"], workdir) as port:
        console.print(f"dossier API simulator on http://127.0.0.1:{port}")
        airflow = Standalone(paths.root / "airflow", pipeline_env(paths, settings, secret, port))
        console.print(f"starting Airflow standalone (AIRFLOW_HOME={airflow.airflow_home}, UI {airflow.base_url}) …")
        airflow.start()
        try:
            api = airflow.wait_ready(DAG_IDS, timeout=settings.timeout)
            run_pipeline(api, console, settings.timeout)
            rows = print_on_time(paths.published_db, console)
            if settings.keep_running:
                console.print(
                    f"Airflow UI: {airflow.base_url} (user admin, password in "
                    f"{airflow.airflow_home}/simple_auth_manager_passwords.json.generated); Ctrl-C stops"
                )
                with contextlib.suppress(KeyboardInterrupt):
                    while True:
                        time.sleep(3600)
        finally:
            console.print("stopping Airflow …")
            airflow.stop()
    console.print(f"done in {time.monotonic() - started:.0f} s; published file: {paths.published_db}")
    return 0 if rows else 1
