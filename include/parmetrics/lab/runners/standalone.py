"""Running real Airflow (``airflow standalone``: SQLite metadata, LocalExecutor) for the demo and tests.

Settings follow ARCHITECTURE.md: parallelism 4 (40 processes and 5.5 GB otherwise), no examples,
DAGs unpaused at creation (Airflow drops an asset event for a paused consumer), the one-slot
``duckdb_writer`` pool created before anything runs, and a stop that terminates the component
processes first (terminating ``airflow standalone`` alone leaves them running).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from parmetrics.config import REPO_ROOT
from parmetrics.orchestration.airflow_api import AirflowApi
from parmetrics.orchestration.assets import DUCKDB_WRITER_POOL, HISTORY_INGESTION_POOL, HISTORY_INGESTION_SLOTS
from parmetrics.orchestration.preload import install_local_settings

log = logging.getLogger(__name__)
DAGS_FOLDER = REPO_ROOT / "dags"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_bin() -> Path:
    return Path(sys.executable).parent


def airflow_env(airflow_home: Path, api_port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PATH": f"{venv_bin()}{os.pathsep}{env.get('PATH', '')}",  # standalone spawns `airflow`
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            # Parsing a DAG file imports Airflow and the package: on a busy 2-core machine that can pass
            # the 30 s default and the DAG would vanish with an import error.
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "180",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
            "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    env.update(extra or {})
    return env


def airflow_cli(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    proc = subprocess.run(
        [str(venv_bin() / "airflow"), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return proc.stdout


def create_pools(env: dict[str, str]) -> None:
    """The pools the DAGs use; a task in a pool that does not exist never runs."""
    airflow_cli(env, "pools", "set", DUCKDB_WRITER_POOL, "1", "Single writer of the build DuckDB file")
    airflow_cli(
        env,
        "pools",
        "set",
        HISTORY_INGESTION_POOL,
        str(HISTORY_INGESTION_SLOTS),
        "History twins (backfills): leaves executor slots to the nightly runs",
    )


# The components whose death stops a backfill: the scheduler runs the months, the API server serves
# the wrapper and every task (Airflow 3 tasks talk to its execution API).
WATCHED_COMPONENTS = ("scheduler", "api-server")
# ``airflow standalone`` migrates the database before it spawns its components.
STARTUP_GRACE_SECONDS = 120.0


@dataclass
class Standalone:
    airflow_home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    api_port: int = 0
    proc: subprocess.Popen | None = None
    # Components started again by :meth:`restart` after ``airflow standalone``'s own copy died
    # (standalone does not restart them itself).
    restarted: dict[str, subprocess.Popen] = field(default_factory=dict)
    started_at: float = 0.0
    _seen: dict[str, int] = field(default_factory=dict, repr=False)  # component → pid seen running

    def __post_init__(self) -> None:
        self.api_port = self.api_port or free_port()
        self.env = airflow_env(self.airflow_home, self.api_port, self.extra_env)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def log_path(self) -> Path:
        return self.airflow_home / "standalone.log"

    def prepare(self) -> None:
        """Migrate the metadata database and create the DuckDB writer pool before any run."""
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        install_local_settings(self.airflow_home)
        airflow_cli(self.env, "db", "migrate")
        create_pools(self.env)

    def start(self) -> None:
        self.started_at = time.monotonic()
        self._seen = {}
        self.prepare()
        log_file = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(venv_bin() / "airflow"), "standalone"],
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() can reach every component
        )
        # Who to kill when a test (or an operator) needs the whole Airflow gone at once.
        (self.airflow_home / "standalone.pid").write_text(str(self.proc.pid))

    def wait_ready(self, dag_ids: set[str], timeout: float = 300) -> AirflowApi:
        """Wait for a healthy API and for every DAG to be parsed; unpause them all."""
        deadline = time.monotonic() + timeout
        api = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"airflow standalone exited early; see {self.log_path}")
            pw_file = self.airflow_home / "simple_auth_manager_passwords.json.generated"
            if pw_file.exists() and api is None:
                api = AirflowApi.for_standalone(self.base_url, self.airflow_home)
            if api is not None and api.healthy():
                with contextlib.suppress(Exception):
                    if dag_ids <= api.dag_ids():
                        for dag_id in sorted(dag_ids):
                            api.unpause(dag_id)
                        return api
            time.sleep(2)
        raise TimeoutError(f"Airflow not ready with DAGs {sorted(dag_ids)} after {timeout:.0f} s; see {self.log_path}")

    def _component(self, name: str) -> psutil.Process | bool | None:
        """The process of component ``name`` (``scheduler``, ``api-server`` …): standalone's own child or
        the one :meth:`restart` started; False when it is known dead (the process seen running before
        exited, or is a zombie: standalone never reaps its children), None when none was seen yet."""
        mine = self.restarted.get(name)
        if mine is not None:
            return psutil.Process(mine.pid) if mine.poll() is None else False
        seen = self._seen.get(name)
        if seen is not None:
            try:
                proc = psutil.Process(seen)
                return False if proc.status() == psutil.STATUS_ZOMBIE else proc
            except psutil.NoSuchProcess:
                return False
        try:
            children = psutil.Process(self.proc.pid).children() if self.proc else []
        except psutil.NoSuchProcess:
            return None
        # ``airflow api-server`` renames itself "airflow api_server -- host:… port:…".
        spellings = {name, name.replace("-", "_")}
        for child in children:
            with contextlib.suppress(psutil.Error):
                if spellings & set(" ".join(child.cmdline()).split()[:4]) and child.status() != psutil.STATUS_ZOMBIE:
                    self._seen[name] = child.pid
                    return child
        return None

    def dead_components(self) -> dict[str, str]:
        """Watched components that are not running, each with how it ended ("standalone": all of it).

        A component is dead when its process exited (a zombie: standalone never reaps its children) or,
        past a start-up grace, when there is none at all."""
        if self.proc is None:
            return {}
        if self.proc.poll() is not None:
            return {"standalone": f"airflow standalone exited with {self.proc.returncode}"}
        dead = {}
        for name in WATCHED_COMPONENTS:
            found = self._component(name)
            starting = time.monotonic() - self.started_at < STARTUP_GRACE_SECONDS
            if found is False or (found is None and not starting):
                mine = self.restarted.get(name)
                dead[name] = f"exit status {mine.returncode}" if mine is not None else "its process is gone"
        return dead

    def restart(self, name: str) -> None:
        """Start component ``name`` again beside the running ones (same environment, same log file)."""
        if name == "standalone":
            self.stop()
            self.start()
            return
        log_file = self.log_path.open("ab")
        self.restarted[name] = subprocess.Popen(
            [str(venv_bin() / "airflow"), name],
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stop() reaches whatever it spawns
        )

    def stop(self, timeout: float = 30) -> None:
        """Terminate the components first, then standalone itself; kill whatever is left."""
        if self.proc is None:
            return
        try:
            parent = psutil.Process(self.proc.pid)
            procs = [*parent.children(recursive=True), parent]
        except psutil.NoSuchProcess:
            procs = []
        for mine in self.restarted.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                extra = psutil.Process(mine.pid)
                procs += [*extra.children(recursive=True), extra]
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.terminate()
        _, alive = psutil.wait_procs(procs, timeout=timeout)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        for group in [self.proc.pid, *(mine.pid for mine in self.restarted.values())]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)  # anything that escaped the snapshot (orphaned workers)
        for proc in [self.proc, *self.restarted.values()]:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        self.proc = None
        self.restarted = {}

    def __enter__(self) -> Standalone:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
