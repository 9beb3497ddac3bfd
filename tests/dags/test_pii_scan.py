"""After a full pipeline run through the DAGs, no file under the data directory holds personal data.

Every file is read by its contents — Parquet and DuckDB column by column, SQLite table by table, JSON
and text as text, anything else as bytes — and searched for the simulator's raw personal values
(applicant names, ID numbers, phones, e-mails, addresses), a malformed record's included (it is
quarantined with its personal fields removed).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from parmetrics.config import Paths
from tests.dags.conftest import KEY, TOKEN, load_dag
from tests.sources.dossier_oracle_records import PERSONAL_FIELDS

pytestmark = pytest.mark.airflow


def _values_of_file(path: Path) -> list[str]:
    name = path.name
    if name.endswith(".parquet"):
        table = pq.read_table(path)
        return [str(v) for column in table.columns for v in column.to_pylist() if v is not None]
    if name.endswith(".duckdb"):
        out = []
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute(
                "select table_catalog, table_schema, table_name from information_schema.tables"
            ).fetchall()
            for catalog, schema, table in tables:
                columns = con.execute(
                    "select column_name from information_schema.columns "
                    "where table_catalog = ? and table_schema = ? and table_name = ?",
                    [catalog, schema, table],
                ).fetchall()
                for (column,) in columns:
                    rows = con.execute(f'select distinct cast("{column}" as varchar) from "{schema}"."{table}"')
                    out.extend(v for (v,) in rows.fetchall() if v is not None)
        return out
    if name.endswith((".sqlite", ".db", ".sqlite3")):
        out = []
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for (table,) in con.execute("select name from sqlite_master where type = 'table'").fetchall():
            for row in con.execute(f'select * from "{table}"'):
                out.extend(str(v) for v in row if v is not None)
        con.close()
        return out
    return [path.read_bytes().decode("utf-8", errors="replace")]


def _scan(root: Path) -> tuple[str, list[str]]:
    kinds = []
    chunks = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name.endswith((".wal", ".lock")):
            continue
        kinds.append(path.suffix or path.name)
        chunks.append("\n".join(_values_of_file(path)))
    return "\n".join(chunks), kinds


@pytest.fixture
def source_with_a_bad_record(source_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "source" / source_db.name
    db.parent.mkdir()
    shutil.copy(source_db, db)
    conn = sqlite3.connect(db)
    good = json.loads(conn.execute("select payload from dossiers order by ngay_cap_nhat limit 1").fetchone()[0])
    bad = {**good, "MaHoSo": "BAD-STATUS", "TrangThaiHoSo": 42, "NgayCapNhat": "20250115100001"}
    conn.execute("insert into dossiers values (?, ?, ?)", (bad["NgayCapNhat"], bad["MaHoSo"], json.dumps(bad)))
    conn.commit()
    conn.close()
    return db


def test_no_personal_value_in_any_file_after_a_full_run(source_with_a_bad_record, monkeypatch, tmp_path, airflow_db):
    from parmetrics.lab.simulators.dossier_api import serve_in_thread
    from parmetrics.lab.simulators.reference_files import write_don_vi_file
    from tests.sources.finance_fixtures import write_budget_csv

    paths = Paths(tmp_path / "data")
    write_don_vi_file(paths.reference_inbox, month="202611")
    write_budget_csv(paths.inbox, "202610")
    with serve_in_thread(source_with_a_bad_record, TOKEN) as server:
        conn = {"conn_type": "http", "host": "127.0.0.1", "port": server.port, "schema": "http", "password": TOKEN}
        monkeypatch.setenv("AIRFLOW_CONN_DOSSIER_API", json.dumps(conn))
        monkeypatch.setenv("PARMETRICS_DATA_DIR", str(paths.root))
        monkeypatch.setenv("PARMETRICS_CLOCK", "2026-11-20T06:00:00")
        monkeypatch.setenv("PARMETRICS_PSEUDONYM_KEY", KEY)
        for dag_id in ("ingest_reference", "ingest_finance", "ingest_dossiers", "build_marts"):
            assert load_dag(dag_id).test().state == "success", dag_id

    conn = sqlite3.connect(source_with_a_bad_record)
    payloads = [json.loads(p) for (p,) in conn.execute("select payload from dossiers")]
    conn.close()
    personal = {p[f] for p in payloads for f in PERSONAL_FIELDS if p.get(f)}
    assert len(personal) > 500
    text, kinds = _scan(paths.root)
    # The scan really read landing, quarantine, ops, the warehouse and the publication.
    assert {".parquet", ".duckdb", ".json", ".jsonl"} <= set(kinds), sorted(set(kinds))
    assert "BAD-STATUS" in text  # the quarantined record is there, without its personal fields
    leaked = sorted(v for v in personal if v in text)
    assert not leaked, f"{len(leaked)} personal values found, e.g. {leaked[:3]}"
