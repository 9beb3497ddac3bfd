"""criteria_scores_restated: pre-2025-07 commune counts under today's successor commune (domain-notes §h).

Units (newest don_vi snapshot): the province T01; the district H01 (ceased 2025-06-30, no successor);
the department S01; today's commune X01 (from 2025-07-01), which X02 and X03 merged into — and X04,
which had merged into X03 earlier (a chain: X04 -> X03 -> X01); X05, a commune that did not merge.

Dossiers of 2024 (all with NgayHenTra; O on time, L late; on = online), procedure P1 unless noted:
  X02  a1 O on, a2 O on, a3 L           766.2.1 2/3   766.3.3 2/3   online procedures used: P1
  X03  b1 O on, b2 L (P2)               766.2.1 1/2   766.3.3 1/2   online procedures used: P1
  X04  c1 O                             766.2.1 1/1   766.3.3 0/1
  H01  h1 O, h2 L                       never restated
  X05  e1 O                             not merged: unrestated
Restated X01 for 2024: 766.2.1 (2+1+1)/(3+2+1) = 4/6 (not the mean of the rates, 0.722…), points
20 x 4/6; 766.3.3 (2+1+0)/6 = 0.5, points 6 x min(1, 0.5/0.5) = 6; 766.3.2 counts distinct online
procedures across X02, X03 and X04: P1 used online, and P1 and P2 offered online (both toan_trinh),
so 1/2 — summing the predecessors' 1/1, 1/2, 0/1 would give 2/4.
2025-08 (after the reorganisation): X01's own x1 O, and X02's a4 received in June and finished late in
August: the restated X01 row holds both (2 in scope), labelled restated from X02.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from dbt_support import Warehouse, build_warehouse, ts, write_batch


def dossier(dossier_id: str, unit: str, received: str, due: str, finished: str, *, online=False, proc="P1") -> dict:
    return {
        "MaHoSo": dossier_id,
        "MaDonVi": unit,
        "MaTTHC": proc,
        "KenhThucHien": 2 if online else 1,
        "LoaiDoiTuong": 1,
        "NgayNopHoSo": ts(received),
        "NgayTiepNhan": ts(received),
        "NgayHenTra": ts(due),
        "NgayKetThucXuLy": ts(finished),
        "TrangThaiHoSo": 10,
        "NgayCapNhat": ts(finished),
        "_batch_id": "b1",
    }


ON_TIME = ("2024-03-04 08:00", "2024-03-08 17:00", "2024-03-07 10:00")
LATE = ("2024-03-04 08:00", "2024-03-08 17:00", "2024-03-12 10:00")

DOSSIERS = [
    dossier("a1", "X02", *ON_TIME, online=True),
    dossier("a2", "X02", *ON_TIME, online=True),
    dossier("a3", "X02", *LATE),
    dossier("b1", "X03", *ON_TIME, online=True),
    dossier("b2", "X03", *LATE, proc="P2"),
    dossier("c1", "X04", *ON_TIME),
    dossier("h1", "H01", *ON_TIME),
    dossier("h2", "H01", *LATE),
    dossier("e1", "X05", *ON_TIME),
    dossier("x1", "X01", "2025-08-04 08:00", "2025-08-08 17:00", "2025-08-07 10:00"),
    dossier("a4", "X02", "2025-06-16 08:00", "2025-06-20 17:00", "2025-08-05 10:00"),
]

UNITS = [
    ("T01", "Tỉnh Phú Thọ", "tinh", None, None, None),
    ("S01", "Sở Tư pháp", "so", "T01", None, None),
    ("H01", "Huyện Lạc Sơn", "huyen", "T01", None, date(2025, 6, 30)),
    ("X01", "Xã Lạc Sơn Mới", "xa", "T01", None, None),
    ("X02", "Xã Vụ Bản", "xa", "H01", "X01", date(2025, 6, 30)),
    ("X03", "Xã Hương Nhượng", "xa", "H01", "X01", date(2025, 6, 30)),
    ("X04", "Xã Vũ Lâm", "xa", "H01", "X03", date(2019, 12, 31)),
    ("X05", "Xã Tân Lập", "xa", "H01", None, None),
]


def _land(data_dir: Path) -> None:
    write_batch(data_dir, "dossier_api", "dossiers", "b1", DOSSIERS)
    write_batch(
        data_dir,
        "reference",
        "don_vi",
        "202507",
        [
            {
                "ma_don_vi": code,
                "ten_don_vi": name,
                "cap": cap,
                "ma_don_vi_cha": parent,
                "hieu_luc_tu": date(2025, 7, 1) if code == "X01" else date(2008, 8, 1),
                "hieu_luc_den": valid_to,
                "ma_don_vi_ke_thua": successor,
                "_snapshot_month": "202507",
                "_source_file": "don_vi_202507.csv",
            }
            for code, name, cap, parent, successor, valid_to in UNITS
        ],
    )
    procedures = [
        {
            "ma_tthc": code,
            "ten_tthc": "Thủ tục " + code,
            "cap_thuc_hien": "xa",
            "thoi_han_ngay_lam_viec": 5,
            "muc_do_dvc": "toan_trinh",
            "co_phi_le_phi": False,
            "ket_qua_la_giay_to": False,
            "ngay_qd_cong_bo": date(2019, 1, 2),
            "ngay_hieu_luc": date(2020, 1, 1),
            "ngay_cong_khai_csdl": date(2019, 1, 3),
            "day_du_bo_phan": True,
            "_snapshot_month": "202401",
            "_source_file": "thu_tuc_hanh_chinh_202401.csv",
        }
        for code in ("P1", "P2")
    ]
    write_batch(data_dir, "reference", "thu_tuc_hanh_chinh", "202401", procedures)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(tmp_path_factory, "restated", _land)


def restated(wh: Warehouse, grain: str, start: date, unit: str, code: str) -> dict | None:
    rows = wh.dicts(
        "select * from marts.criteria_scores_restated where period_grain = ? and period_start = ? "
        "and unit_code = ? and criterion_code = ?",
        [grain, start, unit, code],
    )
    return rows[0] if rows else None


def historic(wh: Warehouse, grain: str, start: date, code: str) -> dict[str, tuple]:
    return {
        r[0]: (r[1], r[2])
        for r in wh.rows(
            "select unit_code, numerator, denominator from marts.criteria_scores "
            "where period_grain = ? and period_start = ? and criterion_code = ?",
            [grain, start, code],
        )
    }


Y2024 = date(2024, 1, 1)


def test_a_successor_communes_2024_counts_are_the_sums_of_its_predecessors(warehouse: Warehouse) -> None:
    before = historic(warehouse, "year", Y2024, "766.2.1")
    # History stays attributed to the historic units.
    assert {u: before[u] for u in ("X02", "X03", "X04")} == {"X02": (2, 3), "X03": (1, 2), "X04": (1, 1)}
    assert "X01" not in before
    row = restated(warehouse, "year", Y2024, "X01", "766.2.1")
    assert (
        (row["numerator"], row["denominator"])
        == (
            sum(before[u][0] for u in ("X02", "X03", "X04")),
            sum(before[u][1] for u in ("X02", "X03", "X04")),
        )
        == (4, 6)
    )
    # The rate is the ratio of the sums, not the mean of the predecessors' rates.
    assert row["rate"] == pytest.approx(4 / 6)
    assert row["rate"] != pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert row["points"] == pytest.approx(20 * 4 / 6)
    assert (row["is_restated"], row["restated_from_unit_codes"], row["restated_from_unit_count"]) == (
        True,
        "X02,X03,X04",
        3,
    )
    assert (row["unit_name"], row["unit_level"], row["rule_version"]) == ("Xã Lạc Sơn Mới", "commune", "2022.1")
    online = restated(warehouse, "year", Y2024, "X01", "766.3.3")
    assert (online["numerator"], online["denominator"], online["points"]) == (3, 6, 6.0)


def test_procedure_counts_are_distinct_across_the_merged_communes(warehouse: Warehouse) -> None:
    before = historic(warehouse, "year", Y2024, "766.3.2")
    assert {u: before[u] for u in ("X02", "X03", "X04")} == {"X02": (1, 1), "X03": (1, 2), "X04": (0, 1)}
    row = restated(warehouse, "year", Y2024, "X01", "766.3.2")
    assert (row["numerator"], row["denominator"]) == (1, 2)


def test_units_without_a_successor_are_never_restated(warehouse: Warehouse) -> None:
    for unit in ("H01", "X05", "S01"):
        rows = warehouse.rows(
            "select distinct is_restated, restated_from_unit_count from marts.criteria_scores_restated "
            "where unit_code = ?",
            [unit],
        )
        assert rows in ([(False, 0)], []), unit
    district = restated(warehouse, "year", Y2024, "H01", "766.2.1")
    assert (district["numerator"], district["denominator"], district["is_restated"]) == (1, 2, False)
    # Predecessors have no row of their own in the restated view; the province row is carried as is.
    assert (
        warehouse.scalar("select count(*) from marts.criteria_scores_restated where unit_code in ('X02', 'X03', 'X04')")
        == 0
    )
    province = restated(warehouse, "year", Y2024, "T01", "766.2.1")
    assert (province["numerator"], province["denominator"], province["is_restated"]) == (6, 9, False)


def test_after_the_reorganisation_lingering_predecessor_dossiers_fold_in(warehouse: Warehouse) -> None:
    row = restated(warehouse, "month", date(2025, 8, 1), "X01", "766.2.1")
    assert (row["numerator"], row["denominator"], row["restated_from_unit_codes"]) == (1, 2, "X02")
    assert row["rule_version"] == "2025.1"
