"""A period is scored by the rule version valid at its end date (METRICS.md §4), by its points.

The real seed's two versions (2022.1, 2025.1) keep the same numbers, so this test scores with two test
versions of its own, given to the build as a CSV (`--vars scoring_rules_csv`), that differ in target,
maximum points and bands:

  criterion      2020.1 (until 2025-06-30)                2025.1 (from 2025-07-01)
  766.2.1        proportional, max 20, target 1           proportional, max 10, target 0.9
  766.3.3        bands [[0.5, 6], [0.2, 3]], max 6        bands [[0.9, 6], [0.5, 2]], max 6
  PAR.3.ontime   bands [[1.0, 2.0], [0.75, 1.0]], max 2    bands [[0.95, 3.0], [0.8, 1.5]], max 3

Dossiers of S01 (all with NgayHenTra; O on time, L late, PO pending on time), as_of = 2025-09-15 12:00:
  January 2021   J1 O in person
  March 2021     M1 O online, M2 O online, M3 O in person, M4 L in person
  August 2025    A1–A4 O (A1–A4 online), A5 L in person
  September 2025 S1 PO in person (received 09-10, due 09-20), the newest update

  period     766.2.1            points (version)           766.3.3      points (version)
  2021-03    3/4   = 0.75       20 x 0.75 = 15   (2020.1)  2/4 = 0.5    6 (band 0.5)   (2020.1)
  Q1 2021    4/5   = 0.8        20 x 0.8  = 16   (2020.1)  2/5 = 0.4    3 (band 0.2)   (2020.1)
  2025-08    4/5   = 0.8        10 x 0.8/0.9     (2025.1)  4/5 = 0.8    2 (band 0.5)   (2025.1)
  Q3 2025    5/6                10 x (5/6)/0.9   (2025.1)  4/6          2 (band 0.5)   (2025.1)
Under the other version each would differ: 2025-08 would get 16 and 6, Q1 2021 8.89 and 0.

PAR.3.ontime by year: 2021 4/5 = 0.8 -> 1.0 (2020.1; 2025.1 would give 1.5); 2025 5/6 -> 1.5 (2025.1;
2020.1 would give 1.0). The year-end forecast for 2025 has no last year to grow from, so it projects the
year to date (5/6) and scores it by 2025.1: 10 x (5/6)/0.9, max 10.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from dbt_support import Warehouse, dbt_build, ts, write_batch

RULES_HEADER = (
    "criterion_code,criterion_group,criterion_name_vi,criterion_name_en,rule_version,valid_from,valid_to,"
    "unit_level,method,max_points,target,bands,zero_denominator"
)
RULES = [
    '766.2.1,766.2,"Tiến độ","Progress",2020.1,2000-01-01,2025-06-30,,proportional,20,1,,not_applicable',
    '766.2.1,766.2,"Tiến độ","Progress",2025.1,2025-07-01,,,proportional,10,0.9,,not_applicable',
    '766.3.3,766.3,"Trực tuyến","Online",2020.1,2000-01-01,2025-06-30,,bands,6,,"[[0.5, 6], [0.2, 3]]",not_applicable',
    '766.3.3,766.3,"Trực tuyến","Online",2025.1,2025-07-01,,,bands,6,,"[[0.9, 6], [0.5, 2]]",not_applicable',
    'PAR.3.ontime,PAR.3,"Đúng hạn","On time",2020.1,2000-01-01,2025-06-30,,bands,2,,"[[1.0, 2.0], [0.75, 1.0]]",'
    "not_applicable",
    'PAR.3.ontime,PAR.3,"Đúng hạn","On time",2025.1,2025-07-01,,,bands,3,,"[[0.95, 3.0], [0.8, 1.5]]",not_applicable',
]


def dossier(dossier_id: str, received: str, due: str, finished: str | None, *, online: bool = False) -> dict:
    return {
        "MaHoSo": dossier_id,
        "MaDonVi": "S01",
        "MaTTHC": "P1",
        "KenhThucHien": 2 if online else 1,
        "LoaiDoiTuong": 1,
        "NgayNopHoSo": ts(received),
        "NgayTiepNhan": ts(received),
        "NgayHenTra": ts(due),
        "NgayKetThucXuLy": ts(finished),
        "TrangThaiHoSo": 10 if finished else 4,
        "NgayCapNhat": ts(finished or received),
        "_batch_id": "b1",
    }


DOSSIERS = [
    dossier("J1", "2021-01-11 08:00", "2021-01-15 17:00", "2021-01-14 10:00"),
    dossier("M1", "2021-03-01 08:00", "2021-03-05 17:00", "2021-03-05 10:00", online=True),
    dossier("M2", "2021-03-08 08:00", "2021-03-12 17:00", "2021-03-12 10:00", online=True),
    dossier("M3", "2021-03-15 08:00", "2021-03-19 17:00", "2021-03-19 10:00"),
    dossier("M4", "2021-03-22 08:00", "2021-03-26 17:00", "2021-03-29 10:00"),
    dossier("A1", "2025-08-04 08:00", "2025-08-08 17:00", "2025-08-08 10:00", online=True),
    dossier("A2", "2025-08-11 08:00", "2025-08-15 17:00", "2025-08-15 10:00", online=True),
    dossier("A3", "2025-08-18 08:00", "2025-08-22 17:00", "2025-08-22 10:00", online=True),
    dossier("A4", "2025-08-25 08:00", "2025-08-29 17:00", "2025-08-29 10:00", online=True),
    dossier("A5", "2025-08-04 08:00", "2025-08-08 17:00", "2025-08-12 10:00"),
    {**dossier("S1", "2025-09-10 08:00", "2025-09-20 17:00", None), "NgayCapNhat": ts("2025-09-15 12:00")},
]


def _land(data_dir: Path) -> None:
    write_batch(data_dir, "dossier_api", "dossiers", "b1", DOSSIERS)
    write_batch(
        data_dir,
        "reference",
        "don_vi",
        "202501",
        [
            {
                "ma_don_vi": "T01",
                "ten_don_vi": "Tỉnh",
                "cap": "tinh",
                "hieu_luc_tu": date(2008, 1, 1),
                "_snapshot_month": "202501",
                "_source_file": "d.csv",
            },
            {
                "ma_don_vi": "S01",
                "ten_don_vi": "Sở",
                "cap": "so",
                "ma_don_vi_cha": "T01",
                "hieu_luc_tu": date(2008, 1, 1),
                "_snapshot_month": "202501",
                "_source_file": "d.csv",
            },
        ],
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    work = tmp_path_factory.mktemp("rules_by_date")
    rules = work / "rules.csv"
    rules.write_text("\n".join([RULES_HEADER, *RULES]) + "\n", encoding="utf-8")
    data_dir = work / "data"
    data_dir.mkdir()
    _land(data_dir)
    dbt_build(data_dir, work, "--vars", f"{{scoring_rules_csv: '{rules}'}}")
    return Warehouse(data_dir / "warehouse" / "par_metrics_build.duckdb")


def scored(wh: Warehouse, grain: str, start: date, code: str) -> tuple:
    return wh.rows(
        "select numerator, denominator, points, max_points, target, rule_version from marts.criteria_scores "
        "where period_grain = ? and period_start = ? and unit_code = 'S01' and criterion_code = ?",
        [grain, start, code],
    )[0]


@pytest.mark.parametrize(
    ("grain", "start", "code", "expected"),
    [
        ("month", date(2021, 3, 1), "766.2.1", (3, 4, 15.0, 20, 1, "2020.1")),
        ("quarter", date(2021, 1, 1), "766.2.1", (4, 5, 16.0, 20, 1, "2020.1")),
        ("month", date(2025, 8, 1), "766.2.1", (4, 5, 10 * 0.8 / 0.9, 10, 0.9, "2025.1")),
        ("quarter", date(2025, 7, 1), "766.2.1", (5, 6, 10 * (5 / 6) / 0.9, 10, 0.9, "2025.1")),
        ("month", date(2021, 3, 1), "766.3.3", (2, 4, 6.0, 6, None, "2020.1")),
        ("quarter", date(2021, 1, 1), "766.3.3", (2, 5, 3.0, 6, None, "2020.1")),
        ("month", date(2025, 8, 1), "766.3.3", (4, 5, 2.0, 6, None, "2025.1")),
        ("quarter", date(2025, 7, 1), "766.3.3", (4, 6, 2.0, 6, None, "2025.1")),
        ("year", date(2021, 1, 1), "PAR.3.ontime", (4, 5, 1.0, 2, None, "2020.1")),
        ("year", date(2025, 1, 1), "PAR.3.ontime", (5, 6, 1.5, 3, None, "2025.1")),
    ],
)
def test_points_come_from_the_version_valid_at_the_period_end(
    warehouse: Warehouse, grain: str, start: date, code: str, expected: tuple
) -> None:
    numerator, denominator, points, max_points, target, version = scored(warehouse, grain, start, code)
    assert (numerator, denominator, max_points, target, version) == (
        expected[0],
        expected[1],
        expected[3],
        expected[4],
        expected[5],
    )
    assert points == pytest.approx(expected[2])


def test_scorecards_follow_the_version(warehouse: Warehouse) -> None:
    august = warehouse.dicts(
        "select progress_points, online_service_points, covered_max_points from marts.scorecard_766 "
        "where period_grain = 'month' and period_start = '2025-08-01' and unit_code = 'S01'"
    )[0]
    assert august["progress_points"] == pytest.approx(10 * 0.8 / 0.9, abs=1e-6)
    assert august["online_service_points"] == 2.0
    assert august["covered_max_points"] == 16.0  # 10 + 6 under 2025.1 (20 + 6 under 2020.1)
    par = dict(warehouse.rows("select year, par_3_ontime_points from marts.par_scorecard where unit_code = 'S01'"))
    assert par == {2021: 1.0, 2025: 1.5}


def test_year_end_forecast_scores_by_the_version_valid_at_the_year_end(warehouse: Warehouse) -> None:
    row = warehouse.dicts(
        "select * from marts.year_end_forecast where unit_code = 'S01' and criterion_code = '766.2.1'"
    )[0]
    assert (row["year"], row["ytd_numerator"], row["ytd_denominator"]) == (2025, 5.0, 6.0)
    assert row["max_points"] == 10.0
    assert row["projected_points"] == pytest.approx(10 * (5 / 6) / 0.9)


def test_the_real_seed_switches_version_on_2025_07_01_keeping_the_numbers() -> None:
    import csv

    from dbt_support import DBT_PROJECT

    with (DBT_PROJECT / "seeds" / "scoring_rules.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    old = {(r["criterion_code"], r["unit_level"]): r for r in rows if r["rule_version"] == "2022.1"}
    new = {(r["criterion_code"], r["unit_level"]): r for r in rows if r["rule_version"] == "2025.1"}
    assert old.keys() == new.keys()
    for key, r in old.items():
        assert (r["valid_to"], new[key]["valid_from"], new[key]["valid_to"]) == ("2025-06-30", "2025-07-01", "")
        numbers = ("method", "max_points", "target", "bands", "zero_denominator")
        assert [r[n] for n in numbers] == [new[key][n] for n in numbers], key
