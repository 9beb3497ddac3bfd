"""Fixtures for tests that run the real DAGs with ``dag.test()`` on a throwaway AIRFLOW_HOME."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from parmetrics.config import Paths

VENV_BIN = Path(sys.executable).parent
TOKEN = "test-token-for-dag-tests"
KEY = "test-pseudonymisation-key"
END = datetime(2026, 11, 20)


@pytest.fixture(scope="session")
def airflow_db(airflow_home):
    """A migrated metadata database and the DuckDB writer pool (as make run creates them)."""
    airflow = str(VENV_BIN / "airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, capture_output=True)
    subprocess.run([airflow, "pools", "set", "duckdb_writer", "1", "test"], check=True, capture_output=True)
    subprocess.run([airflow, "pools", "set", "history_ingestion", "2", "test"], check=True, capture_output=True)
    return airflow_home


@pytest.fixture(scope="session")
def source_db(tmp_path_factory) -> Path:
    from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db

    return write_dossier_db(tmp_path_factory.mktemp("sim"), DossierDataConfig(n_dossiers=400, end=END))


@pytest.fixture
def pipeline_env(monkeypatch, tmp_path, source_db, airflow_db):
    """A data dir, the reference snapshot, the simulated API and the settings the tasks read."""
    import json

    from parmetrics.lab.simulators.dossier_api import serve_in_thread
    from parmetrics.lab.simulators.reference_files import write_don_vi_file

    paths = Paths(tmp_path / "data")
    write_don_vi_file(paths.reference_inbox, month="202611")
    with serve_in_thread(source_db, TOKEN) as server:
        conn = {"conn_type": "http", "host": "127.0.0.1", "port": server.port, "schema": "http", "password": TOKEN}
        monkeypatch.setenv("AIRFLOW_CONN_DOSSIER_API", json.dumps(conn))
        monkeypatch.setenv("PARMETRICS_DATA_DIR", str(paths.root))
        monkeypatch.setenv("PARMETRICS_CLOCK", "2026-11-20T06:00:00")
        monkeypatch.setenv("PARMETRICS_PSEUDONYM_KEY", KEY)
        yield paths


def load_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[2] / "dags"))
    return bag.get_dag(dag_id)
