"""Record-level quarantine (SOURCES.md §1, §2): a record breaking the contract is set aside on its own,
without personal data, with a one-line reason naming its key and the rule; its neighbours land; when
the source corrects it, a later window lands it and the quarantine records the resolution.

Every record and row here is typed out; the dossier API is ``contract_api`` (written from SOURCES.md),
the document DB a SQLite file made here — not the project's simulators.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.landing import quarantine as q
from parmetrics.landing.schemas import LANDING_SCHEMAS, UNITS
from parmetrics.landing.writer import BatchWriter, committed_batches
from parmetrics.quality.landing_gate import landing_gate
from parmetrics.sources.document_db import extract_table, make_engine
from parmetrics.sources.dossier_api import ApiConnection, extract_window

from .contract_api import dossier, event, serve

TOKEN = "contract-token"
KEY = b"record-quarantine-key"
JAN, FEB, MAR = datetime(2025, 1, 1), datetime(2025, 2, 1), datetime(2025, 3, 1)
PERSONAL = ("ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi")


def land_units(paths: Paths, codes: tuple[str, ...] = ("T01", "T01.SO1", "T01.SO2")) -> None:
    rows = [
        {
            "ma_don_vi": c,
            "ten_don_vi": f"Đơn vị {c}",
            "cap": "tinh" if c == "T01" else "so",
            "hieu_luc_tu": date(2019, 1, 1),
            "_snapshot_month": "202412",
            "_source_file": "don_vi_202412.csv",
        }
        for c in codes
    ]
    with BatchWriter(paths.dataset_landing("reference", "don_vi"), "202412", UNITS) as writer:
        writer.write_rows(rows)
        writer.commit()


def landed(paths: Paths, dataset: str, batch_id: str) -> dict[str, dict]:
    table = pq.read_table(
        paths.dataset_landing("dossier_api", dataset) / f"batch={batch_id}",
        schema=LANDING_SCHEMAS[("dossier_api", dataset)],
    )
    key = "MaHoSo" if dataset == "dossiers" else None
    rows = table.to_pylist()
    return {r["MaHoSo"] if key else f"{r['MaHoSo']}#{r['STT']}": r for r in rows}


def quarantine_records(paths: Paths, source: str, dataset: str) -> list[dict]:
    return list(ops.read_records(paths, "quarantine", partition=f"{source}__{dataset}"))


def every_text(paths: Paths) -> str:
    chunks = []
    for path in paths.root.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        if path.suffix == ".parquet":
            chunks.append(json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False))
        else:
            chunks.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(chunks)


@pytest.fixture
def api():
    with serve(TOKEN) as served:
        yield served


@pytest.fixture
def conn(api) -> ApiConnection:
    return ApiConnection(api.base_url, TOKEN, timeout=5, backoff_initial=0.01, backoff_max=0.05)


def january(api) -> None:
    """Eight good dossiers of January, one with an unknown channel, one without a unit, one of a unit the
    reference does not know yet."""
    for i in range(1, 9):
        api.dossiers.append(dossier(f"HS-{i:04d}", f"202501{10 + i:02d}090000"))
    api.dossiers.append(dossier("HS-0099", "20250120090000", KenhThucHien=99))
    api.dossiers.append(dossier("HS-NULL", "20250121090000", MaDonVi=None))
    api.dossiers.append(dossier("HS-NEWU", "20250122090000", MaDonVi="T01.SO9"))


def through_ingestion(monkeypatch, paths: Paths, source: str, dataset: str, lo: datetime, hi: datetime, api=None):
    """What an ingestion task runs for one dataset (orchestration hands the landing gate over)."""
    from parmetrics.orchestration import ingestion
    from parmetrics.windows import Window

    monkeypatch.setenv("PARMETRICS_DATA_DIR", str(paths.root))
    monkeypatch.setenv("PARMETRICS_PSEUDONYM_KEY", KEY.decode())
    if api is not None:
        conn = {"conn_type": "http", "host": "127.0.0.1", "port": api.port, "schema": "http", "password": TOKEN}
        monkeypatch.setenv("AIRFLOW_CONN_DOSSIER_API", json.dumps(conn))
    return ingestion.extract_dataset(source, dataset, Window(lo, hi, "interval").as_dict())


def test_one_bad_dossier_is_quarantined_alone_and_its_window_lands(api, tmp_path, monkeypatch):
    paths = Paths(tmp_path / "data")
    land_units(paths)
    january(api)
    stats = through_ingestion(monkeypatch, paths, "dossier_api", "dossiers", JAN, FEB, api)

    rows = landed(paths, "dossiers", stats["batch_id"])
    expected = {f"HS-{i:04d}" for i in range(1, 9)} | {"HS-NEWU"}
    assert set(rows) == expected
    assert (stats["rows"], stats["quarantined"], stats["api_total"]) == (9, 2, 11)
    # The unit the reference does not know yet landed and is a warning, not a rejection.
    [warning] = [r for r in ops.read_records(paths, "quality_results") if not r["success"]]
    assert (warning["severity"], warning["rule"], warning["failing_row_sample"]) == (
        "warning",
        "unit_known",
        ["T01.SO9"],
    )
    assert warning["subject"] == "dossier_api/dossiers/batch=20250101000000_20250201000000"

    entries = [
        json.loads(line)
        for line in q.quarantine_file(paths, "dossier_api", "dossiers", stats["batch_id"]).read_text().splitlines()
    ]
    assert sorted(e["reason"] for e in entries) == [
        "dossiers record MaHoSo='HS-0099': KenhThucHien: unknown code 99 (expected one of 1, 2, 3)",
        "dossiers record MaHoSo='HS-NULL': MaDonVi is missing",
    ]
    assert sorted((e["key"], e["rule"], e["version"]) for e in entries) == [
        ("HS-0099", "KenhThucHien_in_set", "20250120090000"),
        ("HS-NULL", "MaDonVi_not_null", "20250121090000"),
    ]
    for e in entries:
        assert not set(e["record"]) & set(PERSONAL)
        assert e["record"]["applicant_key"] and len(e["record"]["applicant_key"]) == 64
    records = quarantine_records(paths, "dossier_api", "dossiers")
    assert sorted((r["ref"], r["status"], r["quarantined_to"]) for r in records) == [
        ("HS-0099", "quarantined", "quarantine/dossier_api/dossiers/batch=20250101000000_20250201000000.jsonl#1"),
        ("HS-NULL", "quarantined", "quarantine/dossier_api/dossiers/batch=20250101000000_20250201000000.jsonl#2"),
    ]
    # No personal value of any record reached any file under the data directory.
    text = every_text(paths)
    leaked = [r[f] for r in api.dossiers for f in PERSONAL if r[f] in text]
    assert leaked == []


def test_a_corrected_record_lands_in_a_later_window_and_the_quarantine_says_so(api, conn, tmp_path):
    paths = Paths(tmp_path / "data")
    land_units(paths)
    january(api)
    extract_window(conn, "dossiers", JAN, FEB, paths, KEY)
    assert [r["key"] for r in q.open_quarantine(paths, "dossier_api", "dossiers")] == ["HS-0099", "HS-NULL"]

    # The source corrects HS-0099 in February (channel 3); HS-NULL stays broken.
    bad = next(r for r in api.dossiers if r["MaHoSo"] == "HS-0099")
    bad.update(KenhThucHien=3, NgayCapNhat="20250203101500")
    stats = extract_window(conn, "dossiers", FEB, MAR, paths, KEY)
    assert stats["resolved"] == 1 and stats["quarantined"] == 0
    assert landed(paths, "dossiers", stats["batch_id"])["HS-0099"]["KenhThucHien"] == 3
    [resolution] = list(ops.read_records(paths, "quarantine", partition="dossier_api__dossiers__resolved"))
    assert (resolution["key"], resolution["status"], resolution["resolves_batch"], resolution["batch_id"]) == (
        "HS-0099",
        "resolved",
        "20250101000000_20250201000000",
        "20250201000000_20250301000000",
    )
    assert resolution["reason"] == (
        "HS-0099: a corrected version (20250203101500) landed in batch 20250201000000_20250301000000; quarantined in "
        "batch 20250101000000_20250201000000 for: dossiers record MaHoSo='HS-0099': KenhThucHien: unknown code 99 "
        "(expected one of 1, 2, 3)"
    )
    assert [r["key"] for r in q.open_quarantine(paths, "dossier_api", "dossiers")] == ["HS-NULL"]

    # Rerunning February replaces its resolution, never adds a second one.
    extract_window(conn, "dossiers", FEB, MAR, paths, KEY)
    assert len(list(ops.read_records(paths, "quarantine", partition="dossier_api__dossiers__resolved"))) == 1
    # Rerunning January: HS-0099 has left its window, HS-NULL is still there and still broken.
    extract_window(conn, "dossiers", JAN, FEB, paths, KEY)
    assert [r["ref"] for r in quarantine_records(paths, "dossier_api", "dossiers")] == ["HS-NULL"]


def test_an_older_good_version_in_a_later_batch_is_no_correction(api, conn, tmp_path):
    paths = Paths(tmp_path / "data")
    # HS-0001 lands good in January, then is changed to a broken version in February.
    api.dossiers.append(dossier("HS-0001", "20250110090000"))
    extract_window(conn, "dossiers", JAN, FEB, paths, KEY)
    api.dossiers[0] = dossier("HS-0001", "20250205090000", TrangThaiHoSo=11)
    stats = extract_window(conn, "dossiers", FEB, MAR, paths, KEY)
    assert stats["quarantined"] == 1
    # Rerunning January (the source no longer serves HS-0001 there) resolves nothing.
    stats = extract_window(conn, "dossiers", JAN, FEB, paths, KEY)
    assert stats["resolved"] == 0
    assert [r["key"] for r in q.open_quarantine(paths, "dossier_api", "dossiers")] == ["HS-0001"]


def test_typed_and_record_by_record_pages_quarantine_the_same_way(api, conn, tmp_path):
    paths = Paths(tmp_path / "data")
    # Page 1 (4 records) decodes typed: its channel 99 is caught on the page's rows. Page 2 holds a status
    # the typed decoding refuses, so it is read record by record: both bad records are set aside alone.
    for i in range(1, 4):
        api.dossiers.append(dossier(f"HS-{i:04d}", f"2025011{i}090000"))
    api.dossiers.append(dossier("HS-0004", "20250114090000", KenhThucHien=99))
    api.dossiers.append(dossier("HS-0005", "20250115090000", TrangThaiHoSo=42))
    for i in range(6, 9):
        api.dossiers.append(
            dossier(
                f"HS-{i:04d}", f"2025011{i}090000", DanhSachLePhi=[{"MaPhiLePhi": "L", "Gia": -1}] if i == 7 else []
            )
        )
    stats = extract_window(conn, "dossiers", JAN, FEB, paths, KEY, page_limit=4)
    assert stats["pages"] == 2 * stats["passes"]
    assert set(landed(paths, "dossiers", stats["batch_id"])) == {"HS-0001", "HS-0002", "HS-0003", "HS-0006", "HS-0008"}
    reasons = sorted(r["reason"] for r in quarantine_records(paths, "dossier_api", "dossiers"))
    assert reasons == [
        "dossiers record MaHoSo='HS-0004': KenhThucHien: unknown code 99 (expected one of 1, 2, 3)",
        "dossiers record MaHoSo='HS-0005': TrangThaiHoSo: unknown code 42 (expected one of 1, 2, 3, 4, 5, 6, 7, 8, 9, "
        "10)",
        "dossiers record MaHoSo='HS-0007': DanhSachLePhi: a Gia of -1.0 is below 0",
    ]


def test_an_event_with_an_unknown_status_is_quarantined_alone(api, conn, tmp_path):
    paths = Paths(tmp_path / "data")
    api.events.extend(
        [
            event("HS-0001", 1, "20250110090000", 1),
            event("HS-0001", 2, "20250110100000", 42),
            event("HS-0001", 3, "20250111090000", 4),
            event("HS-0002", 1, "20250112090000", None),
        ]
    )
    stats = extract_window(conn, "dossier_events", JAN, FEB, paths, KEY)
    assert set(landed(paths, "dossier_events", stats["batch_id"])) == {"HS-0001#1", "HS-0001#3"}
    assert sorted((r["ref"], r["reason"]) for r in quarantine_records(paths, "dossier_api", "dossier_events")) == [
        (
            "HS-0001#2",
            "dossier_events record MaHoSo='HS-0001' STT=2: TrangThai: unknown code 42 (expected one of 1, 2, "
            "3, 4, 5, 6, 7, 8, 9, 10)",
        ),
        ("HS-0002#1", "dossier_events record MaHoSo='HS-0002' STT=1: TrangThai is missing"),
    ]


# ---- the document DB ---------------------------------------------------------------------------------

SCHEMA_SQL = """
create table van_ban_den (id bigint, ma_don_vi text, ngay_den date, nhan_qua text, han_xu_ly date,
    ngay_xu_ly_xong date, trang_thai text, updated_at timestamp, deleted_at timestamp);
create table nhiem_vu (id bigint, ma_don_vi text, so_van_ban_giao text, ngay_giao date, han_hoan_thanh date,
    ngay_hoan_thanh date, trang_thai text, updated_at timestamp, deleted_at timestamp);
"""


def document_db(path: Path) -> None:
    con = sqlite3.connect(path)
    con.executescript(SCHEMA_SQL)
    incoming = [
        (1, "T01.SO1", "2025-01-06", "giay", None, None, "cho_xu_ly", "2025-01-06 08:00:00", None),
        (2, "T01.SO1", "2025-01-07", "fax", None, None, "cho_xu_ly", "2025-01-07 08:00:00", None),
        (3, "T01.SO2", "07/01/2025", "thu_dien_tu", None, None, "da_xu_ly", "2025-01-07 09:00:00", None),
        (4, "T01.SO2", "2025-01-08", "truc_lien_thong", "2025-01-15", None, "dang_xu_ly", "2025-01-08 08:00:00", None),
        (None, "T01.SO2", "2025-01-09", "giay", None, None, "cho_xu_ly", "2025-01-09 08:00:00", None),
    ]
    con.executemany("insert into van_ban_den values (?, ?, ?, ?, ?, ?, ?, ?, ?)", incoming)
    # Ten tasks of January; two have a deadline before their assignment: legal, surprising.
    tasks = [
        (
            i,
            "T01.SO1",
            f"VB-{i}",
            f"2025-01-{i + 5:02d}",
            f"2025-01-{i + 3:02d}" if i in (4, 7) else f"2025-02-{i + 5:02d}",
            None,
            "dang_thuc_hien",
            f"2025-01-{i + 5:02d} 10:00:00",
            None,
        )
        for i in range(1, 11)
    ]
    con.executemany("insert into nhiem_vu values (?, ?, ?, ?, ?, ?, ?, ?, ?)", tasks)
    con.commit()
    con.close()


def test_document_rows_are_quarantined_one_by_one_and_a_correction_resolves(tmp_path):
    db = tmp_path / "docs.sqlite"
    document_db(db)
    paths = Paths(tmp_path / "data")
    engine = make_engine(f"sqlite:///{db}")
    gate = landing_gate(paths, "document_db", "van_ban_den", run_id="t", docs=False)
    stats = extract_table(engine, "van_ban_den", JAN, FEB, paths, gate=gate)
    assert (stats["rows"], stats["quarantined"]) == (2, 3)
    reasons = sorted(r["reason"] for r in quarantine_records(paths, "document_db", "van_ban_den"))
    assert reasons == [
        "van_ban_den record id=2: nhan_qua: unknown code 'fax' (expected one of truc_lien_thong, thu_dien_tu, giay)",
        "van_ban_den record id=3: ngay_den: not a date: '07/01/2025'",
        "van_ban_den record id=None: id is missing",
    ]
    # The source corrects row 2 in February.
    with sa.create_engine(f"sqlite:///{db}").begin() as c:
        c.execute(sa.text("update van_ban_den set nhan_qua = 'giay', updated_at = '2025-02-02 08:00:00' where id = 2"))
    stats = extract_table(make_engine(f"sqlite:///{db}"), "van_ban_den", FEB, MAR, paths, gate=gate)
    assert (stats["rows"], stats["resolved"]) == (1, 1)
    assert sorted(r["key"] for r in q.open_quarantine(paths, "document_db", "van_ban_den")) == ["3"]


def test_ten_tasks_with_two_deadlines_before_assignment_all_land_with_a_warning(tmp_path, monkeypatch):
    db = tmp_path / "docs.sqlite"
    document_db(db)
    paths = Paths(tmp_path / "data")
    monkeypatch.setenv("AIRFLOW_CONN_DOCUMENT_DB", f"sqlite:///{db}")
    stats = through_ingestion(monkeypatch, paths, "document_db", "nhiem_vu", JAN, FEB)
    assert (stats["rows"], stats["quarantined"]) == (10, 0)
    assert [b.name for b in committed_batches(paths.dataset_landing("document_db", "nhiem_vu"))] == [
        "batch=20250101000000_20250201000000"
    ]
    [warning] = [r for r in ops.read_records(paths, "quality_results") if not r["success"]]
    assert (warning["severity"], warning["rule"], warning["unexpected_count"]) == (
        "warning",
        "deadline_not_before_assignment",
        2,
    )
    assert warning["failing_row_sample"] == ["4", "7"]
