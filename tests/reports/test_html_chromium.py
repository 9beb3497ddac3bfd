"""The HTML report, rendered by headless Chromium from the file (no server), draws every chart.

The page holds no marks until its script runs, so counting marks in the rendered DOM proves the
script ran; each count is compared with the marts (queried here, not by the report code).
"""

from __future__ import annotations

import re
import struct
from datetime import date
from pathlib import Path

import duckdb
import pytest

from parmetrics.config import REPO_ROOT, Paths
from tests.reports.chromium import run_chromium

SCREENSHOT_DIR = REPO_ROOT / ".tmp" / "reports"
GROUPS = {
    "transparency_points",
    "progress_points",
    "online_service_points",
    "online_payment_points",
    "digitisation_points",
    "satisfaction_points",
}


def query(paths: Paths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def months_window(paths: Paths) -> tuple[date, date]:
    last = query(
        paths, "select max(period_start) from marts.criteria_scores where period_grain = 'month' and is_period_closed"
    )[0][0]
    index = last.year * 12 + last.month - 1 - 23
    return date(index // 12, index % 12 + 1, 1), last


def month_rows(paths: Paths, unit: str) -> int:
    first, last = months_window(paths)
    return query(
        paths,
        "select count(*) from marts.scorecard_766 where period_grain = 'month' and unit_code = ? "
        "and period_start between ? and ?",
        [unit, first, last],
    )[0][0]


def sections(dom: str, css_class: str) -> dict[str, str]:
    """The ranking sections of the rendered page by level (a section holds no nested section)."""
    return {
        m.group(1): m.group(2)
        for m in re.finditer(rf'<section class="{css_class}" data-level="(\w+)">(.*?)</section>', dom, re.S)
    }


def series(dom: str, key: str) -> tuple[str, str] | None:
    m = re.search(rf'<g class="series series-{key}" data-unit="([^"]+)"[^>]*>(.*?)</g>', dom, re.S)
    return (m.group(1), m.group(2)) if m else None


@pytest.fixture(scope="module")
def report(published: Paths) -> Path:
    return published.published / "reports" / "par_metrics_latest.html"


@pytest.fixture(scope="module")
def dom(report: Path, tmp_path_factory) -> str:
    return run_chromium(report.as_uri(), tmp_path_factory.mktemp("chromium"), "--dump-dom")


def test_the_page_needs_nothing_from_the_network(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html), "every asset is inlined"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no absolute URL to fetch"
    assert "<svg" not in html.split('<script type="application/json"')[0], "the charts are drawn by the script"


def test_the_script_ran_without_error(dom: str) -> None:
    assert 'data-charts="drawn"' in dom, re.search(r'id="report-error"[^>]*>([^<]*)', dom)


def test_one_bar_per_ranked_unit_of_each_level_and_the_ceased_apart(dom: str, published: Paths) -> None:
    _, last = months_window(published)
    expected: dict[str, set[str]] = {"province": set(), "department": set(), "district": set(), "commune": set()}
    apart = set()
    for unit, level, rank in query(
        published,
        "select unit_code, unit_level, rank_in_level from marts.scorecard_766 "
        "where period_grain = 'month' and period_start = ?",
        [last],
    ):
        (expected[level] if rank is not None else apart).add(unit)
    drawn = sections(dom, "chart ranking")
    assert set(drawn) == set(expected)
    for level, units in expected.items():
        bars = re.findall(r'<rect class="bar" data-unit="([^"]+)"', drawn[level])
        assert len(bars) == len(units), level
        assert set(bars) == units, level
    assert len(expected["department"]) > 1 and len(expected["commune"]) > 1, "the fixture ranks several units"
    assert not expected["district"] and "Không có đơn vị cấp Huyện còn hiệu lực" in drawn["district"]
    section = re.search(r'<section id="apart".*?</section>', dom, re.S).group(0)
    assert set(re.findall(r'<tr data-unit="([^"]+)"', section)) == apart and apart
    assert section.count("Đơn vị đã kết thúc hoạt động</td>") == len(apart)


def test_due_soon_dossiers_are_counted_per_unit(dom: str, published: Paths) -> None:
    expected = {
        unit: (total, today)
        for unit, total, today in query(
            published,
            "select unit_code, count(*), count(*) filter (where working_days_left = 0) "
            "from marts.due_soon_dossiers group by 1",
        )
    }
    assert expected, "the simulated province has dossiers due soon"
    table = re.search(r'<table class="due-soon">.*?</table>', dom, re.S).group(0)
    rows = re.findall(r'<tr data-unit="([^"]+)">(.*?)</tr>', table, re.S)
    got = {}
    for unit, cells in rows:
        numbers = [int(n) for n in re.findall(r'<td class="num[^"]*">(\d+)</td>', cells)]
        got[unit] = (numbers[0], numbers[1])
        assert numbers[0] == sum(numbers[1:]), "due today + in 1 + in 2 working days"
    assert got == expected


def test_the_header_names_period_clock_stamp_and_counts(dom: str, published: Paths) -> None:
    _, last = months_window(published)
    assert re.search(r'id="period">(\d\d/\d{4})<', dom).group(1) == f"{last:%m/%Y}"
    assert re.search(r'id="clock">([^<]+)<', dom).group(1) == "20/11/2026 06:00 (cố định)"
    versions = sorted((published.published / "versions").glob("par_metrics-*.duckdb"))
    stamp = versions[-1].name.removeprefix("par_metrics-").removesuffix(".duckdb")
    assert re.search(r'id="stamp">([^<]+)<', dom).group(1) == stamp
    ranked, ceased = query(
        published,
        "select count(rank_in_level), count(*) filter (where not is_unit_in_force and unit_name is not null) "
        "from marts.scorecard_766 where period_grain = 'month' and period_start = ?",
        [last],
    )[0]
    assert re.search(r"id=\"ranked-count\">(\d+)<", dom).group(1) == str(ranked)
    assert re.search(r"id=\"ceased-count\">(\d+)<", dom).group(1) == str(ceased)


def accepted_dossiers_in_landing(paths: Paths) -> int:
    """Accepted dossiers (METRICS.md §2: status not 1, 3 or 7, accepted), latest version per dossier number,
    counted from the landed Parquet itself."""
    files = str(paths.dataset_landing("dossier_api", "dossiers") / "batch=*" / "*.parquet")
    with duckdb.connect() as con:
        return con.execute(
            f"""
            select count(*) from (
                select *, row_number() over (partition by MaHoSo order by NgayCapNhat desc) as version
                from read_parquet('{files}')
            )
            where version = 1 and TrangThaiHoSo not in (1, 3, 7) and NgayTiepNhan is not null
            """
        ).fetchone()[0]


def test_the_warnings_section_shows_the_builds_anomalies(dom: str, published: Paths) -> None:
    from parmetrics.landing.writer import committed_batches

    section = re.search(r'<section id="data-quality".*?</section>', dom, re.S)
    assert section, "the publication has warnings: the section is there"
    rows = re.findall(r'<tr class="warning">(.*?)</tr>', section.group(0), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    by_check = {c[1]: c for c in cells}
    # No procedure catalogue is landed in this province: every accepted dossier's procedure is unknown.
    assert not committed_batches(published.dataset_landing("reference", "thu_tuc_hanh_chinh"))
    unknown = by_check["dossiers_with_unknown_procedure"]
    assert unknown[0] == "Tính toán (dbt)"
    assert unknown[3] == f"{accepted_dossiers_in_landing(published):,}".replace(",", ".")
    assert "published anyway" in unknown[4] and unknown[2].startswith("units ")
    assert "số liệu vẫn được công bố" in section.group(0)


def test_trend_lines_have_a_point_per_month_with_data(dom: str, published: Paths) -> None:
    province, body = series(dom, "province")
    points = re.findall(r'<circle class="point"[^>]*data-month="([\d-]+)"', body)
    assert len(points) == 24 == month_rows(published, province)
    assert points == sorted(points)
    unit, body = series(dom, "unit")
    assert len(re.findall(r'<circle class="point"', body)) == month_rows(published, unit) > 0


def test_a_unit_chosen_in_the_address_redraws_its_trend(report: Path, published: Paths, tmp_path) -> None:
    # A district: its rows stop with the 2025 reorganisation, so its line has fewer points than the province's.
    first, last = months_window(published)
    district = query(
        published,
        "select unit_code from marts.scorecard_766 where period_grain = 'month' and unit_level = 'district' "
        "and period_start between ? and ? group by 1 order by count(*) desc, 1 limit 1",
        [first, last],
    )[0][0]
    dom = run_chromium(f"{report.as_uri()}#unit={district}", tmp_path / "profile", "--dump-dom")
    unit, body = series(dom, "unit")
    assert unit == district
    assert 0 < len(re.findall(r'<circle class="point"', body)) == month_rows(published, district) < 24


def test_group_breakdown_has_the_six_groups(dom: str) -> None:
    for key in ("province", "unit"):
        segments = re.findall(rf'<rect class="segment segment-{key}" data-group="(\w+)"', dom)
        assert len(segments) == 6, key
        assert set(segments) == GROUPS


def test_screenshot(report: Path, tmp_path, capsys) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOT_DIR / "par_metrics_report.png"
    shot.unlink(missing_ok=True)
    run_chromium(
        report.as_uri(),
        tmp_path / "profile",
        "--hide-scrollbars",
        "--window-size=1100,3400",
        f"--screenshot={shot}",
    )
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1100, 3400)
    with capsys.disabled():
        print(f"\nscreenshot of the rendered report: {shot}")


def test_links_to_the_workbook_and_the_docs_resolve(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    nav = html.split("<nav", 1)[1].split("</nav>", 1)[0]
    hrefs = re.findall(r'href="([^"]+)"', nav)
    assert len(hrefs) == 3, nav  # the workbook, dbt docs, GX Data Docs: the gate ran, so all exist
    for href in hrefs:
        assert not href.startswith("/") and "://" not in href, href
        assert (report.parent / href).resolve().is_file(), href
    docs = (report.parent / hrefs[1]).read_text(encoding="utf-8")
    assert "criteria_scores" in docs, "dbt's static docs hold the manifest inline"
    assert "data_docs" in hrefs[2]
