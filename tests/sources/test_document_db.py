"""The document-database extractor on SQLite and on a real PostgreSQL server (SOURCES.md §2)."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.landing.writer import committed_batches, read_manifest
from parmetrics.sources.document_db import TABLES, extract_table, make_engine, sqlalchemy_url

from .docdb_fixtures import write_document_db

MIDDLE = datetime(2026, 2, 15)
END = datetime(2027, 1, 1)


def _landed_latest(paths: Paths, table: str) -> dict[int, dict]:
    latest: dict[int, dict] = {}
    for batch in committed_batches(paths.dataset_landing("document_db", table)):
        for r in pq.read_table(batch, schema=TABLES[table]).to_pylist():
            if r["id"] not in latest or r["updated_at"] >= latest[r["id"]]["updated_at"]:
                latest[r["id"]] = r
    return latest


def _check_incremental_extraction(engine: sa.Engine, paths: Paths) -> None:
    truth = write_document_db(engine)
    for table in TABLES:
        # Two adjacent windows, read in small chunks.
        first = extract_table(engine, table, None, MIDDLE, paths, chunk_rows=100)
        second = extract_table(engine, table, MIDDLE, END, paths, chunk_rows=100)
        assert first["rows"] and second["rows"]
        assert first["rows"] + second["rows"] == len(truth[table])
        manifest = read_manifest(Path(paths.dataset_landing("document_db", table)) / f"batch={first['batch_id']}")
        assert len(manifest["files"]) > 1  # written chunk by chunk
        landed = _landed_latest(paths, table)
        assert set(landed) == {r["id"] for r in truth[table]}
        for row in truth[table]:
            got = landed[row["id"]]
            for column, value in row.items():
                assert got[column] == value, (table, row["id"], column, got[column], value)
        deleted = [r for r in landed.values() if r["deleted_at"] is not None]
        assert len(deleted) == len(truth[table]) // 50
        # Rerunning a window replaces its batch with identical rows.
        batch = paths.dataset_landing("document_db", table) / f"batch={first['batch_id']}"
        before = pq.read_table(batch).to_pylist()
        again = extract_table(engine, table, None, MIDDLE, paths, chunk_rows=100)
        assert again["rows"] == first["rows"]
        assert pq.read_table(batch).to_pylist() == before
        assert len(committed_batches(paths.dataset_landing("document_db", table))) == 2


def test_sqlite_document_db_lands_every_latest_version_and_soft_delete(tmp_path: Path):
    db = tmp_path / "document_db.sqlite"
    _check_incremental_extraction(sa.create_engine(f"sqlite:///{db}"), Paths(tmp_path / "data"))
    # And through the read-only engine the DAG uses.
    stats = extract_table(make_engine(f"sqlite:///{db}"), "nhiem_vu", None, END, Paths(tmp_path / "ro"))
    assert stats["rows"] == 1500


def test_a_broken_row_is_quarantined_and_the_others_land(tmp_path: Path):
    db = tmp_path / "document_db.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    write_document_db(engine, rows_per_table=200)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE van_ban_di SET do_mat = 'bi_mat' WHERE id = 7"))
        conn.execute(sa.text("UPDATE van_ban_di SET ngay_ban_hanh = '31/12/2026' WHERE id = 8"))
    paths = Paths(tmp_path / "data")
    stats = extract_table(make_engine(f"sqlite:///{db}"), "van_ban_di", None, END, paths)
    assert stats["rows"] == 198 and stats["quarantined"] == 2
    reasons = sorted(r["reason"] for r in ops.read_records(paths, "quarantine"))
    assert reasons == [
        "van_ban_di record id=7: do_mat: unknown code 'bi_mat' (expected one of thuong, mat, toi_mat, tuyet_mat)",
        "van_ban_di record id=8: ngay_ban_hanh: not a date: '31/12/2026'",
    ]
    assert all(r["source"] == "document_db" and r["landed_at"] for r in ops.read_records(paths, "quarantine"))


@pytest.mark.parametrize(
    ("uri", "url"),
    [
        ("postgresql://u:p%40ss@db.example.vn:5432/docs", "postgresql+psycopg://u:p%40ss@db.example.vn:5432/docs"),
        ("postgres://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("sqlite:////srv/docs.sqlite", "sqlite:////srv/docs.sqlite"),
        ("sqlite://%2Fsrv%2Fdocs.sqlite", "sqlite:////srv/docs.sqlite"),
        ('{"conn_type": "sqlite", "host": "/srv/docs.sqlite"}', "sqlite:////srv/docs.sqlite"),
        (
            '{"conn_type": "postgres", "host": "h", "port": 5433, "login": "u", "password": "p", "schema": "d"}',
            "postgresql+psycopg://u:p@h:5433/d",
        ),
    ],
)
def test_connection_uris(uri, url):
    assert sqlalchemy_url(uri) == url


@pytest.fixture
def pg_engine():
    dsn = os.environ.get("PARMETRICS_TEST_PG_DSN")
    if not dsn:
        pytest.skip("PARMETRICS_TEST_PG_DSN is not set (CI starts PostgreSQL and sets it)")
    admin = sa.create_engine(sqlalchemy_url(dsn), isolation_level="AUTOCOMMIT")
    name = f"parmetrics_test_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.engine.make_url(sqlalchemy_url(dsn)).set(database=name)
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_postgresql_document_db_on_a_real_server(pg_engine, tmp_path: Path):
    assert pg_engine.dialect.name == "postgresql"
    _check_incremental_extraction(pg_engine, Paths(tmp_path / "data"))
