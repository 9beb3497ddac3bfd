"""Airflow on CeleryExecutor as separate local processes: the distributed deployment without Docker.

docker-compose.yml runs the same components in containers. Here each is a process on this machine
sharing one ``AIRFLOW_HOME`` (and so one log folder): API server, scheduler, DAG processor,
triggerer and two ``airflow celery worker`` nodes, with a PostgreSQL metadata database (a fresh
database per cluster, created on an existing server and dropped on stop) and a Redis broker.

Why the settings below:

- every port a component opens is a free one, so this cluster runs beside other Airflows on the
  machine; logs are not served over HTTP (every component writes the same local log folder);
- the cluster's tasks go to a queue of its own, so two clusters sharing a broker never take each
  other's tasks;
- the JWT secret is shared by every component: the scheduler signs the task tokens the API server
  checks;
- workers on one machine would all report the machine's name as a task's ``hostname``; each reports
  its own node name instead (:func:`worker_hostname`), so "which worker ran this task" has an answer.

The interface is :class:`parmetrics.lab.runners.standalone.Standalone`'s (``start``, ``wait_ready``,
``stop``, ``base_url``, ``airflow_home``), so ``run_demo(..., cluster=...)`` can drive either.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parmetrics.lab.runners.standalone import airflow_cli, airflow_env, create_pools, free_port, venv_bin
from parmetrics.orchestration.airflow_api import AirflowApi
from parmetrics.orchestration.preload import install_local_settings

log = logging.getLogger(__name__)
WORKER_HOSTNAME_ENV = "PARMETRICS_WORKER_HOSTNAME"
# The health endpoint's components that must all be healthy before anything is triggered.
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


def worker_hostname() -> str:
    """``[core] hostname_callable`` for local workers: the worker's own name, else the machine's."""
    return os.environ.get(WORKER_HOSTNAME_ENV) or socket.getfqdn()


@dataclass(frozen=True)
class Worker:
    name: str
    concurrency: int


def _database_url(server_dsn: str, database: str, driver: str = "postgresql+psycopg") -> str:
    """``server_dsn`` (``postgresql://user[:pw]@host:port/db``) pointed at ``database`` through SQLAlchemy."""
    from sqlalchemy.engine import make_url

    url = make_url(server_dsn).set(drivername=driver, database=database)
    return url.render_as_string(hide_password=False)


@dataclass
class CeleryCluster:
    airflow_home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    pg_dsn: str = ""  # an existing PostgreSQL server; the cluster creates and drops its own database
    redis_url: str = ""  # the Celery broker
    workers: tuple[Worker, ...] = (Worker("worker-1", 2), Worker("worker-2", 2))
    api_port: int = 0
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    # Which worker ran which task, read from the metadata database just before stop() drops it.
    task_instances: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.pg_dsn or not self.redis_url:
            raise ValueError("CeleryCluster needs pg_dsn (a PostgreSQL server) and redis_url (the broker)")
        self.api_port = self.api_port or free_port()
        self.token = secrets.token_hex(4)
        self.database = f"parmetrics_celery_{self.token}"
        self.queue = f"parmetrics-{self.token}"
        self.env = airflow_env(self.airflow_home, self.api_port, self.extra_env)
        self.env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _database_url(self.pg_dsn, self.database),
                # Airflow derives its async engine as asyncpg, which the lock does not hold: psycopg does both.
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": _database_url(
                    self.pg_dsn, self.database, driver="postgresql+psycopg_async"
                ),
                "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + _database_url(self.pg_dsn, self.database),
                "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            }
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def log_path(self) -> Path:
        return self.airflow_home / "components"

    def node_name(self, worker: Worker) -> str:
        return f"{worker.name}-{self.token}@{socket.gethostname()}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_dsn, autocommit=True) as con:
            con.execute(sql)

    def prepare(self) -> None:
        """A fresh metadata database, migrated, with the pools the DAGs use."""
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        self.log_path.mkdir(exist_ok=True)
        self._admin(f'create database "{self.database}"')
        install_local_settings(self.airflow_home)
        airflow_cli(self.env, "db", "migrate", timeout=600)
        create_pools(self.env)

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        out = (self.log_path / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [str(venv_bin() / "airflow"), *args],
            env=env or self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches its children too
        )

    def start(self) -> None:
        try:
            self.prepare()
            self._spawn("api-server", ["api-server"])
            self._spawn("scheduler", ["scheduler", "--skip-serve-logs"])
            self._spawn("dag-processor", ["dag-processor"])
            self._spawn("triggerer", ["triggerer", "--skip-serve-logs"])
            for w in self.workers:
                env = {
                    **self.env,
                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.worker_hostname",
                    WORKER_HOSTNAME_ENV: w.name,
                }
                args = ["celery", "worker", "--celery-hostname", self.node_name(w), "--concurrency", str(w.concurrency)]
                self._spawn(w.name, [*args, "--queues", self.queue, "--skip-serve-logs"], env)
        except BaseException:
            self.stop()  # callers only stop a cluster that started: leave no process or database behind
            raise

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"Airflow {name} exited with {proc.returncode}; see {self.log_path / name}.log")

    def workers_answering(self) -> set[str]:
        """The cluster's Celery nodes that answer a ping through the broker."""
        from celery import Celery

        app = Celery(broker=self.redis_url)
        try:
            replies = app.control.ping(destination=[self.node_name(w) for w in self.workers], timeout=2.0)
        finally:
            app.close()
        return {name for reply in replies for name in reply}

    def wait_ready(self, dag_ids: set[str], timeout: float = 300) -> AirflowApi:
        """Wait for every component to be healthy, both workers to answer and every DAG to be parsed;
        unpause the DAGs. Workers must be up before anything runs, or the first takes every task."""
        deadline = time.monotonic() + timeout
        pw_file = self.airflow_home / "simple_auth_manager_passwords.json.generated"
        api = None
        waiting_for = "the API server"
        while time.monotonic() < deadline:
            self._check_alive()
            if api is None and pw_file.exists():
                with contextlib.suppress(ValueError, KeyError):  # the file is written while we read it
                    api = AirflowApi.for_standalone(self.base_url, self.airflow_home)
            if api is not None:
                waiting_for = self._not_ready(api, dag_ids)
                if not waiting_for:
                    for dag_id in sorted(dag_ids):
                        api.unpause(dag_id)
                    return api
            time.sleep(2)
        where = self.log_path
        raise TimeoutError(f"Celery cluster not ready after {timeout:.0f} s (waiting for {waiting_for}); see {where}")

    def _not_ready(self, api: AirflowApi, dag_ids: set[str]) -> str:
        import httpx

        try:
            health = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return "the API server"
        unhealthy = [c for c in HEALTH_COMPONENTS if (health.get(c) or {}).get("status") != "healthy"]
        if unhealthy:
            return ", ".join(unhealthy)
        missing = {self.node_name(w) for w in self.workers} - self.workers_answering()
        if missing:
            return ", ".join(sorted(missing))
        try:
            parsed = api.dag_ids()
        except Exception as exc:  # the API answers health before its DAG endpoints are usable
            return f"the DAG list ({exc})"
        return f"DAGs {sorted(dag_ids - parsed)}" if not dag_ids <= parsed else ""

    def read_task_instances(self) -> list[dict[str, Any]]:
        """Every task instance of the cluster's runs, with the worker (``hostname``) that ran it."""
        import psycopg
        from psycopg.rows import dict_row

        dsn = _database_url(self.pg_dsn, self.database, driver="postgresql")
        with psycopg.connect(dsn, row_factory=dict_row) as con:
            return con.execute(
                "select dag_id, run_id, task_id, map_index, try_number, state, hostname, pool"
                " from task_instance order by dag_id, run_id, task_id, map_index"
            ).fetchall()

    def stop(self, timeout: float = 60) -> None:
        """Stop every component (workers finish what they run: Celery's warm shutdown), then drop the
        metadata database, keeping the task instances' record in ``task_instances``."""
        import psutil

        if self.procs:
            try:
                self.task_instances = self.read_task_instances()
            except Exception as exc:  # the database may not exist if start() failed early
                log.warning("could not read the task instances before stopping: %s", exc)
        procs = []
        for proc in self.procs.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                parent = psutil.Process(proc.pid)
                procs += [*parent.children(recursive=True), parent]
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.terminate()
        _, alive = psutil.wait_procs(procs, timeout=timeout)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # anything that escaped the snapshot
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        self.procs.clear()
        try:
            import redis

            # The cluster's queue and its binding: a shared broker keeps nothing of a stopped cluster.
            with redis.Redis.from_url(self.redis_url) as broker:
                broker.delete(self.queue, f"_kombu.binding.{self.queue}")
        except Exception as exc:
            log.warning("could not remove queue %s from the broker: %s", self.queue, exc)
        try:
            self._admin(f'drop database if exists "{self.database}" with (force)')
        except Exception as exc:  # a stop must finish; the leftover database is only named in the log
            log.warning("could not drop the metadata database %s: %s", self.database, exc)

    def __enter__(self) -> CeleryCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
