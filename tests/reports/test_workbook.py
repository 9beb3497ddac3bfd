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
        "Cảnh báo dữ liệu",  # the province lands no procedure catalogue: dbt warns of unknown procedures
        "Tỉnh",
        "Sở, ban, ngành",
        "Huyện",
        "Xã",
        "Đơn vị đã kết thúc hoạt động",
        "Quá hạn, sắp đến hạn, vi phạm",
        "DS hồ sơ quá hạn",
        "DS hồ sơ sắp đến hạn",
        "DS vi phạm",
    ]


def in_force_by_unit(published: Paths, month: date, level: str | None = None) -> dict[str, bool]:
    """Whether each unit with a row in the month, the year or PAR is in force, as the marts say: by its
    month row, else its year row, else its PAR row (the workbook ranks by the month)."""
    where = "" if level is None else f"and unit_level = '{level}'"
    decided: dict[str, bool] = {}
    for sql, params in (
        (f"select unit_code, is_unit_in_force from marts.scorecard_766 where period_grain = 'month' "
         f"and period_start = ? {where}", [month]),
        (f"select unit_code, is_unit_in_force from marts.scorecard_766 where period_grain = 'year' "
         f"and period_start = ? {where}", [date(month.year, 1, 1)]),
        (f"select unit_code, is_unit_in_force from marts.par_scorecard where year = ? {where}", [month.year]),
    ):  # fmt: skip
        for unit, in_force in query(published, sql, params):
            decided.setdefault(unit, in_force)
    return decided


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
    in_force = in_force_by_unit(published, month, level)
    # Only units in force are on a level sheet (METRICS.md §5); the others are shown apart.
    assert {r[1] for r in rows} == {unit for unit, yes in in_force.items() if yes}
    assert len(rows) == len({r[1] for r in rows}), "one row per unit"
    ranks = [r[0] for r in rows if r[1] in by_month]
    assert None not in ranks and ranks == sorted(ranks), "every unit in force with a month row ranked, in order"
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


def test_ceased_units_are_apart_with_their_residual_figures(book, published: Paths, month: date) -> None:
    ws = book["Đơn vị đã kết thúc hoạt động"]
    headers = [c.value for c in ws[4]]
    assert headers[:5] == ["Tình trạng", "Cấp", "Mã đơn vị", "Tên đơn vị", "Sáp nhập vào"]
    assert "Hạng" not in " ".join(headers), "no rank column: nothing here is ranked"
    rows = {r[2]: r for r in ws.iter_rows(min_row=FIRST_ROW, values_only=True) if r[2] is not None}
    apart = {unit for unit, yes in in_force_by_unit(published, month).items() if not yes}
    assert set(rows) == apart and apart, "the ceased units of the simulated province, and only them"
    names = dict(query(published, "select unit_code, any_value(unit_name) from marts.scorecard_766 group by 1"))
    by_month = {
        r[0]: r
        for r in query(
            published,
            "select unit_code, total_points, covered_max_points from marts.scorecard_766 "
            "where period_grain = 'month' and period_start = ?",
            [month],
        )
    }
    for unit, r in rows.items():
        assert r[0] == ("Đơn vị đã kết thúc hoạt động" if names[unit] else "Mã đơn vị không có trong danh mục đơn vị")
        if unit in by_month:
            assert same(r[11], by_month[unit][1]) and same(r[12], by_month[unit][2])
        else:
            assert r[11] is None
    # A merged commune names the commune its history is restated to.
    restated = dict(
        query(
            published,
            "select distinct unnest(string_split(restated_from_unit_codes, ',')), unit_code "
            "from marts.criteria_scores_restated where is_restated",
        )
    )
    merged = [unit for unit in rows if unit in restated]
    assert merged, "the province has merged communes with residual rows"
    for unit in merged:
        assert rows[unit][4] == f"{names[restated[unit]]} ({restated[unit]})"


def test_overdue_and_violation_counts_per_unit_equal_the_lists(book, published: Paths, month: date) -> None:
    ws = book["Quá hạn, sắp đến hạn, vi phạm"]
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
    due_soon = dict(query(published, "select unit_code, count(*) from marts.due_soon_dossiers group by 1"))
    due_today = dict(
        query(
            published,
            "select unit_code, count(*) from marts.due_soon_dossiers where working_days_left = 0 group by 1",
        )
    )
    assert set(rows) == set(overdue) | set(due_soon) | {u for u, _ in violations}
    assert sum(overdue.values()) > 0 and sum(violations.values()) > 0, "the fixture has something to act on"
    label = {
        "late_without_timely_apology": "Trễ hạn không có phiếu xin lỗi kịp thời",
        "components_not_attached": "Thành phần hồ sơ không đính kèm",
    }
    assert set(label.values()) <= set(headers), headers
    for unit, row in rows.items():
        assert row["Hồ sơ quá hạn (đang xử lý)"] == overdue.get(unit, 0)
        assert row["Trong đó chưa có phiếu xin lỗi"] == without.get(unit, 0)
        assert row["Hồ sơ sắp đến hạn (trong 2 ngày làm việc)"] == due_soon.get(unit, 0)
        assert row["Trong đó đến hạn hôm nay"] == due_today.get(unit, 0)
        assert row[f"Tổng số vi phạm (tiếp nhận từ 01/01/{month.year})"] == sum(
            n for (u, _), n in violations.items() if u == unit
        )
        for code, header in label.items():
            assert row[header] == violations.get((unit, code), 0)


def test_detail_lists_hold_every_row_of_the_marts_by_dossier_number(book, published: Paths, month: date) -> None:
    overdue = book["DS hồ sơ quá hạn"]
    assert overdue.cell(2, 1).value == "Số hồ sơ (mã trên hệ thống một cửa)"
    got = sorted((r[0], r[1], r[7]) for r in overdue.iter_rows(min_row=3, values_only=True) if r[0])
    assert got == sorted(
        query(published, "select dossier_code, unit_code, working_days_overdue from marts.overdue_dossiers")
    )
    due_soon = book["DS hồ sơ sắp đến hạn"]
    got = sorted((r[0], r[1], r[6], r[7]) for r in due_soon.iter_rows(min_row=3, values_only=True) if r[0])
    assert got == sorted(
        query(published, "select dossier_code, unit_code, due_at, working_days_left from marts.due_soon_dossiers")
    )
    assert got, "the simulated province has dossiers due soon"
    violations = book["DS vi phạm"]
    got = sorted((r[0], r[6], r[1]) for r in violations.iter_rows(min_row=3, values_only=True) if r[0])
    expected = query(
        published,
        "select dossier_code, violation_code, unit_code from marts.dossier_violations where received_at >= ?",
        [date(month.year, 1, 1)],
    )
    assert got == sorted(expected)
    assert len(expected) < query(published, "select count(*) from marts.dossier_violations")[0][0], (
        "earlier years are left to the mart"
    )
    keys = {k for (k,) in query(published, "select dossier_key from marts.dossier_facts")}
    for sheet in ("DS hồ sơ quá hạn", "DS hồ sơ sắp đến hạn", "DS vi phạm"):
        cells = {v for row in book[sheet].iter_rows(min_row=3, values_only=True) for v in row}
        assert not cells & keys, f"{sheet}: the dossier number, not its hash"


def test_the_warnings_sheet_lists_the_builds_failed_warn_tests(book, published: Paths) -> None:
    ws = book["Cảnh báo dữ liệu"]
    assert "số liệu vẫn được công bố" in ws.cell(2, 1).value
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0]]
    expected = query(
        published,
        """select expectation, unexpected_count from ops.quality_results
           where stage = 'dbt' and not success and invocation_id = (
               select invocation_id from ops.quality_results where stage = 'dbt' order by recorded_at desc limit 1)""",
    )
    assert sorted((r[1], r[3]) for r in rows) == sorted(expected)
    assert {r[0] for r in rows} == {"Tính toán (dbt)"}
    assert ("dossiers_with_unknown_procedure",) in {(r[1],) for r in rows}


def test_the_information_sheet_names_period_clock_stamp_and_counts(book, published: Paths, month: date) -> None:
    info = {r[0]: r[1] for r in book["Thông tin"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert info["Kỳ trình bày (tháng đã khóa số gần nhất)"] == f"{month:%m/%Y}"
    assert info["Đồng hồ tham chiếu khi lập báo cáo"] == "20/11/2026 06:00 (cố định, PARMETRICS_CLOCK)"
    versions = sorted((published.published / "versions").glob("par_metrics-*.duckdb"))
    assert info["Bản công bố"] == versions[-1].name.removeprefix("par_metrics-").removesuffix(".duckdb")
    ranked = query(
        published,
        "select unit_level, count(*) from marts.scorecard_766 where period_grain = 'month' and period_start = ? "
        "and rank_in_level is not null group by 1",
        [month],
    )
    counts = dict(ranked)
    assert info["Đơn vị được xếp hạng"].startswith(f"{sum(counts.values())} đơn vị còn hiệu lực cuối tháng")
    (ceased,) = query(
        published,
        "select count(*) from marts.scorecard_766 where period_grain = 'month' and period_start = ? "
        "and not is_unit_in_force and unit_name is not null",
        [month],
    )[0]
    assert info["Trình bày riêng, không xếp hạng"].startswith(f"{ceased} đơn vị đã kết thúc hoạt động")
