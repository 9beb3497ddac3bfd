"""Criterion 766.2.1 end to end, against numbers worked out by hand (METRICS.md §2–4).

Fixture: 25 dossiers of 2024 over units S01 (department), H01 (district), S02 (department), X99 (not in
don_vi) and T01 (the province itself). as_of = 2024-06-15 12:00 (D06's update, the newest change), so
June, Q2 and 2024 are running periods evaluated at as_of; January–May and Q1 are closed, each with
T = the first instant of the next day after the period.

Each dossier and its class per month (E early, O on time, L late, PO pending on time, PL pending late,
U unclassified; wdl = working days late):
  S01  D01 received 04-01, due 04-10, finished 04-05 ................ Apr E  (older version in batch b1)
       D02 due 04-12 17:00, finished 04-12 16:00 .................... Apr O
       D03 finished exactly at due 04-15 17:00:00 ................... Apr O
       D04 finished one second after due 04-15 17:00:01 ............. Apr L wdl 0
       D05 due Fri 04-26 17:00, finished Mon 05-06 ................... Apr PL wdl 0 (29/4–1/5 off),
                                                                        May L wdl 4 (2, 3, Sat 4 make-up, 6 May)
       D06 received 06-10, due 06-20, unfinished .................... Jun PO
       D07 received 05-20, due Mon 06-03, unfinished ................ May PO, Jun PL wdl 9
       D08 withdrawn (7) ............................................ never counted
       D10 one closed request 05-06 09:00–05-09 09:00 (3 days), finished 05-13 10:00, due 05-10 17:00:
           effective finish 05-10 10:00 ................................ May O (late without the pause)
       D11 two supplement requests, finished 05-15, due 05-31 ....... May L wdl 0
       D12 status 9, no NgayKetThucXuLy: earliest status-9 event (after its correction) 04-18 15:00,
           due 04-19 ................................................... Apr E
       D13 status 8: latest status-8 event 04-25 09:00, due Wed 04-24 .. Apr L wdl 1
       D23 status 4 but NgayKetThucXuLy 05-14 10:00, due 05-14 17:00 . May O
  H01  D14 received 05-20, due Fri 05-31 17:00 (last day of May), unfinished
                                                                     .. May PL wdl 0, Jun PL wdl 10
       D15 received 01-15, due 02-20, finished 05-08 ................ Jan PO, Feb PL wdl 7, Mar PL, Apr PL, May L
       D16 due Wed 02-07, finished Thu 02-15 (Tết 8–14 Feb off) ....... Jan PO, Feb L wdl 1
       D17 single request 05-15 10:00 never answered, due 05-20 ..... May E, Jun E (judged at the request)
       D18 single request 04-25 10:00, answered 05-03 09:00, finished 05-07 10:00, due Fri 04-26 17:00:
           Apr: request open at T -> judged at 04-25 ................... Apr E
           May: pause 7d23h -> effective finish 04-29 11:00 (a day off) . May L wdl 0
       D19 received 06-03, due 06-14, finished 06-05 ................ Jun E
       D20 no due date ............................................. May U, Jun U (row exists, not counted)
  X99  D21 received 05-15, due 05-25, finished 05-24 ................ May E (unit missing from don_vi)
  S02  D24 withdrawn (7) ............................................ never counted
       D25 received 05-22, no due date, unfinished .................. May U, Jun U -> rows with 0/0
  T01  D22 received 04-16, due 04-23 17:00, finished 04-23 18:00 .... Apr L (province roll-up only)
  D09 refused at intake (3, S01) and GHOST (a crashed writer's debris) are never read or counted.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from dbt_support import Warehouse, build_warehouse, ts, write_batch

AS_OF = datetime(2024, 6, 15, 12, 0, 0)


def dossier(
    dossier_id: str,
    unit: str,
    status: int,
    received: str | None,
    due: str | None,
    finished: str | None = None,
    *,
    updated: str = "2024-06-01 00:00",
    supplements: list[tuple[str | None, str | None]] | None = None,
    batch: str = "b2",
) -> dict:
    return {
        "MaHoSo": dossier_id,
        "MaDonVi": unit,
        "MaTTHC": "1.000001",
        "KenhThucHien": None,
        "LoaiDoiTuong": 1,
        "NgayNopHoSo": ts(received),
        "NgayTiepNhan": ts(received),
        "NgayHenTra": ts(due),
        "NgayKetThucXuLy": ts(finished),
        "TrangThaiHoSo": status,
        "DanhSachHoSoBoSung": [
            {"NgayYeuCauBoSung": ts(req), "NgayTiepNhanBoSung": ts(sup)} for req, sup in supplements or []
        ],
        "NgayCapNhat": ts(updated),
        "_batch_id": batch,
    }


def event(dossier_id: str, seq: int, status: int, processed: str, recorded: str | None = None) -> dict:
    return {
        "MaHoSo": dossier_id,
        "STT": seq,
        "TrangThai": status,
        "ThoiDiemXuLy": ts(processed),
        "ThoiDiemGhiNhan": ts(recorded or processed),
        "_batch_id": "e1",
    }


DOSSIERS_B1 = [
    # An older version of D01, superseded by the later NgayCapNhat in batch b2.
    dossier("D01", "S01", 4, "2024-04-01 08:00", "2024-04-10 17:00", updated="2024-04-02 09:00", batch="b1"),
]

DOSSIERS_B2 = [
    dossier("D01", "S01", 10, "2024-04-01 08:00", "2024-04-10 17:00", "2024-04-05 10:00"),
    dossier("D02", "S01", 9, "2024-04-02 08:00", "2024-04-12 17:00", "2024-04-12 16:00"),
    dossier("D03", "S01", 9, "2024-04-03 08:00", "2024-04-15 17:00:00", "2024-04-15 17:00:00"),
    dossier("D04", "S01", 9, "2024-04-03 09:00", "2024-04-15 17:00:00", "2024-04-15 17:00:01"),
    dossier("D05", "S01", 10, "2024-04-22 08:00", "2024-04-26 17:00", "2024-05-06 10:00"),
    dossier("D06", "S01", 4, "2024-06-10 08:00", "2024-06-20 17:00", updated="2024-06-15 12:00"),
    dossier("D07", "S01", 4, "2024-05-20 08:00", "2024-06-03 17:00"),
    dossier("D08", "S01", 7, "2024-04-05 08:00", "2024-04-20 17:00"),
    dossier("D09", "S01", 3, None, None),
    dossier(
        "D10",
        "S01",
        10,
        "2024-05-02 08:00",
        "2024-05-10 17:00",
        "2024-05-13 10:00",
        supplements=[("2024-05-06 09:00", "2024-05-09 09:00")],
    ),
    dossier(
        "D11",
        "S01",
        10,
        "2024-05-03 08:00",
        "2024-05-31 17:00",
        "2024-05-15 10:00",
        supplements=[("2024-05-06 09:00", "2024-05-07 09:00"), ("2024-05-08 09:00", "2024-05-09 09:00")],
    ),
    dossier("D12", "S01", 9, "2024-04-08 08:00", "2024-04-19 17:00"),
    dossier("D13", "S01", 8, "2024-04-10 08:00", "2024-04-24 17:00"),
    dossier("D14", "H01", 4, "2024-05-20 08:00", "2024-05-31 17:00"),
    dossier("D15", "H01", 10, "2024-01-15 08:00", "2024-02-20 17:00", "2024-05-08 10:00"),
    dossier("D16", "H01", 10, "2024-01-25 08:00", "2024-02-07 17:00", "2024-02-15 10:00"),
    dossier("D17", "H01", 5, "2024-05-06 08:00", "2024-05-20 17:00", supplements=[("2024-05-15 10:00", None)]),
    dossier(
        "D18",
        "H01",
        10,
        "2024-04-15 08:00",
        "2024-04-26 17:00",
        "2024-05-07 10:00",
        supplements=[("2024-04-25 10:00", "2024-05-03 09:00")],
    ),
    dossier("D19", "H01", 10, "2024-06-03 08:00", "2024-06-14 17:00", "2024-06-05 10:00"),
    dossier("D20", "H01", 4, "2024-05-10 08:00", None),
    dossier("D21", "X99", 10, "2024-05-15 08:00", "2024-05-25 17:00", "2024-05-24 10:00"),
    dossier("D22", "T01", 10, "2024-04-16 08:00", "2024-04-23 17:00", "2024-04-23 18:00"),
    dossier("D23", "S01", 4, "2024-05-07 08:00", "2024-05-14 17:00", "2024-05-14 10:00"),
    dossier("D24", "S02", 7, "2024-05-21 08:00", "2024-05-30 17:00"),
    dossier("D25", "S02", 4, "2024-05-22 08:00", None),
]

EVENTS = [
    event("D12", 1, 2, "2024-04-08 08:00"),
    # STT 2 was first recorded as processed on 04-19, then corrected to 04-18 15:00: the correction wins.
    event("D12", 2, 9, "2024-04-19 09:00", "2024-04-19 09:00"),
    event("D12", 2, 9, "2024-04-18 15:00", "2024-04-19 10:00"),
    event("D12", 3, 9, "2024-04-22 08:00"),  # a later status 9: not the earliest
    event("D13", 1, 2, "2024-04-10 08:00"),
    event("D13", 2, 8, "2024-04-20 10:00"),
    event("D13", 3, 8, "2024-04-25 09:00"),  # the latest status 8 decides
]

UNITS = [
    ("T01", "Tỉnh Hòa Bình", "tinh", None),
    ("S01", "Sở Tư pháp", "so", "T01"),
    ("S02", "Sở Y tế", "so", "T01"),
    ("H01", "Huyện Lạc Sơn", "huyen", "T01"),
]


def _units(month: str, rename: str = "") -> list[dict]:
    return [
        {
            "ma_don_vi": code,
            "ten_don_vi": name + rename,
            "cap": cap,
            "ma_don_vi_cha": parent,
            "hieu_luc_tu": date(2008, 8, 1),
            "hieu_luc_den": date(2025, 6, 30) if cap == "huyen" else None,
            "ma_don_vi_ke_thua": None,
            "_snapshot_month": month,
            "_source_file": f"don_vi_{month}.csv",
        }
        for code, name, cap, parent in UNITS
    ]


def _land(data_dir: Path) -> None:
    write_batch(data_dir, "dossier_api", "dossiers", "b1", DOSSIERS_B1)
    write_batch(data_dir, "dossier_api", "dossiers", "b2", DOSSIERS_B2)
    ghost = dossier("GHOST", "S01", 10, "2024-04-01 08:00", "2024-04-02 17:00", "2024-04-01 09:00", batch="b3")
    write_batch(data_dir, "dossier_api", "dossiers", "b3", [ghost], commit=False)
    write_batch(data_dir, "dossier_api", "dossier_events", "e1", EVENTS)
    # Only the newest snapshot month is read: the older one carries outdated names.
    write_batch(data_dir, "reference", "don_vi", "202401", _units("202401", " (cũ)"))
    write_batch(data_dir, "reference", "don_vi", "202405", _units("202405"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(tmp_path_factory, "wh766", _land)


def score(wh: Warehouse, grain: str, start: date, unit: str) -> dict | None:
    rows = wh.dicts(
        "select * from marts.criteria_scores where criterion_code = '766.2.1' "
        "and period_grain = ? and period_start = ? and unit_code = ?",
        [grain, start, unit],
    )
    assert len(rows) <= 1
    return rows[0] if rows else None


# (grain, period start, unit, numerator, denominator); rate = n/d, points = 20 × rate (target 1).
EXPECTED = [
    # April: S01 E D01 D12, O D02 D03, L D04 D13, PL D05 -> 4/7.
    ("month", date(2024, 4, 1), "S01", 4, 7),
    # April: H01 E D18 (open request at T), PL D15 -> 1/2.
    ("month", date(2024, 4, 1), "H01", 1, 2),
    # April province: S01 + H01 + D22 (late, coded to the province) -> 5/10.
    ("month", date(2024, 4, 1), "T01", 5, 10),
    # May: S01 L D05, PO D07, O D10, L D11, O D23 -> 3/5.
    ("month", date(2024, 5, 1), "S01", 3, 5),
    # May: H01 L D15, L D18, PL D14, E D17; D20 unclassified -> 1/4.
    ("month", date(2024, 5, 1), "H01", 1, 4),
    ("month", date(2024, 5, 1), "X99", 1, 1),
    ("month", date(2024, 5, 1), "S02", 0, 0),
    ("month", date(2024, 5, 1), "T01", 5, 10),
    # June (running, T = as_of): S01 PO D06, PL D07; H01 PL D14, E D17, E D19.
    ("month", date(2024, 6, 1), "S01", 1, 2),
    ("month", date(2024, 6, 1), "H01", 2, 3),
    ("month", date(2024, 6, 1), "S02", 0, 0),
    ("month", date(2024, 6, 1), "T01", 3, 5),
    # January–March: only H01's D15 and D16.
    ("month", date(2024, 1, 1), "H01", 2, 2),
    ("month", date(2024, 2, 1), "H01", 0, 2),
    ("month", date(2024, 3, 1), "T01", 0, 1),
    # Q1 (closed, T = 04-01): D15 PL, D16 L.
    ("quarter", date(2024, 1, 1), "T01", 0, 2),
    # Q2 (running, T = as_of): S01 E D01 D12, O D02 D03 D10 D23, PO D06; L D04 D05 D11 D13, PL D07.
    ("quarter", date(2024, 4, 1), "S01", 7, 12),
    # Q2: H01 E D17 D19; L D15 D18, PL D14.
    ("quarter", date(2024, 4, 1), "H01", 2, 5),
    ("quarter", date(2024, 4, 1), "X99", 1, 1),
    ("quarter", date(2024, 4, 1), "T01", 10, 19),
    # 2024: Q2 plus D16 (late) for H01.
    ("year", date(2024, 1, 1), "S01", 7, 12),
    ("year", date(2024, 1, 1), "H01", 2, 6),
    ("year", date(2024, 1, 1), "T01", 10, 20),
]


@pytest.mark.parametrize(("grain", "start", "unit", "numerator", "denominator"), EXPECTED)
def test_hand_computed_scores(
    warehouse: Warehouse, grain: str, start: date, unit: str, numerator: int, denominator: int
) -> None:
    row = score(warehouse, grain, start, unit)
    assert row is not None
    assert (row["numerator"], row["denominator"]) == (numerator, denominator)
    if denominator == 0:
        # not_applicable: no rate, no points.
        assert row["rate"] is None and row["points"] is None
    else:
        assert row["rate"] == pytest.approx(numerator / denominator)
        assert row["points"] == pytest.approx(20 * numerator / denominator)
    assert row["max_points"] == 20 and row["target"] == 1 and row["rule_version"] == "2022.1"


def test_rows_that_must_not_exist(warehouse: Warehouse) -> None:
    # S01 had nothing received before April; X99's only dossier finished in May; the province code
    # never gets a unit row of its own beside the roll-up; withdrawn/refused dossiers create no rows.
    assert score(warehouse, "month", date(2024, 3, 1), "S01") is None
    assert score(warehouse, "month", date(2024, 6, 1), "X99") is None
    assert score(warehouse, "month", date(2024, 4, 1), "S02") is None
    assert (
        warehouse.scalar(
            "select count(*) from marts.criteria_scores where unit_code = 'T01' and unit_level != 'province'"
        )
        == 0
    )


def test_row_attributes(warehouse: Warehouse) -> None:
    row = score(warehouse, "month", date(2024, 4, 1), "S01")
    assert row["unit_name"] == "Sở Tư pháp"  # newest don_vi snapshot
    assert row["unit_level"] == "department"
    assert row["criterion_name_vi"] == "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn"
    assert row["criterion_group"] == "766.2"
    assert row["period_end"] == date(2024, 4, 30)
    assert row["is_period_closed"] is True
    assert row["as_of"] == AS_OF
    province = score(warehouse, "month", date(2024, 4, 1), "T01")
    assert (province["unit_name"], province["unit_level"]) == ("Tỉnh Hòa Bình", "province")
    unknown = score(warehouse, "month", date(2024, 5, 1), "X99")
    assert (unknown["unit_name"], unknown["unit_level"]) == (None, None)
    assert score(warehouse, "month", date(2024, 5, 1), "H01")["unit_level"] == "district"


def test_periods(warehouse: Warehouse) -> None:
    rows = warehouse.rows(
        "select period_grain, period_start, period_end, is_period_closed, evaluated_at "
        "from intermediate.int_periods order by period_grain, period_start"
    )
    assert rows == [
        ("month", date(2024, 1, 1), date(2024, 1, 31), True, datetime(2024, 2, 1)),
        ("month", date(2024, 2, 1), date(2024, 2, 29), True, datetime(2024, 3, 1)),
        ("month", date(2024, 3, 1), date(2024, 3, 31), True, datetime(2024, 4, 1)),
        ("month", date(2024, 4, 1), date(2024, 4, 30), True, datetime(2024, 5, 1)),
        ("month", date(2024, 5, 1), date(2024, 5, 31), True, datetime(2024, 6, 1)),
        ("month", date(2024, 6, 1), date(2024, 6, 30), False, AS_OF),
        ("quarter", date(2024, 1, 1), date(2024, 3, 31), True, datetime(2024, 4, 1)),
        ("quarter", date(2024, 4, 1), date(2024, 6, 30), False, AS_OF),
        ("year", date(2024, 1, 1), date(2024, 12, 31), False, AS_OF),
    ]


# (dossier, month start, class, working days late)
CLASSES = [
    ("D01", date(2024, 4, 1), "early", 0),
    ("D03", date(2024, 4, 1), "on_time", 0),
    ("D04", date(2024, 4, 1), "late", 0),
    ("D05", date(2024, 4, 1), "pending_late", 0),
    ("D05", date(2024, 5, 1), "late", 4),
    ("D07", date(2024, 5, 1), "pending_on_time", 0),
    ("D07", date(2024, 6, 1), "pending_late", 9),
    ("D10", date(2024, 5, 1), "on_time", 0),
    ("D11", date(2024, 5, 1), "late", 0),
    ("D12", date(2024, 4, 1), "early", 0),
    ("D13", date(2024, 4, 1), "late", 1),
    ("D14", date(2024, 5, 1), "pending_late", 0),
    ("D14", date(2024, 6, 1), "pending_late", 10),
    ("D15", date(2024, 1, 1), "pending_on_time", 0),
    ("D15", date(2024, 2, 1), "pending_late", 7),
    ("D15", date(2024, 5, 1), "late", None),
    ("D16", date(2024, 2, 1), "late", 1),
    ("D17", date(2024, 5, 1), "early", 0),
    ("D17", date(2024, 6, 1), "early", 0),
    ("D18", date(2024, 4, 1), "early", 0),
    ("D18", date(2024, 5, 1), "late", 0),
    ("D20", date(2024, 5, 1), "unclassified", None),
    ("D23", date(2024, 5, 1), "on_time", 0),
]


@pytest.mark.parametrize(("dossier_id", "start", "timeliness", "working_days_late"), CLASSES)
def test_dossier_classes(
    warehouse: Warehouse, dossier_id: str, start: date, timeliness: str, working_days_late: int | None
) -> None:
    rows = warehouse.rows(
        "select timeliness, working_days_late from intermediate.int_dossier_timeliness "
        "where dossier_id = ? and period_grain = 'month' and period_start = ?",
        [dossier_id, start],
    )
    assert len(rows) == 1
    assert rows[0][0] == timeliness
    if working_days_late is not None:
        assert rows[0][1] == working_days_late


def test_finish_times_from_events_and_pauses(warehouse: Warehouse) -> None:
    facts = {
        r["dossier_id"]: r
        for r in warehouse.dicts(
            "select dossier_id, finished_at, effective_finish, finishing_event_seq, supplement_pause "
            "from intermediate.int_dossier_lifecycle"
        )
    }
    assert facts["D12"]["finished_at"] == datetime(2024, 4, 18, 15, 0)
    assert facts["D12"]["finishing_event_seq"] == 2
    assert facts["D13"]["finished_at"] == datetime(2024, 4, 25, 9, 0)
    assert facts["D13"]["finishing_event_seq"] == 3
    assert facts["D10"]["effective_finish"] == datetime(2024, 5, 10, 10, 0)
    assert facts["D18"]["effective_finish"] == datetime(2024, 4, 29, 11, 0)
    assert facts["D11"]["supplement_pause"] is None  # two requests: no pause
    assert facts["D23"]["finished_at"] == datetime(2024, 5, 14, 10, 0)


def test_excluded_and_unread_dossiers(warehouse: Warehouse) -> None:
    kept = {r[0] for r in warehouse.rows("select dossier_id from intermediate.int_dossiers")}
    assert "GHOST" not in kept and len(kept) == 25
    in_pool = {r[0] for r in warehouse.rows("select dossier_id from intermediate.int_dossier_timeliness")}
    assert in_pool.isdisjoint({"D08", "D09", "D24"})
    d01 = warehouse.dicts("select status, batch_id, channel from intermediate.int_dossiers where dossier_id = 'D01'")
    assert d01 == [{"status": 10, "batch_id": "b2", "channel": 1}]


def test_as_of_is_the_newest_source_change(warehouse: Warehouse) -> None:
    assert warehouse.scalar("select as_of from intermediate.int_as_of") == AS_OF
