"""The distributed path without Docker (``make test-celery``): the pipeline once on CeleryExecutor.

PostgreSQL holds Airflow's metadata, Redis is the broker, and the API server, scheduler, DAG
processor, triggerer and two Celery workers run as separate processes
(:mod:`parmetrics.lab.runners.celery_cluster`). The same simulated province, pseudonymisation key
and reference clock are first run through the embedded default (``airflow standalone``, LocalExecutor);
the Celery run must publish the same marts, row for row, and its tasks must have run on both workers.

Needs ``PARMETRICS_TEST_PG_DSN`` (a PostgreSQL server the test may create databases on) and
``PARMETRICS_TEST_REDIS_URL``; ``make test-celery`` installs and starts both (``.ci/services.sh``).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from parmetrics.config import Paths
from parmetrics.lab.demo import DemoSettings, run_demo
from parmetrics.lab.runners.celery_cluster import CeleryCluster
from tests.processes import processes_with_env

# Two whole pipeline runs (standalone, then the Celery cluster) on a loaded 2-core machine.
pytestmark = [pytest.mark.celery, pytest.mark.timeout(3600)]

PG_DSN = os.environ.get("PARMETRICS_TEST_PG_DSN")
REDIS_URL = os.environ.get("PARMETRICS_TEST_REDIS_URL")
# A small province (a few thousand dossiers) keeps both runs within CI's budget.
SETTINGS = DemoSettings(n_dossiers=2000, timeout=1200)


@dataclass
class Runs:
    embedded: Paths
    distributed: Paths
    cluster: CeleryCluster
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    if not PG_DSN or not REDIS_URL:
        pytest.skip("PARMETRICS_TEST_PG_DSN and PARMETRICS_TEST_REDIS_URL are not set: run `make test-celery`")
    root = tmp_path_factory.mktemp("celery-run")
    embedded, distributed = Paths(root / "embedded"), Paths(root / "celery")
    console = Console(width=160, force_terminal=False)
    seconds = {}

    started = time.monotonic()
    assert run_demo(embedded, SETTINGS, console) == 0, "the embedded run published"
    seconds["embedded"] = time.monotonic() - started

    # The same sources (the generated databases, reused because their settings are unchanged) and the
    # same pseudonymisation key, so applicant keys agree; the reference clock is DemoSettings'.
    distributed.root.mkdir(parents=True)
    shutil.copytree(embedded.sim, distributed.sim)
    shutil.copy2(embedded.root / "secrets.json", distributed.root / "secrets.json")
    clusters: list[CeleryCluster] = []

    def celery_cluster(airflow_home: Path, env: dict[str, str]) -> CeleryCluster:
        clusters.append(CeleryCluster(airflow_home, env, pg_dsn=PG_DSN, redis_url=REDIS_URL))
        return clusters[-1]

    started = time.monotonic()
    assert run_demo(distributed, SETTINGS, console, cluster=celery_cluster) == 0, "the Celery run published"
    seconds["celery"] = time.monotonic() - started
    print(f"wall time: embedded run {seconds['embedded']:.0f} s, Celery run {seconds['celery']:.0f} s")
    return Runs(embedded, distributed, clusters[0], seconds)


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select table_name, column_name, data_type from duckdb_columns()"
        " where database_name = ? and schema_name = 'marts' order by table_name, column_index",
        [catalog],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def test_the_celery_run_publishes_the_embedded_runs_marts_row_for_row(runs):
    con = duckdb.connect()
    con.execute(f"attach '{runs.embedded.published_db}' as embedded (read_only)")
    con.execute(f"attach '{runs.distributed.published_db}' as celery (read_only)")
    embedded, celery = mart_tables(con, "embedded"), mart_tables(con, "celery")
    assert embedded, "the embedded run published marts"
    assert celery == embedded, "the same marts with the same columns"
    counts = {}
    for table in sorted(embedded):
        a, b = f"embedded.marts.{table}", f"celery.marts.{table}"
        counts[table] = con.execute(f"select count(*) from {a}").fetchone()[0]
        assert con.execute(f"select count(*) from {b}").fetchone()[0] == counts[table], table
        # EXCEPT ALL both ways: equal as multisets of rows, duplicates included.
        only_embedded = con.execute(f"select count(*) from (from {a} except all from {b})").fetchone()[0]
        only_celery = con.execute(f"select count(*) from (from {b} except all from {a})").fetchone()[0]
        assert (only_embedded, only_celery) == (0, 0), f"marts.{table}: rows differ ({only_embedded}, {only_celery})"
    assert counts["criteria_scores"] > 0 and counts["dossier_facts"] > 0, counts


def test_tasks_ran_on_both_celery_workers(runs):
    ran = [ti for ti in runs.cluster.task_instances if ti["state"] == "success"]
    assert ran, "the cluster recorded its task instances"
    workers = {w.name for w in runs.cluster.workers}
    hosts = {ti["hostname"] for ti in ran}
    assert hosts == workers, f"successful tasks ran on {sorted(hosts)}, the workers are {sorted(workers)}"
    dags = {ti["dag_id"] for ti in ran}
    assert {"ingest_reference", "ingest_finance", "ingest_documents", "ingest_dossiers", "build_marts"} <= dags
    writers = {ti["pool"] for ti in ran if ti["dag_id"] == "build_marts"}
    assert writers == {"duckdb_writer"}, "the build's DuckDB writers stay in the one-slot pool across workers"


def test_the_cluster_leaves_no_process_and_no_database(runs):
    home = str(runs.cluster.airflow_home)
    left = [p.pid for p in processes_with_env("AIRFLOW_HOME", home)]
    assert left == [], "no Airflow process outlives the cluster"
    import psycopg

    with psycopg.connect(PG_DSN) as con:
        found = con.execute("select 1 from pg_database where datname = %s", [runs.cluster.database]).fetchall()
    assert found == [], f"the metadata database {runs.cluster.database} was dropped"
