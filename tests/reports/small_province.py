"""A province small enough to compute by hand, published through the pipeline's own build steps.

Landing batches are written as extraction writes them; then the build DAG's task callables run (dbt
build, quality gate, publish) and the reports DAG's (the workbook and the HTML report), exactly as in
production. Everything a test expects of it is typed out below, from the rules of METRICS.md, never
read back from the marts.

Units (the don_vi snapshot as sent; validity hieu_luc_tu .. hieu_luc_den):
  T01 province 2008-08-01 ..              S01 department 2008-08-01 ..
  H01 district 2008-08-01 .. 2025-06-30 (no successor)
  X01 commune  2008-08-01 .. 2025-06-30 (merged into X10)   X02 commune 2008-08-01 .. 2025-06-30 (into X10)
  X03 commune  2008-08-01 ..              X10, X11 communes 2025-07-01 ..   X12 commune 2025-08-15 ..
X10 carries the name X01 had ("UBND xã Pà Mường"): the old and the new commune of one name.

One procedure P1 (5 working days, online 'toan_trinh', no fee, result not a document). Every dossier is
in person, from a citizen without VNeID, with one attached component that is not digitised, no fee, no
result file, not rated. as_of = 2025-10-15 12:00 (x3c's update): September 2025 is the last closed month.

September 2025 (a commune of n dossiers received in the month, k synced to the national portal, m within
the deadline scores 6k/n + 20m/n + 4 (766.3.1) + 6·min(1, (m/n)/0.9), of a covered maximum of 56):
  X03 x1, x2 (both synced, early / on time) ........ 36 → rank 1 of the communes
  X10 t2 (synced, on time), t3 (on time) ............ 33 → rank 2
  X12 z2 (on time, not synced); z1 in August ......... 30 → rank 3
  X11 y1 (synced, on time), y2 (synced, late) ....... 23.33 → rank 4
  S01 e1 (synced, on time) .......................... 36 → rank 1 of the departments
  X01 r1 received in June, early in September: 766.2.1 20, 766.3.1 4, 766.6.3 6 → 30 of 30 = 100 %, ahead of
      every commune in force — and not ranked: it ceased on 2025-06-30 (merged into X10)
  H01 h3 received in June, early in September: residual figures, not ranked (no district is in force)
  X02 q1 in March only: a row in the year 2025, none in September
  X99 u1 (early): a unit code the don_vi snapshot does not know — no name, no level, not ranked, apart
So September ranks 6 units (province 1, department 1, communes 4) and shows 2 ceased units and 1 unknown
unit code apart.

The lists at T = as_of (Wednesday 2025-10-15 12:00; October 2025 has no day off):
  overdue   o1 (X10) due Wed 10-08 17:00, unfinished: pending_late, 5 working days (10-09 .. 10-15)
  due soon  d1 (X11) due Thu 10-16 17:00: 1 working day left; x3c due Mon 10-20 is the 3rd working day: not
  violations (received since 2025-01-01), each late_without_timely_apology (no apology letter anywhere):
            h2 (H01, finished 07-20, due 07-02), y2 (X11, finished 09-23, due 09-19), o1 (X10, pending_late)
Nothing in it is an anomaly: every procedure is in the catalogue and no dossier has a supplement request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from parmetrics.config import Paths
from parmetrics.landing.schemas import LANDING_SCHEMAS
from parmetrics.landing.writer import BatchWriter
from tests.environ import environ

CLOCK = "2025-10-15T18:00:00"
SEPTEMBER = date(2025, 9, 1)
AS_OF = datetime(2025, 10, 15, 12, 0)

UNITS = [
    # code, name, cap, parent, valid from, valid to, successor
    ("T01", "Tỉnh Phú Thọ", "tinh", None, date(2008, 8, 1), None, None),
    ("S01", "Sở Nội vụ", "so", "T01", date(2008, 8, 1), None, None),
    ("H01", "UBND huyện Lạc Sơn", "huyen", "T01", date(2008, 8, 1), date(2025, 6, 30), None),
    ("X01", "UBND xã Pà Mường", "xa", "H01", date(2008, 8, 1), date(2025, 6, 30), "X10"),
    ("X02", "UBND xã Vụ Bản", "xa", "H01", date(2008, 8, 1), date(2025, 6, 30), "X10"),
    ("X03", "UBND xã Tân Lập", "xa", "T01", date(2008, 8, 1), None, None),
    ("X10", "UBND xã Pà Mường", "xa", "T01", date(2025, 7, 1), None, None),
    ("X11", "UBND xã Quyết Thắng", "xa", "T01", date(2025, 7, 1), None, None),
    ("X12", "UBND xã Mường Động", "xa", "T01", date(2025, 8, 15), None, None),
]

# What the tests expect, by hand (the module docstring says why).
RANKED = {"T01": 1, "S01": 1, "X03": 1, "X10": 2, "X12": 3, "X11": 4}
CEASED_IN_SEPTEMBER = {"X01", "H01"}
CEASED_IN_YEAR = {"X01", "X02", "H01"}
UNKNOWN = {"X99"}
SUCCESSOR = {"X01": "UBND xã Pà Mường (X10)"}
OVERDUE = {"o1": ("X10", 5)}
DUE_SOON = {"d1": ("X11", 1)}
VIOLATIONS = {
    ("h2", "late_without_timely_apology"),
    ("y2", "late_without_timely_apology"),
    ("o1", "late_without_timely_apology"),
}


def _ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def dossier(
    code: str, unit: str, received: str, due: str, finished: str | None, *, synced: bool = False, updated: str = ""
) -> dict[str, Any]:
    return {
        "MaHoSo": code,
        "MaDonVi": unit,
        "MaTTHC": "P1",
        "KenhThucHien": 1,
        "LoaiDoiTuong": 1,
        "applicant_key": hashlib.sha256(code.encode()).hexdigest(),  # the shape of a keyed hash
        "NgayNopHoSo": _ts(received),
        "NgayTiepNhan": _ts(received),
        "NgayHenTra": _ts(due),
        "NgayKetThucXuLy": _ts(finished),
        "NgayTra": None,
        "TrangThaiHoSo": 10 if finished else 4,
        "DuocThanhToanTrucTuyen": 0,
        "DanhSachLePhi": [],
        "TaiLieuNop": [
            {"MaThanhPhanHoSo": "TP", "DuongDanTaiTepTin": "f", "DuocSoHoa": 0, "TaiSuDung": 0, "DuocLayTuKhoDMQG": 0}
        ],
        "DanhSachGiayToKetQua": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachPhieuXinLoi": [],
        "MucDoHaiLong": None,
        "TaiKhoanDuocXacThucVoiVNeID": 0,
        "NgayDongBoDVCQG": _ts(received) if synced else None,
        "NgayCapNhat": _ts(updated or finished or received),
        "_batch_id": "b1",
    }


DOSSIERS = [
    dossier("h1", "H01", "2024-11-04 08:00", "2024-11-08 17:00", "2024-11-07 10:00"),
    dossier("h2", "H01", "2025-06-25 08:00", "2025-07-02 17:00", "2025-07-20 10:00"),
    dossier("h3", "H01", "2025-06-26 08:00", "2025-09-30 17:00", "2025-09-25 10:00"),
    dossier("r1", "X01", "2025-06-20 08:00", "2025-09-12 17:00", "2025-09-10 10:00", synced=True),
    dossier("q1", "X02", "2025-03-10 08:00", "2025-03-14 17:00", "2025-03-13 10:00"),
    dossier("t1", "X10", "2025-07-07 08:00", "2025-07-11 17:00", "2025-07-10 10:00", synced=True),
    dossier("z1", "X12", "2025-08-18 08:00", "2025-08-22 17:00", "2025-08-22 10:00", synced=True),
    dossier("x1", "X03", "2025-09-08 08:00", "2025-09-12 17:00", "2025-09-11 10:00", synced=True),
    dossier("x2", "X03", "2025-09-15 08:00", "2025-09-19 17:00", "2025-09-19 10:00", synced=True),
    dossier("t2", "X10", "2025-09-08 08:00", "2025-09-12 17:00", "2025-09-12 10:00", synced=True),
    dossier("t3", "X10", "2025-09-15 08:00", "2025-09-19 17:00", "2025-09-19 10:00"),
    dossier("y1", "X11", "2025-09-08 08:00", "2025-09-12 17:00", "2025-09-12 10:00", synced=True),
    dossier("y2", "X11", "2025-09-15 08:00", "2025-09-19 17:00", "2025-09-23 10:00", synced=True),
    dossier("z2", "X12", "2025-09-15 08:00", "2025-09-19 17:00", "2025-09-19 10:00"),
    dossier("e1", "S01", "2025-09-15 08:00", "2025-09-19 17:00", "2025-09-19 10:00", synced=True),
    dossier("u1", "X99", "2025-09-16 08:00", "2025-09-22 17:00", "2025-09-19 10:00"),
    dossier("o1", "X10", "2025-10-01 08:00", "2025-10-08 17:00", None),
    dossier("d1", "X11", "2025-10-14 08:00", "2025-10-16 17:00", None),
    dossier("x3c", "X03", "2025-10-14 08:00", "2025-10-20 17:00", None, updated="2025-10-15 12:00"),
]

PROCEDURE = {
    "ma_tthc": "P1",
    "ten_tthc": "Thủ tục P1",
    "cap_thuc_hien": "xa",
    "linh_vuc": "Hộ tịch",
    "thoi_han_ngay_lam_viec": 5,
    "muc_do_dvc": "toan_trinh",
    "du_dieu_kien_toan_trinh": True,
    "co_phi_le_phi": False,
    "ket_qua_la_giay_to": False,
    "ngay_qd_cong_bo": date(2019, 1, 2),
    "ngay_hieu_luc": date(2020, 1, 1),
    "ngay_het_hieu_luc": None,
    "ngay_cong_khai_csdl": date(2019, 1, 3),
    "day_du_bo_phan": True,
    "_snapshot_month": "202401",
    "_source_file": "thu_tuc_hanh_chinh_202401.csv",
}


def small_env(paths: Paths):
    """The settings the task callables read: this province's data directory and its clock."""
    return environ(PARMETRICS_DATA_DIR=str(paths.root), PARMETRICS_CLOCK=CLOCK)


def land(paths: Paths, source: str, dataset: str, batch_id: str, rows: Iterable[Mapping[str, Any]]) -> None:
    writer = BatchWriter(
        dataset_dir=paths.dataset_landing(source, dataset),
        batch_id=batch_id,
        schema=LANDING_SCHEMAS[(source, dataset)],
    )
    writer.write_rows(rows)
    writer.commit()


def build_small_province(root: Path) -> tuple[Paths, dict[str, Any]]:
    """Land, build, gate, publish and report the province under ``root``; (paths, the publication's files)."""
    from parmetrics.orchestration import build

    paths = Paths(root / "data")
    units = [
        {
            "ma_don_vi": code,
            "ten_don_vi": name,
            "cap": cap,
            "ma_don_vi_cha": parent,
            "hieu_luc_tu": valid_from,
            "hieu_luc_den": valid_to,
            "ma_don_vi_ke_thua": successor,
            "_snapshot_month": "202508",
            "_source_file": "don_vi_202508.csv",
        }
        for code, name, cap, parent, valid_from, valid_to, successor in UNITS
    ]
    land(paths, "reference", "don_vi", "202508", units)
    land(paths, "reference", "thu_tuc_hanh_chinh", "202401", [PROCEDURE])
    land(paths, "dossier_api", "dossiers", "b1", DOSSIERS)
    with small_env(paths):
        build.dbt_build("small-build")
        build.quality_gate("small-build")
        stamp = build.publish("small-build")["published_at"]
        files = build.write_reports([stamp])[stamp]
    return paths, {"stamp": stamp, **files}
