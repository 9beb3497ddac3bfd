"""``ingest_documents`` through ``dag.test()`` against the simulated document database (SQLite)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.landing.writer import committed_batches, read_manifest
from tests.dags.conftest import KEY, load_dag

pytestmark = pytest.mark.airflow
TABLES = ("van_ban_di", "van_ban_den", "ho_so_cong_viec", "nhiem_vu")


def test_ingest_documents_lands_every_table_and_advances_the_watermarks(monkeypatch, tmp_path, airflow_db):
    from parmetrics.lab.simulators.document_db import DocumentDbConfig, write_document_db

    db = write_document_db(tmp_path / "source", DocumentDbConfig(scale=0.02, start=datetime(2025, 1, 1).date()))
    paths = Paths(tmp_path / "data")
    monkeypatch.setenv("AIRFLOW_CONN_DOCUMENT_DB", f"sqlite:///{db}")
    monkeypatch.setenv("PARMETRICS_DATA_DIR", str(paths.root))
    monkeypatch.setenv("PARMETRICS_CLOCK", "2026-11-20T06:00:00")
    monkeypatch.setenv("PARMETRICS_PSEUDONYM_KEY", KEY)
    assert load_dag("ingest_documents").test().state == "success"
    conn = sqlite3.connect(db)
    for table in TABLES:
        [batch] = committed_batches(paths.dataset_landing("document_db", table))
        assert batch.name == "batch=open_20261120055500"
        expected = conn.execute(f"select count(*) from {table} where updated_at < '2026-11-20 05:55:00'").fetchone()[0]
        assert read_manifest(batch)["row_count"] == expected > 0
    conn.close()
    marks = {r["dataset"]: r["high_water_mark"] for r in ops.read_records(paths, "source_watermarks")}
    assert marks == dict.fromkeys(TABLES, "2026-11-20 05:55:00")
    # A second run starts from the mark (minus the safety margin) and lands a window of its own.
    monkeypatch.setenv("PARMETRICS_CLOCK", "2026-11-21T06:00:00")
    assert load_dag("ingest_documents").test().state == "success"
    names = [b.name for b in committed_batches(paths.dataset_landing("document_db", "nhiem_vu"))]
    assert names == ["batch=20261120054000_20261121055500", "batch=open_20261120055500"]
