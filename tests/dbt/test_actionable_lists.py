"""The actionable lists at T = as_of (METRICS.md §7): overdue and due-soon dossiers follow the §2
classification at T, every list carries the dossier number, and the due-soon window counts working days
on the §1 calendar — around a holiday and a make-up Saturday.

The calendar around the two evaluation instants (holidays package VN + the calendar_overrides seed):

  Fri 04-18  working          Mon 04-28  working          Fri 05-02  off (swapped for Sat 04-26)
  Sat 04-19  off              Tue 04-29  working          Sat 05-03  off
  Sun 04-20  off              Wed 04-30  off (holiday)    Sun 05-04  off
  Mon 04-21 .. Fri 04-25      Thu 05-01  off (holiday)    Mon 05-05  working
             working                                      Tue 05-06  working
  Sat 04-26  working (make-up Saturday, an override)      Wed 05-07  working
  Sun 04-27  off

Build A: T = Tue 2025-04-29 10:00, the day before the holidays. Day 0 is 04-29; the 1st working day after
it is Mon 05-05, the 2nd Tue 05-06: a pending dossier due on or before 05-06 is due soon.
  due soon (working_days_left): a0 due 04-29 17:00 (0), a1 due Wed 04-30 (0: a holiday, before the next
  working day), a2 due Fri 05-02 (0), a3 due Sun 05-04 (0), a4 due Mon 05-05 (1), a5 due Tue 05-06
  23:59:59 (2), a6 two supplement requests, due 05-05 (1: pending on time all the same)
  not due soon: a7 due Wed 05-07 08:00 (3rd working day); a8 a single request open since 04-28, made in
  time (clock stopped, judged early at the request); a9 finished 04-28; a10 withdrawn (status 7);
  o5 due 04-29 09:00 (past due an hour before T: overdue, not due soon); o7 no due time (unclassified)
  overdue (working_days_overdue = working days after the due date up to the date of T − 1 s, or of the
  request that stopped the clock late):
    o2 due Fri 04-18 17:00, one request 04-22 09:00 still open, made after due .... late, 2 (04-21, 04-22)
    o3 due Fri 04-18 17:00, two requests, unfinished ... pending_late, 8 (04-21..04-25, Sat 04-26, 04-28, 04-29)
    o4 due Mon 04-28 17:00, unfinished ............................................ pending_late, 1
    o5 due Tue 04-29 09:00, unfinished ............................................ pending_late, 0
    o6 due Tue 04-22 17:00, one request answered 04-23 but unfinished (a pause never applies to an
       unfinished dossier) ........................................................ pending_late, 6
  not overdue: o1 due Fri 04-25 17:00, one request open since Thu 04-24 09:00, made in time: waiting for
  the applicant, its clock stopped; o7 unclassified; o8 finished late (04-16, due 04-15) — a list of open
  dossiers only.
Build B: T = Fri 2025-04-25 16:00. The 1st working day after 04-25 is the make-up Saturday 04-26, the 2nd
Mon 04-28 (without the override they would be Mon 04-28 and Tue 04-29).
  due soon: b1 due Sat 04-26 11:00 (1), b2 due Sun 04-27 (1), b3 due Mon 04-28 17:00 (2)
  not due soon: b4 due Tue 04-29 08:00

Anomalies (warnings, never errors): o7's procedure P9 is in no catalogue; o8's single request was
answered before it was made (a negative pause); a9 carries a request without its request time.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from dbt_support import Warehouse, dbt_build, ts, write_batch


def dossier(
    code: str,
    received: str,
    due: str | None,
    finished: str | None = None,
    *,
    unit: str = "S01",
    procedure: str = "P1",
    status: int | None = None,
    supplements: list[tuple[str | None, str | None]] | None = None,
    updated: str | None = None,
) -> dict:
    return {
        "MaHoSo": code,
        "MaDonVi": unit,
        "MaTTHC": procedure,
        "KenhThucHien": 1,
        "LoaiDoiTuong": 1,
        "applicant_key": "k-" + code,
        "NgayNopHoSo": ts(received),
        "NgayTiepNhan": ts(received),
        "NgayHenTra": ts(due),
        "NgayKetThucXuLy": ts(finished),
        "TrangThaiHoSo": status or (10 if finished else 4),
        "DuocThanhToanTrucTuyen": 0,
        "DanhSachLePhi": [],
        "TaiLieuNop": [],
        "DanhSachGiayToKetQua": [],
        "DanhSachHoSoBoSung": [
            {"NgayYeuCauBoSung": ts(req), "NgayTiepNhanBoSung": ts(sup)} for req, sup in supplements or []
        ],
        "DanhSachPhieuXinLoi": [],
        "MucDoHaiLong": None,
        "TaiKhoanDuocXacThucVoiVNeID": 0,
        "NgayDongBoDVCQG": None,
        "NgayCapNhat": ts(updated or finished or received),
        "_batch_id": "b1",
    }


T_A = "2025-04-29 10:00"
T_B = "2025-04-25 16:00"

BUILD_A = [
    dossier("a0", "2025-04-24 08:00", "2025-04-29 17:00", unit="X01"),
    dossier("a1", "2025-04-24 08:00", "2025-04-30 17:00"),
    dossier("a2", "2025-04-24 08:00", "2025-05-02 17:00"),
    dossier("a3", "2025-04-24 08:00", "2025-05-04 17:00"),
    dossier("a4", "2025-04-24 08:00", "2025-05-05 17:00", unit="X01"),
    dossier("a5", "2025-04-24 08:00", "2025-05-06 23:59:59"),
    dossier(
        "a6",
        "2025-04-21 08:00",
        "2025-05-05 17:00",
        supplements=[("2025-04-22 08:00", "2025-04-23 08:00"), ("2025-04-24 08:00", "2025-04-25 08:00")],
    ),
    dossier("a7", "2025-04-24 08:00", "2025-05-07 08:00"),
    dossier("a8", "2025-04-24 08:00", "2025-05-05 17:00", supplements=[("2025-04-28 09:00", None)]),
    dossier(
        "a9",
        "2025-04-24 08:00",
        "2025-05-05 17:00",
        "2025-04-28 10:00",
        supplements=[(None, "2025-04-26 08:00")],
    ),
    dossier("a10", "2025-04-24 08:00", "2025-05-05 17:00", status=7),
    dossier("o1", "2025-04-21 08:00", "2025-04-25 17:00", supplements=[("2025-04-24 09:00", None)]),
    dossier("o2", "2025-04-14 08:00", "2025-04-18 17:00", supplements=[("2025-04-22 09:00", None)], unit="X01"),
    dossier(
        "o3",
        "2025-04-14 08:00",
        "2025-04-18 17:00",
        supplements=[("2025-04-15 08:00", "2025-04-16 08:00"), ("2025-04-17 08:00", None)],
    ),
    dossier("o4", "2025-04-21 08:00", "2025-04-28 17:00"),
    dossier("o5", "2025-04-22 08:00", "2025-04-29 09:00"),
    dossier("o6", "2025-04-15 08:00", "2025-04-22 17:00", supplements=[("2025-04-21 08:00", "2025-04-23 08:00")]),
    dossier("o7", "2025-04-01 08:00", None, procedure="P9"),
    dossier(
        "o8",
        "2025-04-08 08:00",
        "2025-04-15 17:00",
        "2025-04-16 10:00",
        supplements=[("2025-04-11 08:00", "2025-04-10 08:00")],
    ),
    # The newest change: as_of = T.
    dossier("tA", "2025-04-28 08:00", "2025-05-20 17:00", updated=T_A),
]

BUILD_B = [
    dossier("b1", "2025-04-21 08:00", "2025-04-26 11:00"),
    dossier("b2", "2025-04-21 08:00", "2025-04-27 17:00"),
    dossier("b3", "2025-04-21 08:00", "2025-04-28 17:00"),
    dossier("b4", "2025-04-21 08:00", "2025-04-29 08:00"),
    dossier("tB", "2025-04-24 08:00", "2025-05-20 17:00", updated=T_B),
]

UNITS = [("T01", "Tỉnh Phú Thọ", "tinh"), ("S01", "Sở Tư pháp", "so"), ("X01", "Xã Tân Lập", "xa")]


def _land(data_dir: Path, dossiers: list[dict]) -> None:
    write_batch(data_dir, "dossier_api", "dossiers", "b1", dossiers)
    write_batch(
        data_dir,
        "reference",
        "don_vi",
        "202501",
        [
            {
                "ma_don_vi": code,
                "ten_don_vi": name,
                "cap": cap,
                "ma_don_vi_cha": None if cap == "tinh" else "T01",
                "hieu_luc_tu": date(2008, 8, 1),
                "_snapshot_month": "202501",
                "_source_file": "don_vi_202501.csv",
            }
            for code, name, cap in UNITS
        ],
    )
    write_batch(
        data_dir,
        "reference",
        "thu_tuc_hanh_chinh",
        "202501",
        [
            {
                "ma_tthc": "P1",
                "ten_tthc": "Thủ tục P1",
                "cap_thuc_hien": "tinh",
                "linh_vuc": "Tư pháp",
                "thoi_han_ngay_lam_viec": 5,
                "muc_do_dvc": "toan_trinh",
                "co_phi_le_phi": False,
                "ket_qua_la_giay_to": False,
                "ngay_qd_cong_bo": date(2019, 1, 2),
                "ngay_hieu_luc": date(2020, 1, 1),
                "day_du_bo_phan": True,
                "_snapshot_month": "202501",
                "_source_file": "thu_tuc_hanh_chinh_202501.csv",
            }
        ],
    )


class Build:
    def __init__(self, warehouse: Warehouse, work: Path) -> None:
        self.warehouse = warehouse
        self.run_results = json.loads((work / "dbt_target" / "run_results.json").read_text())


def _build(tmp_path_factory: pytest.TempPathFactory, name: str, dossiers: list[dict]) -> Build:
    work = tmp_path_factory.mktemp(name)
    data_dir = work / "data"
    data_dir.mkdir()
    _land(data_dir, dossiers)
    dbt_build(data_dir, work)
    return Build(Warehouse(data_dir / "warehouse" / "par_metrics_build.duckdb"), work)


@pytest.fixture(scope="module")
def build_a(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return _build(tmp_path_factory, "lists_before_holiday", BUILD_A)


@pytest.fixture(scope="module")
def build_b(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return _build(tmp_path_factory, "lists_before_makeup_saturday", BUILD_B)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # the published key, not a secret


def test_due_soon_before_a_holiday(build_a: Build) -> None:
    rows = build_a.warehouse.rows("select dossier_code, working_days_left from marts.due_soon_dossiers")
    assert dict(rows) == {"a0": 0, "a1": 0, "a2": 0, "a3": 0, "a4": 1, "a5": 2, "a6": 1}
    assert build_a.warehouse.scalar("select distinct as_of from marts.due_soon_dossiers") == datetime(
        2025, 4, 29, 10, 0
    )


def test_due_soon_over_a_make_up_saturday(build_b: Build) -> None:
    rows = build_b.warehouse.rows("select dossier_code, working_days_left from marts.due_soon_dossiers")
    assert dict(rows) == {"b1": 1, "b2": 1, "b3": 2}


def test_due_soon_rows_carry_unit_procedure_and_dossier_number(build_a: Build) -> None:
    rows = build_a.warehouse.dicts(
        "select * from marts.due_soon_dossiers where dossier_code in ('a0', 'a5') order by dossier_code"
    )
    assert [
        (r["dossier_key"], r["dossier_code"], r["unit_code"], r["unit_name"], r["unit_level"], r["procedure_code"])
        for r in rows
    ] == [
        (md5("a0"), "a0", "X01", "Xã Tân Lập", "commune", "P1"),
        (md5("a5"), "a5", "S01", "Sở Tư pháp", "department", "P1"),
    ]
    assert [(r["received_at"], r["due_at"]) for r in rows] == [
        (datetime(2025, 4, 24, 8, 0), datetime(2025, 4, 29, 17, 0)),
        (datetime(2025, 4, 24, 8, 0), datetime(2025, 5, 6, 23, 59, 59)),
    ]


def test_overdue_follows_the_classification_at_t(build_a: Build) -> None:
    rows = build_a.warehouse.rows(
        "select dossier_code, dossier_key, timeliness, working_days_overdue, unit_code from marts.overdue_dossiers"
    )
    assert sorted(rows) == [
        ("o2", md5("o2"), "late", 2, "X01"),
        ("o3", md5("o3"), "pending_late", 8, "S01"),
        ("o4", md5("o4"), "pending_late", 1, "S01"),
        ("o5", md5("o5"), "pending_late", 0, "S01"),
        ("o6", md5("o6"), "pending_late", 6, "S01"),
    ]


def test_a_dossier_waiting_for_the_applicant_is_on_no_list(build_a: Build) -> None:
    facts = dict(build_a.warehouse.rows("select dossier_code, timeliness from marts.dossier_facts"))
    # Judged at the request, made before the due date: early (§2), so neither overdue nor pending.
    assert (facts["o1"], facts["a8"]) == ("early", "early")
    listed = {
        code
        for (code,) in build_a.warehouse.rows(
            "select dossier_code from marts.overdue_dossiers union all select dossier_code from marts.due_soon_dossiers"
        )
    }
    assert not listed & {"o1", "a8", "o7", "a7", "a9", "a10", "o8"}


def test_dossier_facts_and_violations_carry_the_dossier_number(build_a: Build) -> None:
    facts = build_a.warehouse.rows("select dossier_key, dossier_code from marts.dossier_facts")
    assert len(facts) == len(BUILD_A) and all(key == md5(code) for key, code in facts)
    violations = build_a.warehouse.rows(
        "select dossier_code, violation_code from marts.dossier_violations where violation_code = "
        "'multiple_supplement_requests' order by 1"
    )
    assert violations == [("a6", "multiple_supplement_requests"), ("o3", "multiple_supplement_requests")]


def test_anomalies_warn_and_never_fail_the_build(build_a: Build) -> None:
    results = {r["unique_id"].split(".")[-1]: r for r in build_a.run_results["results"]}
    expected = {
        "dossiers_with_unknown_procedure": 1,  # o7
        "dossiers_with_negative_supplement_pause": 1,  # o8
        "dossiers_with_supplement_request_without_time": 1,  # a9
    }
    assert {name: (results[name]["status"], results[name]["failures"]) for name in expected} == {
        name: ("warn", count) for name, count in expected.items()
    }
    assert not [r["unique_id"] for r in build_a.run_results["results"] if r["status"] in ("error", "fail")]


def test_the_anomaly_checks_pass_quietly_on_clean_data(build_b: Build) -> None:
    results = {r["unique_id"].split(".")[-1]: r["status"] for r in build_b.run_results["results"]}
    assert results["dossiers_with_unknown_procedure"] == "pass"
    assert results["dossiers_with_negative_supplement_pause"] == "pass"
