"""A backfill through Airflow's own mechanism, killed halfway and resumed, equals a clean full rebuild.

``parmetrics backfill`` (embedded Airflow standalone, simulated small province) backfills twelve months;
once a third of the month runs have landed, the command, the Airflow scheduler, its LocalExecutor
workers and every other Airflow process are SIGKILLed. The same command is run again: it must follow
the unfinished Airflow backfill (not create a second one), finish, and publish marts equal, row for
row, to a clean rebuild — the same twelve months extracted in ONE window into a fresh data directory
and built from scratch — with no duplicate runs, batches or rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from parmetrics.config import Paths

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(2400)]
VENV_BIN = Path(sys.executable).parent
FIRST, LAST = "2023-07", "2024-06"
MONTHS = 12
DOSSIERS = 3000
CLOCK = "2024-07-01T06:00:00"  # the embedded backfill replays history as of the day after its last month


def backfill_command(data_dir: Path) -> list[str]:
    return [
        str(VENV_BIN / "parmetrics"),
        "backfill",
        "--from",
        FIRST,
        "--to",
        LAST,
        "--dossiers",
        str(DOSSIERS),
        "--data-dir",
        str(data_dir),
        "--timeout",
        "1500",
    ]


# Extract tasks per month: 2 dossier datasets + 4 document tables, each recording its landing.
TASKS_PER_MONTH = 6


def history_landings(paths: Paths) -> int:
    from parmetrics import ops

    return sum(1 for r in ops.read_records(paths, "pipeline_runs") if r.get("stage") == "history_landing")


def kill_everything(cli: subprocess.Popen, airflow_home: Path) -> int:
    """SIGKILL the command and the whole Airflow (scheduler, workers, task processes, API, triggerer)."""
    roots = [cli.pid]
    pid_file = airflow_home / "standalone.pid"
    if pid_file.exists():
        roots.append(int(pid_file.read_text()))
    victims = []
    for root in roots:
        try:
            parent = psutil.Process(root)
        except psutil.NoSuchProcess:
            continue
        victims += [parent, *parent.children(recursive=True)]
    for p in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.send_signal(signal.SIGKILL)
    psutil.wait_procs(victims, timeout=30)
    cli.wait(timeout=30)
    return len(victims)


def clean_rebuild(backfilled: Paths, fresh: Paths, monkeypatch) -> None:
    """Same sources, same months, ONE extraction window per source, one full build."""
    import shutil

    from parmetrics.lab.simulators.dossier_api import serve_in_thread
    from parmetrics.orchestration import ingestion
    from parmetrics.transform.dbt_runner import build

    secret = json.loads((backfilled.root / "secrets.json").read_text())
    # The files are not under test here: the same landed reference and finance batches.
    for source in ("reference", "finance"):
        shutil.copytree(backfilled.landing / source, fresh.landing / source)
    monkeypatch.setenv("PARMETRICS_DATA_DIR", str(fresh.root))
    monkeypatch.setenv("PARMETRICS_CLOCK", CLOCK)
    monkeypatch.setenv("PARMETRICS_PSEUDONYM_KEY", secret["pseudonym_key"])
    monkeypatch.setenv("AIRFLOW_CONN_DOCUMENT_DB", f"sqlite:///{backfilled.sim / 'document_db.sqlite'}")
    window = {
        "updated_from": "2023-06-30 23:45:00",  # the first month's safety margin
        "updated_to": "2024-07-01 00:00:00",
        "mode": "interval",
        "batch_id": "20230630234500_20240701000000",
    }
    with serve_in_thread(backfilled.sim / "dossier_api.sqlite", secret["dossier_api_token"]) as server:
        conn = {"conn_type": "http", "host": "127.0.0.1", "port": server.port, "schema": "http"}
        monkeypatch.setenv("AIRFLOW_CONN_DOSSIER_API", json.dumps({**conn, "password": secret["dossier_api_token"]}))
        for dataset in ingestion.DOSSIER_DATASETS:
            assert ingestion.extract_dataset(ingestion.DOSSIER_SOURCE, dataset, window)["rows"] > 0
    for table in ingestion.DOCUMENT_TABLES:
        ingestion.extract_dataset(ingestion.DOCUMENT_SOURCE, table, window)
    build(fresh)


def test_backfill_killed_halfway_resumes_and_equals_a_clean_rebuild(tmp_path, monkeypatch):
    paths = Paths(tmp_path / "backfilled")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("PARMETRICS_DATA_DIR", None)
    log = (tmp_path / "first.log").open("wb")
    cli = subprocess.Popen(
        backfill_command(paths.root), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 1200
    while history_landings(paths) < (TASKS_PER_MONTH * MONTHS) // 3:
        assert cli.poll() is None, f"backfill ended before the kill: {(tmp_path / 'first.log').read_text()[-3000:]}"
        assert time.monotonic() < deadline, "no month landed in time"
        time.sleep(1)
    landed_before_kill = history_landings(paths)
    killed = kill_everything(cli, paths.root / "airflow")
    print(f"killed {killed} processes after {landed_before_kill} of {TASKS_PER_MONTH * MONTHS} month landings")

    started = time.monotonic()
    second = subprocess.run(backfill_command(paths.root), env=env, capture_output=True, text=True, timeout=1800)
    print(second.stdout[-3000:])
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "following unfinished backfill" in second.stdout
    print(f"resumed backfill finished in {time.monotonic() - started:.0f} s")

    # Airflow: one backfill per twin, one run per month, all successful.
    with sqlite3.connect(paths.root / "airflow" / "airflow.db") as meta:
        backfills = meta.execute("select dag_id, count(*) from backfill group by dag_id order by 1").fetchall()
        runs = meta.execute(
            "select dag_id, count(*), count(distinct logical_date), sum(state = 'success') from dag_run "
            "where run_type = 'backfill' group by dag_id order by 1"
        ).fetchall()
    assert backfills == [("ingest_documents_history", 1), ("ingest_dossiers_history", 1)]
    assert runs == [
        ("ingest_documents_history", MONTHS, MONTHS, MONTHS),
        ("ingest_dossiers_history", MONTHS, MONTHS, MONTHS),
    ]
    # Landing: exactly one committed batch per month and dataset (a rerun replaces, never adds).
    from parmetrics.landing.writer import committed_batches

    for source, dataset in (
        ("dossier_api", "dossiers"),
        ("dossier_api", "dossier_events"),
        ("document_db", "nhiem_vu"),
    ):
        batches = committed_batches(paths.dataset_landing(source, dataset))
        assert len(batches) == MONTHS, (dataset, [b.name for b in batches])

    fresh = Paths(tmp_path / "clean")
    clean_rebuild(paths, fresh, monkeypatch)
    with duckdb.connect() as con:
        con.execute(f"attach '{paths.published_db}' as backfilled (read_only)")
        con.execute(f"attach '{fresh.build_db}' as clean (read_only)")
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'backfilled' and schema_name = 'marts' "
                "order by 1"
            ).fetchall()
        ]
        assert {"criteria_scores", "dossier_facts", "scorecard_766"} <= set(tables)
        for table in tables:
            b, c = f"backfilled.marts.{table}", f"clean.marts.{table}"
            counts = con.execute(f"select (select count(*) from {b}), (select count(*) from {c})").fetchone()
            extra = con.execute(f"select count(*) from (select * from {b} except all select * from {c})").fetchone()[0]
            missing = con.execute(f"select count(*) from (select * from {c} except all select * from {b})").fetchone()[
                0
            ]
            assert (counts[0], extra, missing) == (counts[1], 0, 0), (
                f"{table}: {counts} extra={extra} missing={missing}"
            )
        keys = con.execute(
            "select count(*) - count(distinct (period_grain, period_start, unit_code, criterion_code)) "
            "from backfilled.marts.criteria_scores"
        ).fetchone()[0]
        assert keys == 0
        assert con.execute("select count(*) from backfilled.marts.dossier_facts").fetchone()[0] > 0
