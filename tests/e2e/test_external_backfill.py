"""Acceptance (issue 14): a backfill through the embedded Airflow against systems the project did not write.

``parmetrics backfill --from 2025-01 --to 2025-03`` without ``--api-url`` — what ``make backfill`` runs —
with ``AIRFLOW_CONN_DOSSIER_API``, ``AIRFLOW_CONN_DOCUMENT_DB`` and ``AIRFLOW_VAR_FINANCE_INBOX`` pointing
at sources typed out here from SOURCES.md (README *Pointing it at real systems*): a dossier API written
from the contract (``tests/sources/contract_api.py``), a SQLite document DB and CSV files. A frozen
export, so the reference clock is set (``PARMETRICS_CLOCK``) and no nightly schedule runs.

They hold data that is legal but surprising, and records that break the contract:
(a) March's budget revenue is 5 % of February's (a 95 % fall): it lands, with a warning;
(b) two of January's ten tasks have a deadline before their assignment: all ten land, with a warning;
(c) one dossier with an unknown channel (99) among good ones: quarantined alone, its month lands;
(d) one dossier without a unit: quarantined alone.
The backfill publishes; every legal record is in the marts (counts below are computed by hand); the bad
dossiers are in ``ops.quarantine`` with their reasons; the warnings are in ``ops.quality_results``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from parmetrics.config import Paths
from tests.sources.contract_api import dossier, event, serve

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(2700)]
VENV_BIN = Path(sys.executable).parent
TOKEN = "external-acceptance-token"
KEY = "external-acceptance-pseudonym-key"
CLOCK = "2025-04-01T06:00:00"  # the export was taken on the night after March 31

UNITS_CSV = """ma_don_vi;ten_don_vi;cap;ma_don_vi_cha;hieu_luc_tu;hieu_luc_den;ma_don_vi_ke_thua
T01;UBND tỉnh Thử Nghiệm;tinh;;2000-01-01;;
T01.SO1;Sở Nội vụ;so;T01;2000-01-01;;
T01.SO2;Sở Tư pháp;so;T01;2000-01-01;;
"""
REVENUE_HEADER = "ky_bao_cao;ma_khu_vuc;ten_khu_vuc;du_toan_nam;thuc_hien_luy_ke"
# Year-to-date actuals (million VND). Monthly revenue: January 1,100; February 1,100; March 55 (5 %).
REVENUE = {
    "202501": {"NQD": "600", "FDI": "400", "TIEN_SD_DAT": "100"},
    "202502": {"NQD": "1.200", "FDI": "800", "TIEN_SD_DAT": "200"},
    "202503": {"NQD": "1.230", "FDI": "820", "TIEN_SD_DAT": "205"},
}
ESTIMATE = {"NQD": "7.200", "FDI": "4.800", "TIEN_SD_DAT": "1.200"}
SECTOR = {"NQD": "Khu vực ngoài quốc doanh", "FDI": "Khu vực FDI", "TIEN_SD_DAT": "Thu tiền sử dụng đất"}


def write_files(inbox: Path) -> None:
    (inbox / "reference").mkdir(parents=True)
    (inbox / "reference" / "don_vi_202412.csv").write_text(UNITS_CSV, encoding="utf-8")
    for period, actual in REVENUE.items():
        lines = [REVENUE_HEADER]
        lines += [
            f"{period[:4]}-{period[4:]};{code};{SECTOR[code]};{ESTIMATE[code]};{value}"
            for code, value in actual.items()
        ]
        (inbox / f"thu_ngan_sach_{period}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


DOCUMENT_TABLES = """
create table van_ban_di (id bigint primary key, ma_don_vi text, so_ky_hieu text, loai_van_ban text, ngay_ban_hanh date,
    do_mat text, phat_hanh_dien_tu boolean, ky_so boolean, gui_qua_truc boolean, noi_nhan_ngoai integer,
    updated_at timestamp not null, deleted_at timestamp);
create table van_ban_den (id bigint primary key, ma_don_vi text, ngay_den date, nhan_qua text, han_xu_ly date,
    ngay_xu_ly_xong date, trang_thai text, updated_at timestamp not null, deleted_at timestamp);
create table ho_so_cong_viec (id bigint primary key, ma_don_vi text, ngay_mo date, ngay_dong date,
    xu_ly_tren_mang boolean, updated_at timestamp not null, deleted_at timestamp);
create table nhiem_vu (id bigint primary key, ma_don_vi text, so_van_ban_giao text, ngay_giao date,
    han_hoan_thanh date, ngay_hoan_thanh date, trang_thai text, updated_at timestamp not null, deleted_at timestamp);
"""
# (id, assigned, deadline, completed): tasks 4 and 7 have their deadline before their assignment (b).
# Every task last changed in January (assigned or completed then): the January window holds all ten.
# On time (completed ≤ deadline): 1, 2, 3, 5. Late: 6, 7. Open past the deadline: 4, 8, 9, 10.
TASKS = [
    (1, "2025-01-02", "2025-02-10", "2025-01-20"),
    (2, "2025-01-03", "2025-02-11", "2025-01-21"),
    (3, "2025-01-06", "2025-02-14", "2025-01-30"),
    (4, "2025-01-09", "2025-01-07", None),
    (5, "2025-01-10", "2025-03-10", "2025-01-28"),
    (6, "2025-01-13", "2025-01-20", "2025-01-24"),
    (7, "2025-01-14", "2025-01-10", "2025-01-22"),
    (8, "2025-01-15", "2025-03-14", None),
    (9, "2025-01-16", "2025-03-17", None),
    (10, "2025-01-17", "2025-03-20", None),
]


def write_document_db(path: Path) -> None:
    con = sqlite3.connect(path)
    con.executescript(DOCUMENT_TABLES)
    for task_id, assigned, due, done in TASKS:
        status = "hoan_thanh" if done else "qua_han"
        changed = f"{done or assigned} 16:00:00"
        con.execute(
            "insert into nhiem_vu values (?, 'T01.SO1', ?, ?, ?, ?, ?, ?, null)",
            (task_id, f"12/UBND-{task_id}", assigned, due, done, status, changed),
        )
    con.commit()
    con.close()


# Dossiers: (code, unit, received (yyyyMMdd), status, finished (yyyyMMdd or None), last change).
GOOD_DOSSIERS = [
    ("HS-2501-01", "T01.SO1", "20250106", 10, "20250110", "20250110160000"),
    ("HS-2501-02", "T01.SO1", "20250113", 10, "20250117", "20250117160000"),
    ("HS-2501-03", "T01.SO2", "20250107", 10, "20250115", "20250115160000"),
    ("HS-2501-04", "T01.SO2", "20250120", 4, None, "20250120160000"),
    ("HS-2502-01", "T01.SO1", "20250203", 10, "20250207", "20250207160000"),
    ("HS-2502-02", "T01.SO1", "20250210", 10, "20250214", "20250214160000"),
    ("HS-2502-03", "T01.SO2", "20250211", 10, "20250219", "20250219160000"),
    ("HS-2502-04", "T01.SO2", "20250224", 4, None, "20250224160000"),
    ("HS-2503-01", "T01.SO1", "20250303", 10, "20250307", "20250307160000"),
    ("HS-2503-02", "T01.SO1", "20250310", 4, None, "20250310160000"),
    ("HS-2503-03", "T01.SO2", "20250311", 10, "20250319", "20250319160000"),
    ("HS-2503-04", "T01.SO2", "20250331", 4, None, "20250331120000"),
]


def source_dossiers() -> tuple[list[dict], list[dict]]:
    dossiers, events = [], []
    for code, unit, received, status, finished, changed in GOOD_DOSSIERS:
        fields = {
            "MaDonVi": unit,
            "NgayNopHoSo": received + "080000",
            "NgayTiepNhan": received + "083000",
            "NgayHenTra": (datetime.strptime(received, "%Y%m%d") + timedelta(days=7)).strftime("%Y%m%d") + "170000",
            "TrangThaiHoSo": status,
            "NgayKetThucXuLy": finished and finished + "100000",
            "NgayTra": finished and finished + "150000",
        }
        dossiers.append(dossier(code, changed, **fields))
        events.append(event(code, 1, received + "083000", 2))
        if finished:
            events.append(event(code, 2, finished + "100000", 9))
    # (c) an unknown channel among February's dossiers; (d) a dossier without a unit in March.
    dossiers.append(dossier("HS-2502-99", "20250218160000", KenhThucHien=99))
    dossiers.append(dossier("HS-2503-99", "20250320160000", MaDonVi=None))
    return dossiers, events


def backfill(data_dir: Path, env: dict[str, str], log: Path) -> subprocess.CompletedProcess[str]:
    command = [
        str(VENV_BIN / "parmetrics"),
        "backfill",
        "--from",
        "2025-01",
        "--to",
        "2025-03",
        "--data-dir",
        str(data_dir),
        "--timeout",
        "2000",
    ]
    with log.open("w") as out:
        return subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, timeout=2400)


def test_a_backfill_against_external_sources_publishes_every_legal_record(tmp_path):
    paths = Paths(tmp_path / "data")
    inbox = tmp_path / "finance_inbox"
    write_files(inbox)
    documents = tmp_path / "documents.sqlite"
    write_document_db(documents)
    dossiers, events = source_dossiers()
    with serve(TOKEN) as api:
        api.dossiers.extend(dossiers)
        api.events.extend(events)
        connection = {"conn_type": "http", "host": "127.0.0.1", "port": api.port, "schema": "http", "password": TOKEN}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PARMETRICS_", "AIRFLOW_"))}
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "AIRFLOW_CONN_DOSSIER_API": json.dumps(connection),
                "AIRFLOW_CONN_DOCUMENT_DB": f"sqlite:///{documents}",
                "AIRFLOW_VAR_FINANCE_INBOX": str(inbox),
                "PARMETRICS_PSEUDONYM_KEY": KEY,
                # A frozen export: "now" is the night after it was taken, and no nightly schedule runs.
                "PARMETRICS_CLOCK": CLOCK,
                "PARMETRICS_SCHEDULE_MODE": "event-only",
            }
        )
        started = time.monotonic()
        result = backfill(paths.root, env, tmp_path / "backfill.log")
        seconds = time.monotonic() - started
    output = (tmp_path / "backfill.log").read_text()
    print(output[-4000:])
    print(f"external backfill of 3 months took {seconds:.0f} s")
    assert result.returncode == 0, output[-6000:]

    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        # Every legal dossier is in the marts, per unit; the two bad ones are not.
        facts = dict(
            con.execute("select unit_code, count(*) from marts.dossier_facts group by 1 order by 1").fetchall()
        )
        assert facts == {"T01.SO1": 6, "T01.SO2": 6}
        # (b) all ten tasks count: due before as_of 2025-03-31, four completed on time.
        tasks = con.execute(
            "select numerator, denominator from marts.criteria_scores where criterion_code = 'PAR.1.tasks_on_time' "
            "and period_grain = 'year' and period_start = date '2025-01-01' and unit_code = 'T01.SO1'"
        ).fetchall()
        assert tasks == [(4, 10)]
        # (a) March's report is the year's latest: NQD 1,230 + FDI 820 against the estimates 7,200 + 4,800.
        revenue = con.execute(
            "select numerator, denominator from marts.criteria_scores where criterion_code = "
            "'PAR.8.revenue_vs_estimate' and period_grain = 'year' and period_start = date '2025-01-01'"
        ).fetchall()
        assert revenue == [(2050.0, 12000.0)]
        # (c), (d): quarantined alone, with their reasons, named by their key.
        quarantined = con.execute(
            "select ref, reason, status from ops.quarantine where source = 'dossier_api' order by ref"
        ).fetchall()
        assert quarantined == [
            (
                "HS-2502-99",
                "dossiers record MaHoSo='HS-2502-99': KenhThucHien: unknown code 99 (expected one of 1, 2, 3)",
                "quarantined",
            ),
            ("HS-2503-99", "dossiers record MaHoSo='HS-2503-99': MaDonVi is missing", "quarantined"),
        ]
        # (a), (b): recorded as warnings, never as a rejection. (The build records its dbt warn tests beside
        # them, stage dbt: anomalies of the built marts, not of these sources' records.)
        warnings = con.execute(
            "select distinct suite, rule, subject from ops.quality_results "
            "where severity = 'warning' and suite like 'landing.%' order by 1"
        ).fetchall()
        assert warnings == [
            (
                "landing.document_db.nhiem_vu",
                "deadline_not_before_assignment",
                "document_db/nhiem_vu/batch=20241231234500_20250201000000",
            ),
            ("landing.finance.thu_ngan_sach.month_on_month", "revenue_not_collapsed", "thu_ngan_sach_202503.csv"),
        ]
        critical = con.execute("select count(*) from ops.quality_results where severity = 'critical'").fetchone()[0]
        assert critical == 0
    # No file was refused, and nothing personal left the dossier API raw.
    assert not (paths.quarantine / "finance").exists()
    landed_text = "\n".join(p.read_text(errors="replace") for p in paths.quarantine.rglob("*.jsonl"))
    assert "Nguyễn Văn" not in landed_text and "@example.vn" not in landed_text
