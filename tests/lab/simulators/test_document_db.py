"""The document database simulator: SQLite by default, PostgreSQL given a DSN, same tables and rows."""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from parmetrics.lab.simulators.document_db import (
    COLUMNS,
    TABLES,
    DocumentDbConfig,
    generate_document_rows,
    write_document_db,
)
from parmetrics.landing.schemas import LANDING_SCHEMAS

CONFIG = DocumentDbConfig(seed=5, start=date(2024, 1, 1), end=datetime(2025, 9, 1), scale=0.3)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_document_db(tmp_path_factory.mktemp("docs"), CONFIG)


def _rows(db: Path, table: str) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY id")]
    finally:
        conn.close()


def test_tables_have_the_contract_columns(db: Path):
    for table in TABLES:
        landing = [f.name for f in LANDING_SCHEMAS[("document_db", table)] if f.name != "_batch_id"]
        assert sorted(COLUMNS[table]) == sorted(landing)
        assert _rows(db, table), table


def test_rows_change_after_creation_and_some_are_soft_deleted(db: Path):
    for table, created in (("van_ban_di", "ngay_ban_hanh"), ("van_ban_den", "ngay_den"), ("nhiem_vu", "ngay_giao")):
        rows = _rows(db, table)
        assert all(r["updated_at"] < "2025-09-01" for r in rows)
        assert any(r["updated_at"][:10] > r[created] for r in rows), table
        deleted = [r for r in rows if r["deleted_at"]]
        assert deleted and len(deleted) < 0.03 * len(rows)
        assert all(r["updated_at"] >= r["deleted_at"] for r in deleted)


def test_values_and_states_are_in_the_contract_domains(db: Path):
    out = _rows(db, "van_ban_di")
    assert {r["do_mat"] for r in out} == {"thuong", "mat", "toi_mat", "tuyet_mat"}
    assert all(not r["phat_hanh_dien_tu"] for r in out if r["do_mat"] != "thuong")
    assert any(r["noi_nhan_ngoai"] is None for r in out)
    incoming = _rows(db, "van_ban_den")
    assert {r["nhan_qua"] for r in incoming} == {"truc_lien_thong", "thu_dien_tu", "giay"}
    assert set(Counter(r["trang_thai"] for r in incoming)) == {"cho_xu_ly", "dang_xu_ly", "da_xu_ly"}
    assert all((r["ngay_xu_ly_xong"] is not None) == (r["trang_thai"] == "da_xu_ly") for r in incoming)
    tasks = _rows(db, "nhiem_vu")
    assert set(Counter(r["trang_thai"] for r in tasks)) == {"dang_thuc_hien", "hoan_thanh", "qua_han"}
    on_time = [r for r in tasks if r["ngay_hoan_thanh"] and r["ngay_hoan_thanh"] <= r["han_hoan_thanh"]]
    late = [r for r in tasks if r["ngay_hoan_thanh"] and r["ngay_hoan_thanh"] > r["han_hoan_thanh"]]
    assert on_time and late
    files = _rows(db, "ho_so_cong_viec")
    assert any(r["ngay_dong"] is None for r in files) and any(r["xu_ly_tren_mang"] for r in files)


def test_units_have_their_own_habits(db: Path):
    by_unit: dict[str, list[bool]] = {}
    for r in _rows(db, "van_ban_di"):
        if r["do_mat"] == "thuong":
            by_unit.setdefault(r["ma_don_vi"], []).append(bool(r["phat_hanh_dien_tu"] and r["ky_so"]))
    rates = [sum(v) / len(v) for v in by_unit.values() if len(v) >= 30]
    assert len(rates) > 10 and max(rates) - min(rates) > 0.2
    units = {r["ma_don_vi"] for r in _rows(db, "van_ban_di") if r["ngay_ban_hanh"] >= "2025-07-01"}
    assert not any(u.startswith("H30.2") for u in units)  # districts and old communes ceased


def test_same_seed_same_bytes_another_seed_differs(tmp_path: Path):
    config = DocumentDbConfig(seed=1, start=date(2025, 1, 1), end=datetime(2025, 4, 1), scale=0.2)
    a = write_document_db(tmp_path / "a", config).read_bytes()
    b = write_document_db(tmp_path / "b", config).read_bytes()
    c = write_document_db(
        tmp_path / "c", DocumentDbConfig(seed=2, start=date(2025, 1, 1), end=datetime(2025, 4, 1), scale=0.2)
    ).read_bytes()
    assert a == b and a != c


@pytest.fixture
def pg_dsn():
    """A fresh database on the server of ``PARMETRICS_TEST_PG_DSN`` (dropped afterwards)."""
    dsn = os.environ.get("PARMETRICS_TEST_PG_DSN")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("PARMETRICS_TEST_PG_DSN must be set in CI")
        pytest.skip("no PostgreSQL: set PARMETRICS_TEST_PG_DSN")
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"sim_docdb_{os.getpid()}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield make_conninfo(**{**conninfo_to_dict(dsn), "dbname": name})
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_postgres_gets_the_same_rows(pg_dsn: str):
    import psycopg

    config = DocumentDbConfig(seed=1, start=date(2025, 1, 1), end=datetime(2025, 4, 1), scale=0.2)
    assert write_document_db(Path("unused"), config, dsn=pg_dsn) == pg_dsn
    generated: dict[str, list[dict]] = {t: [] for t in TABLES}
    for table, row in generate_document_rows(config):
        generated[table].append(row)
    with psycopg.connect(pg_dsn) as conn:
        for table in TABLES:
            rows = conn.execute(f"SELECT {', '.join(COLUMNS[table])} FROM {table} ORDER BY id").fetchall()
            assert len(rows) == len(generated[table]) > 0
            as_text = [tuple(None if v is None else str(v) for v in r) for r in rows]
            expected = [tuple(None if r[c] is None else str(r[c]) for c in COLUMNS[table]) for r in generated[table]]
            assert as_text == expected, table
    # Written twice: replaced, not appended.
    write_document_db(Path("unused"), config, dsn=pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM nhiem_vu").fetchone()[0] == len(generated["nhiem_vu"])
