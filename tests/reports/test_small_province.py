"""The hand-computed province of small_province.py through the build, the gate, publication and the
reports: every ranking, the units shown apart, the lists' dossier numbers, and the warnings section of
the HTML report (absent for this clean publication; present, with exactly the current warnings, once the
landing gate has recorded some and the province is published again). Expected values are the ones typed
out in small_province.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

from parmetrics import ops
from parmetrics.config import Paths
from tests.reports import acceptance as a
from tests.reports import small_province as p
from tests.reports.chromium import rendered_dom


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> tuple[Paths, dict]:
    return p.build_small_province(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def paths(province) -> Paths:
    return province[0]


@pytest.fixture(scope="module")
def summary(paths: Paths) -> str:
    from parmetrics.reports.scorecard import print_scorecard

    console = Console(width=220, record=True, force_terminal=False)
    with p.small_env(paths):
        assert print_scorecard(paths.published_db, console) == len(p.RANKED) + len(p.CEASED_IN_SEPTEMBER) + 1
    return console.export_text()


@pytest.fixture(scope="module")
def book(province):
    return a.workbook(Path(province[1]["workbook"]))


@pytest.fixture(scope="module")
def dom(province, tmp_path_factory) -> str:
    return rendered_dom(Path(province[1]["html"]), tmp_path_factory.mktemp("chromium"))


def test_the_summary_ranks_the_units_in_force_and_shows_the_ceased_apart(summary: str) -> None:
    assert a.summary_month(summary) == p.SEPTEMBER
    tables = a.summary_tables(summary)
    on_time = {row[0]: row for row in tables["766.2.1 —"]}
    assert {unit: int(row[-1]) for unit, row in on_time.items()} == p.RANKED
    top = [row[0] for row in tables["Top five"]]
    # S01 and X03 both score 36 of 56; then X10, X12, X11.
    assert set(top[:2]) == {"S01", "X03"} and top[2:] == ["X10", "X12", "X11"]
    assert [row[0] for row in tables["Bottom five"]][:3] == ["X11", "X12", "X10"]
    ceased = tables["Not ranked — đơn vị đã kết thúc hoạt động"]
    assert {row[0]: row[3] for row in ceased} == {"X01": "UBND xã Pà Mường (X10)", "H01": "—"}
    unknown = tables["Not ranked — mã đơn vị không có trong danh mục đơn vị"]
    assert [(row[0], row[1], row[2]) for row in unknown] == [("X99", "—", "—")]
    assert "Ranked: 6 units in force at the month's end (province 1, departments 1, districts 0, communes 4)" in summary
    assert "Shown apart, not ranked: 2 ceased units — đơn vị đã kết thúc hoạt động (districts 1, communes 1)" in summary
    assert "Shown apart, not ranked: 1 unit codes unknown to the reference units" in summary
    assert "Data as of 2025-10-15 12:00:00" in summary
    assert "reference clock 2025-10-15 18:00:00 (PARMETRICS_CLOCK)" in summary


def test_the_workbook_ranks_the_units_in_force_and_shows_the_ceased_apart(book) -> None:
    assert a.workbook_month(book) == p.SEPTEMBER
    ranked = a.workbook_ranked_units(book)
    assert ranked == {
        "province": {"T01": 1},
        "department": {"S01": 1},
        "district": {},
        "commune": {"X03": 1, "X10": 2, "X12": 3, "X11": 4},
    }
    apart = a.workbook_apart_units(book)
    assert set(apart) == p.CEASED_IN_YEAR | p.UNKNOWN, "X02 has figures in 2025 only, X01 and H01 in September too"
    assert {unit: row[4] for unit, row in apart.items()} == {
        "X01": "UBND xã Pà Mường (X10)",
        "X02": "UBND xã Pà Mường (X10)",
        "H01": None,
        "X99": None,
    }
    assert {unit: row[0] for unit, row in apart.items() if row[0] != "Đơn vị đã kết thúc hoạt động"} == {
        "X99": "Mã đơn vị không có trong danh mục đơn vị"
    }
    assert list(apart)[-1] == "X99", "a code without a level comes last"
    # X01's month: 766.2.1 20 + 766.3.1 4 + 766.6.3 6 = 30 of 30; X02 has no September row.
    assert (apart["X01"][11], apart["X01"][12], apart["X01"][13]) == (30, 30, 1)
    assert apart["X02"][11] is None
    info = {r[0]: r[1] for r in book["Thông tin"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert info["Đơn vị được xếp hạng"] == (
        "6 đơn vị còn hiệu lực cuối tháng 09/2025 (Tỉnh 1, Sở, ban, ngành 1, Huyện 0, Xã 4)"
    )
    assert info["Trình bày riêng, không xếp hạng"] == (
        "2 đơn vị đã kết thúc hoạt động có số liệu tháng 09/2025 (Huyện 1, Xã 1); "
        "1 mã đơn vị không có trong danh mục đơn vị — trang «Đơn vị đã kết thúc hoạt động», không xếp hạng"
    )
    assert info["Cảnh báo chất lượng dữ liệu"] == "không có"
    assert "Cảnh báo dữ liệu" not in book.sheetnames


def test_the_lists_give_the_dossier_numbers(book, paths: Paths) -> None:
    lists = a.workbook_list_codes(book)
    assert lists["DS hồ sơ quá hạn"] == list(p.OVERDUE)
    assert lists["DS hồ sơ sắp đến hạn"] == list(p.DUE_SOON)
    overdue = next(book["DS hồ sơ quá hạn"].iter_rows(min_row=3, values_only=True))
    assert (overdue[1], overdue[7]) == p.OVERDUE["o1"]
    due_soon = next(book["DS hồ sơ sắp đến hạn"].iter_rows(min_row=3, values_only=True))
    assert (due_soon[1], due_soon[7]) == p.DUE_SOON["d1"]
    violations = {(r[0], r[6]) for r in book["DS vi phạm"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert violations == p.VIOLATIONS
    landed = a.landed_dossier_codes(paths)
    assert landed == {d["MaHoSo"] for d in p.DOSSIERS}
    assert {code for codes in lists.values() for code in codes} <= landed


def test_the_html_report_ranks_the_units_in_force_and_shows_the_ceased_apart(dom: str) -> None:
    assert 'data-charts="drawn"' in dom
    assert a.html_month(dom) == p.SEPTEMBER
    assert a.html_ranked_units(dom) == {
        "province": {"T01"},
        "department": {"S01"},
        "district": set(),
        "commune": {"X03", "X10", "X12", "X11"},
    }
    assert a.html_apart_units(dom) == p.CEASED_IN_SEPTEMBER | p.UNKNOWN
    labels = re.findall(r'<text [^>]*class="label"[^>]*>(\d+)\. ([^<]+)</text>', dom)
    assert ("1", "UBND xã Tân Lập (X03)") in labels and ("2", "UBND xã Pà Mường (X10)") in labels
    due = re.search(r'<table class="due-soon">.*?</table>', dom, re.S).group(0)
    assert re.findall(r'<tr data-unit="([^"]+)">', due) == ["X11"]
    assert re.search(r'id="ranked-count">6<', dom) and re.search(r'id="ceased-count">2<', dom)


def test_a_clean_publication_has_no_warnings_section(dom: str) -> None:
    assert 'id="data-quality"' not in dom
    assert "Cảnh báo chất lượng dữ liệu" not in dom


def test_the_landing_gates_current_warnings_appear_once_published(province, tmp_path: Path) -> None:
    """The landing gate's records (hand-written here, in its shape: severity, stage, subject, message)
    of the batches this province landed, before its build: a superseded one, a current one, and a
    rejected re-landing of another batch. Published again, the report shows the current one only."""
    from parmetrics.orchestration import build

    paths, _ = province

    def record(minutes: int, run_id: str, batch: str, **fields) -> dict:
        source, dataset, batch_id = batch.split("/")
        return {
            "recorded_at": f"2025-10-15T0{minutes // 60}:{minutes % 60:02d}:00+00:00",
            "run_id": run_id,
            "stage": "landing",
            "source": source,
            "dataset": dataset,
            "batch_id": batch_id.removeprefix("batch="),
            "subject": batch,
            "success": False,
            "severity": "warning",
            **fields,
        }

    dossiers, units = "dossier_api/dossiers/batch=b1", "reference/don_vi/batch=202508"
    written = [
        record(0, "land-1", dossiers, suite="landing.dossier_api.dossiers", expectation="e", rule="deadline_jump",
               unexpected_count=4, message="dossier_api/dossiers/batch=b1: deadline_jump failed for 4 rows"),
        record(30, "land-2", dossiers, suite="landing.dossier_api.dossiers", expectation="e",
               rule="due_before_received", unexpected_count=2,
               message="dossier_api/dossiers/batch=b1: due_before_received failed for 2 of 18 rows (e.g. o1); "
                       "landed anyway: an anomaly check only warns"),
        record(40, "land-3", units, suite="landing.reference.don_vi", expectation="e", rule="unknown_parent",
               unexpected_count=1, subject="don_vi_202508_v2.csv", message="don_vi_202508_v2.csv: unknown_parent"),
        record(40, "land-3", units, suite="landing.reference.don_vi", expectation="e", rule="code_unique",
               severity="critical", message="don_vi_202508_v2.csv: code_unique failed; not landed"),
    ]  # fmt: skip
    for r in written:
        ops.write_record(paths, "quality_results", r)
    with p.small_env(paths):
        build.dbt_build("small-build-2")
        stamp = build.publish("small-build-2")["published_at"]
        files = build.write_reports([stamp])[stamp]
    dom = rendered_dom(Path(files["html"]), tmp_path / "chromium")
    section = re.search(r'<section id="data-quality".*?</section>', dom, re.S)
    assert section, "the publication has a warning"
    rows = [
        re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        for row in re.findall(r'<tr class="warning">(.*?)</tr>', section.group(0), re.S)
    ]
    assert rows == [
        [
            "Tiếp nhận dữ liệu (landing)",
            "due_before_received",
            dossiers,
            "2",
            "dossier_api/dossiers/batch=b1: due_before_received failed for 2 of 18 rows (e.g. o1); "
            "landed anyway: an anomaly check only warns",
        ]
    ]
    assert "Cảnh báo chất lượng dữ liệu (1)" in section.group(0)
    assert "số liệu vẫn được công bố" in section.group(0)
    book = a.workbook(Path(files["workbook"]))
    assert book.sheetnames[1] == "Cảnh báo dữ liệu"
    sheet_rows = [r for r in book["Cảnh báo dữ liệu"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [(r[1], r[2], r[3]) for r in sheet_rows] == [("due_before_received", dossiers, 2)]
