"""The workbook written by the publication opens with openpyxl and holds the marts' values.

Expected values are queried here from the published file, independently of the report code.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import duckdb
import openpyxl
import pytest

from parmetrics.config import Paths

LEVEL_SHEETS = {"province": "Tỉnh", "department": "Sở, ban, ngành", "district": "Huyện", "commune": "Xã"}
GROUPS = [
    ("transparency_points", 18),
    ("progress_points", 20),
    ("online_service_points", 12),
    ("online_payment_points", 10),
    ("digitisation_points", 22),
    ("satisfaction_points", 18),
]
FIRST_ROW = 5  # title, note, column bands, headers


def query(paths: Paths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def book(published: Paths):
    latest = published.published / "reports" / "par_metrics_latest.xlsx"
    return openpyxl.load_workbook(latest)


@pytest.fixture(scope="module")
def month(published: Paths) -> date:
    return query(
        published,
        "select max(period_start) from marts.criteria_scores where period_grain = 'month' and is_period_closed",
    )[0][0]


def same(got, expected) -> bool:
    if expected is None:
        return got is None
    return got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_one_workbook_per_publication_and_a_latest_copy(published: Paths) -> None:
    reports = published.published / "reports"
    versions = sorted((published.published / "versions").glob("par_metrics-*.duckdb"))
    stamp = versions[-1].name.removeprefix("par_metrics-").removesuffix(".duckdb")
    workbook = reports / f"par_metrics_{stamp}.xlsx"
    assert workbook.exists()
    assert (reports / "par_metrics_latest.xlsx").read_bytes() == workbook.read_bytes()


def test_the_expected_sheets(book) -> None:
    assert book.sheetnames == [
        "Thông tin",
        "Tỉnh",
        "Sở, ban, ngành",
        "Huyện",
        "Xã",
        "Quá hạn, vi phạm",
        "DS hồ sơ quá hạn",
        "DS vi phạm",
    ]


@pytest.mark.parametrize("level", list(LEVEL_SHEETS))
def test_level_sheets_equal_the_scorecards(book, published: Paths, month: date, level: str) -> None:
    ws = book[LEVEL_SHEETS[level]]
    groups = ", ".join(g for g, _ in GROUPS)
    card = (
        f"select unit_code, unit_name, rank_in_level, {groups}, total_points, covered_max_points "
        "from marts.scorecard_766 where period_grain = ? and period_start = ? and unit_level = ?"
    )
    by_month = {r[0]: r for r in query(published, card, ["month", month, level])}
    by_year = {r[0]: r for r in query(published, card, ["year", date(month.year, 1, 1), level])}
    by_par = {
        r[0]: r
        for r in query(
            published,
            "select unit_code, unit_name, points, covered_max_points, score_pct, rank_in_level "
            "from marts.par_scorecard where year = ? and unit_level = ?",
            [month.year, level],
        )
    }
    rows = [r for r in ws.iter_rows(min_row=FIRST_ROW, values_only=True) if r[1] is not None]
    assert {r[1] for r in rows} == by_month.keys() | by_year.keys() | by_par.keys()
    assert len(rows) == len({r[1] for r in rows}), "one row per unit"
    ranks = [r[0] for r in rows if r[1] in by_month]
    ranked = [rank for rank in ranks if rank is not None]
    # Units not in force at the month's end have no rank (METRICS.md §5): they follow the ranked ones.
    assert ranks == sorted(ranked) + [None] * (len(ranks) - len(ranked)), "ranked as the mart ranks"
    for r in rows:
        code = r[1]
        if code in by_month:
            m = by_month[code]
            assert r[2] == m[1]
            assert r[0] == m[2]
            assert all(same(got, exp) for got, exp in zip(r[3:9], m[3:9], strict=True)), (code, r[3:9], m[3:9])
            assert same(r[9], m[9]) and same(r[10], m[10])
            assert same(r[11], m[9] / m[10] if m[10] else None)
        else:
            assert r[0] is None and all(v is None for v in r[3:12])
        y = by_year.get(code)
        assert same(r[12], y and y[9]) and same(r[13], y and y[10]) and r[15] == (y and y[2])
        p = by_par.get(code)
        assert same(r[16], p and p[2]) and same(r[17], p and p[3]) and same(r[18], p and p[4])
        assert r[19] == (p and p[5])
    if level in ("department", "commune"):
        assert by_month, f"the simulated province has {level} units in the month"


def test_points_are_coloured_against_their_maximum_and_the_header_is_frozen(book) -> None:
    ws = book["Sở, ban, ngành"]
    assert ws.freeze_panes == "D5"
    headers = [c.value for c in ws[4]]
    assert headers[:3] == ["Hạng", "Mã đơn vị", "Tên đơn vị"]
    assert headers[3] == "Công khai, minh bạch (tối đa 18)"
    scales = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if rule.colorScale is not None:
                scales[str(cf.sqref).split(":")[0]] = [float(v.val) for v in rule.colorScale.cfvo]
    for i, (_, maximum) in enumerate(GROUPS):
        column = "DEFGHI"[i]
        assert scales[f"{column}{FIRST_ROW}"] == [0, maximum / 2, maximum]
    assert ws.cell(FIRST_ROW, 4 + 6).number_format == "0.00"
    assert ws.cell(FIRST_ROW, 12).number_format == "0.0%"


def test_overdue_and_violation_counts_per_unit_equal_the_lists(book, published: Paths, month: date) -> None:
    ws = book["Quá hạn, vi phạm"]
    headers = [c.value for c in ws[3]]
    rows = {r[0]: dict(zip(headers, r, strict=True)) for r in ws.iter_rows(min_row=4, values_only=True) if r[0]}
    since = date(month.year, 1, 1)
    overdue = dict(query(published, "select unit_code, count(*) from marts.overdue_dossiers group by 1"))
    without = dict(
        query(published, "select unit_code, count(*) from marts.overdue_dossiers where not has_apology group by 1")
    )
    violations = Counter(
        {
            (u, c): n
            for u, c, n in query(
                published,
                "select unit_code, violation_code, count(*) from marts.dossier_violations where received_at >= ? "
                "group by all",
                [since],
            )
        }
    )
    assert set(rows) == set(overdue) | {u for u, _ in violations}
    assert sum(overdue.values()) > 0 and sum(violations.values()) > 0, "the fixture has something to act on"
    label = {
        "late_without_timely_apology": "Trễ hạn không có phiếu xin lỗi kịp thời",
        "components_not_attached": "Thành phần hồ sơ không đính kèm",
    }
    assert set(label.values()) <= set(headers), headers
    for unit, row in rows.items():
        assert row["Hồ sơ quá hạn (đang xử lý)"] == overdue.get(unit, 0)
        assert row["Trong đó chưa có phiếu xin lỗi"] == without.get(unit, 0)
        assert row[f"Tổng số vi phạm (tiếp nhận từ 01/01/{month.year})"] == sum(
            n for (u, _), n in violations.items() if u == unit
        )
        for code, header in label.items():
            assert row[header] == violations.get((unit, code), 0)


def test_detail_lists_hold_every_row_of_the_marts(book, published: Paths, month: date) -> None:
    overdue = book["DS hồ sơ quá hạn"]
    got = sorted((r[0], r[1], r[7]) for r in overdue.iter_rows(min_row=3, values_only=True) if r[0])
    assert got == sorted(
        query(published, "select dossier_key, unit_code, working_days_overdue from marts.overdue_dossiers")
    )
    violations = book["DS vi phạm"]
    got = sorted((r[0], r[6], r[1]) for r in violations.iter_rows(min_row=3, values_only=True) if r[0])
    expected = query(
        published,
        "select dossier_key, violation_code, unit_code from marts.dossier_violations where received_at >= ?",
        [date(month.year, 1, 1)],
    )
    assert got == sorted(expected)
    assert len(expected) < query(published, "select count(*) from marts.dossier_violations")[0][0], (
        "earlier years are left to the mart"
    )
