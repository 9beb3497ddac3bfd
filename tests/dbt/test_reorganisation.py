"""Rankings after the 2025 reorganisation (METRICS.md §3, §5): only units in force at the period's end are
ranked; a ceased unit keeps its rows, counts and points with a null rank; 766.1.4 has a row per unit.

Units (newest don_vi snapshot; validity hieu_luc_tu .. hieu_luc_den):
  T01 province 2008-08-01 ..            S01 department 2008-08-01 ..
  H01 district 2008-08-01 .. 2025-06-30 (no successor)
  X01 commune  2008-08-01 .. 2025-06-30 (merged into X10)   X02 commune 2008-08-01 .. 2025-06-30 (into X10)
  X03 commune  2008-08-01 ..            X10, X11 communes 2025-07-01 ..   X12 commune 2025-08-15 ..

One procedure P1 (online 'toan_trinh', no fee, result not a document). Every dossier is in person, from a
citizen without VNeID, with one linked component that is not digitised, no fees, no result file, not
rated; D due, F finished, s = synced to the national portal. as_of = 2025-10-15 12:00 (x3c's update):
September and Q3 2025 are closed, 2025 is running.

  H01  h1 received 2024-11-04, D 11-08 17:00, F 11-07 10:00 (early)
       h2 received 2025-06-25, D 07-02 17:00, F 07-20 10:00: pending on time at June's T, late in July
  X01  r1 received 2025-06-20, D 09-12 17:00, F 09-10 10:00, s: the residual dossier of a ceased commune,
       pending through July and August, early in September
  X02  q1 received 2025-03-10, D 03-14 17:00, F 03-13 10:00
  X10  t1 received 2025-07-07, D 07-11 17:00, F 07-10 10:00, s (its first month of validity)
  X12  z1 received 2025-08-18, D 08-22 17:00, F 08-22 10:00, s (validity from the middle of August)
  September 2025, each received and finished in the month:
  X03  x1 s early, x2 s on time                   X10  t2 s on time, t3 on time (not synced)
  X11  y1 s on time, y2 s late                    X12  z2 on time (not synced)
  S01  e1 s on time
  X03  x3c received 2025-10-14, D 10-20, unfinished (moves as_of only)

A commune with n dossiers received in September, k synced and m within the deadline scores (covered max
6 + 20 + 4 + 2 + 6 + 4 + 2 + 4 + 2 + 6 = 56: 766.1.4, 2.1, 3.1, 3.2, 3.3, 5.2, 5.4, 5.5, 5.6, 6.3 — the fee,
e-result and online-only criteria have denominator 0): 766.1.4 6k/n, 766.2.1 20m/n, 766.3.1 4 (P1 online
and handled), 766.6.3 6 x min(1, (m/n)/0.9), the rest 0:
  X03 6 + 20 + 4 + 6 = 36 -> rank 1     X10 3 + 20 + 4 + 6 = 33 -> rank 2
  X12 0 + 20 + 4 + 6 = 30 -> rank 3     X11 6 + 10 + 4 + 6 x 0.5/0.9 = 23.33 -> rank 4
X01 in September: nothing received (766.1.4 0/0 and the received-based criteria not applicable), r1
early: 766.2.1 20, 766.3.1 4 (r1 received in the 12 months), 766.6.3 6 -> 30 of 30 = 100 %, ahead of
every commune in force — and not ranked: it has ceased.
766.1.4 in September: X03 2/2, X10 1/2, X11 2/2, X12 0/1, S01 1/1, X01 0/0; the province 6/8.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from dbt_support import Warehouse, build_warehouse, ts, write_batch

SEP = date(2025, 9, 1)
Q3 = date(2025, 7, 1)
Y2025 = date(2025, 1, 1)


def dossier(code: str, unit: str, received: str, due: str, finished: str | None, *, synced: bool = False) -> dict:
    return {
        "MaHoSo": code,
        "MaDonVi": unit,
        "MaTTHC": "P1",
        "KenhThucHien": 1,
        "LoaiDoiTuong": 1,
        "applicant_key": "k-" + code,
        "NgayNopHoSo": ts(received),
        "NgayTiepNhan": ts(received),
        "NgayHenTra": ts(due),
        "NgayKetThucXuLy": ts(finished),
        "TrangThaiHoSo": 10 if finished else 4,
        "DuocThanhToanTrucTuyen": 0,
        "DanhSachLePhi": [],
        "TaiLieuNop": [
            {
                "MaThanhPhanHoSo": "TP",
                "DuongDanTaiTepTin": "f",
                "DuocSoHoa": 0,
                "TaiSuDung": 0,
                "DuocLayTuKhoDMQG": 0,
            }
        ],
        "DanhSachGiayToKetQua": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachPhieuXinLoi": [],
        "MucDoHaiLong": None,
        "TaiKhoanDuocXacThucVoiVNeID": 0,
        "NgayDongBoDVCQG": ts(received) if synced else None,
        "NgayCapNhat": ts(finished or received),
        "_batch_id": "b1",
    }


DOSSIERS = [
    dossier("h1", "H01", "2024-11-04 08:00", "2024-11-08 17:00", "2024-11-07 10:00"),
    dossier("h2", "H01", "2025-06-25 08:00", "2025-07-02 17:00", "2025-07-20 10:00"),
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
    {**dossier("x3c", "X03", "2025-10-14 08:00", "2025-10-20 17:00", None), "NgayCapNhat": ts("2025-10-15 12:00")},
]

UNITS = [
    # code, name, cap, parent, valid from, valid to, successor
    ("T01", "Tỉnh Phú Thọ", "tinh", None, date(2008, 8, 1), None, None),
    ("S01", "Sở Nội vụ", "so", "T01", date(2008, 8, 1), None, None),
    ("H01", "Huyện Lạc Sơn", "huyen", "T01", date(2008, 8, 1), date(2025, 6, 30), None),
    ("X01", "UBND xã Pà Mường", "xa", "H01", date(2008, 8, 1), date(2025, 6, 30), "X10"),
    ("X02", "Xã Vụ Bản", "xa", "H01", date(2008, 8, 1), date(2025, 6, 30), "X10"),
    ("X03", "Xã Tân Lập", "xa", "T01", date(2008, 8, 1), None, None),
    ("X10", "UBND xã Pà Mường", "xa", "T01", date(2025, 7, 1), None, None),
    ("X11", "Xã Quyết Thắng", "xa", "T01", date(2025, 7, 1), None, None),
    ("X12", "Xã Mường Động", "xa", "T01", date(2025, 8, 15), None, None),
]


def _land(data_dir: Path) -> None:
    write_batch(data_dir, "dossier_api", "dossiers", "b1", DOSSIERS)
    write_batch(
        data_dir,
        "reference",
        "don_vi",
        "202508",
        [
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
        ],
    )
    write_batch(
        data_dir,
        "reference",
        "thu_tuc_hanh_chinh",
        "202401",
        [
            {
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
        ],
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(tmp_path_factory, "reorganisation", _land)


def scorecard(wh: Warehouse, grain: str, start: date) -> dict[str, dict]:
    rows = wh.dicts(
        "select * from marts.scorecard_766 where period_grain = ? and period_start = ?",
        [grain, start],
    )
    return {r["unit_code"]: r for r in rows}


def test_september_ranks_only_the_communes_in_force(warehouse: Warehouse) -> None:
    rows = scorecard(warehouse, "month", SEP)
    communes = {u: (r["rank_in_level"], r["is_unit_in_force"]) for u, r in rows.items() if r["unit_level"] == "commune"}
    assert communes == {
        "X03": (1, True),
        "X10": (2, True),
        "X12": (3, True),
        "X11": (4, True),
        "X01": (None, False),
    }
    assert rows["X03"]["total_points"] == pytest.approx(36.0)
    assert rows["X10"]["total_points"] == pytest.approx(33.0)
    assert rows["X12"]["total_points"] == pytest.approx(30.0)
    assert rows["X11"]["total_points"] == pytest.approx(20 + 6 * 0.5 / 0.9)
    assert {rows[u]["covered_max_points"] for u in ("X03", "X10", "X11", "X12")} == {56.0}
    assert (rows["S01"]["rank_in_level"], rows["T01"]["rank_in_level"]) == (1, 1)


def test_a_ceased_commune_keeps_its_rows_and_points_with_a_null_rank(warehouse: Warehouse) -> None:
    x01 = scorecard(warehouse, "month", SEP)["X01"]
    assert (x01["unit_name"], x01["unit_level"]) == ("UBND xã Pà Mường", "commune")
    assert x01["transparency_points"] is None
    assert x01["progress_points"] == pytest.approx(20.0)
    assert x01["online_service_points"] == pytest.approx(4.0)
    assert x01["satisfaction_points"] == pytest.approx(6.0)
    assert (x01["total_points"], x01["covered_max_points"]) == (pytest.approx(30.0), 30.0)
    assert (x01["rank_in_level"], x01["is_unit_in_force"]) == (None, False)
    counts = dict(
        warehouse.rows(
            "select criterion_code, [numerator, denominator, points] from marts.criteria_scores "
            "where period_grain = 'month' and period_start = ? and unit_code = 'X01' "
            "and criterion_code in ('766.1.4', '766.2.1', '766.6.3')",
            [SEP],
        )
    )
    assert counts == {"766.1.4": [0, 0, None], "766.2.1": [1, 1, 20], "766.6.3": [1, 1, 6]}
    # Its residual dossier keeps it in July and August (pending on time), never ranked.
    for month in (date(2025, 7, 1), date(2025, 8, 1)):
        row = scorecard(warehouse, "month", month)["X01"]
        assert (row["progress_points"], row["rank_in_level"], row["is_unit_in_force"]) == (20.0, None, False)
    # The successor with the same name is ranked; the old commune sits apart.
    assert scorecard(warehouse, "month", SEP)["X10"]["unit_name"] == "UBND xã Pà Mường"


def test_a_ceased_unit_was_ranked_while_it_was_in_force(warehouse: Warehouse) -> None:
    march = scorecard(warehouse, "month", date(2025, 3, 1))
    assert (march["X02"]["rank_in_level"], march["X02"]["is_unit_in_force"]) == (1, True)
    # hieu_luc_den 2025-06-30 is the end of June and of Q2: in force on that day.
    assert scorecard(warehouse, "month", date(2025, 6, 1))["H01"]["rank_in_level"] == 1
    assert scorecard(warehouse, "quarter", date(2025, 4, 1))["H01"]["rank_in_level"] == 1
    assert scorecard(warehouse, "month", date(2025, 6, 1))["X01"]["rank_in_level"] == 1


def test_a_unit_whose_validity_starts_mid_year_is_ranked_from_its_first_period(warehouse: Warehouse) -> None:
    # X10 from 2025-07-01: its first month July, the only commune in force with records there.
    july = scorecard(warehouse, "month", date(2025, 7, 1))
    assert (july["X10"]["rank_in_level"], july["X10"]["is_unit_in_force"]) == (1, True)
    # X12 from 2025-08-15: in force at the end of August (its first month), of Q3 and of 2025.
    assert scorecard(warehouse, "month", date(2025, 8, 1))["X12"]["rank_in_level"] == 1
    assert scorecard(warehouse, "quarter", Q3)["X12"]["rank_in_level"] is not None
    assert scorecard(warehouse, "year", Y2025)["X12"]["rank_in_level"] is not None
    assert "X12" not in scorecard(warehouse, "month", date(2025, 7, 1))


def test_a_district_after_2025_06_30_is_never_ranked(warehouse: Warehouse) -> None:
    after = warehouse.rows(
        "select period_grain, period_start, rank_in_level, is_unit_in_force from marts.scorecard_766 "
        "where unit_level = 'district' and period_end > '2025-06-30' order by 1, 2"
    )
    # h2 keeps H01 in July (late), Q3 and 2025, each unranked.
    assert after == [
        ("month", date(2025, 7, 1), None, False),
        ("quarter", date(2025, 7, 1), None, False),
        ("year", date(2025, 1, 1), None, False),
    ]
    # In 2024 the district was in force and ranked.
    assert scorecard(warehouse, "year", date(2024, 1, 1))["H01"]["rank_in_level"] == 1


def test_par_scorecard_ranks_only_units_in_force_at_the_year_end(warehouse: Warehouse) -> None:
    rows = {
        (r[0], r[1]): (r[2], r[3])
        for r in warehouse.rows("select year, unit_code, rank_in_level, is_unit_in_force from marts.par_scorecard")
    }
    assert rows[(2024, "H01")] == (1, True)
    for unit in ("H01", "X01", "X02"):
        assert rows[(2025, unit)] == (None, False), unit
    assert all(rows[(2025, u)][1] and rows[(2025, u)][0] is not None for u in ("X03", "X10", "X11", "X12"))


# 766.1.4 per unit for September: (numerator, denominator, points = 6 x rate).
SYNCED_SEPTEMBER = {
    "X03": (2, 2, 6.0),
    "X10": (1, 2, 3.0),
    "X11": (2, 2, 6.0),
    "X12": (0, 1, 0.0),
    "S01": (1, 1, 6.0),
    "X01": (0, 0, None),
    "T01": (6, 8, 4.5),
}


def test_766_1_4_has_a_row_per_unit_with_hand_computed_counts(warehouse: Warehouse) -> None:
    got = {
        r[0]: (r[1], r[2], r[3])
        for r in warehouse.rows(
            "select unit_code, numerator, denominator, points from marts.criteria_scores "
            "where criterion_code = '766.1.4' and period_grain = 'month' and period_start = ?",
            [SEP],
        )
    }
    assert got == {u: (n, d, p if p is None else pytest.approx(p)) for u, (n, d, p) in SYNCED_SEPTEMBER.items()}
    # Q3 2025 for X10: t1 (s), t2 (s), t3 -> 2/3.
    q3 = warehouse.rows(
        "select numerator, denominator, max_points, rule_version from marts.criteria_scores "
        "where criterion_code = '766.1.4' and period_grain = 'quarter' and period_start = ? and unit_code = 'X10'",
        [Q3],
    )
    assert q3 == [(2.0, 3.0, 6.0, "2025.1")]
