"""The HTML report, rendered by headless Chromium from the file (no server), draws every chart.

The page holds no marks until its script runs, so counting marks in the rendered DOM proves the
script ran; each count is compared with the marts (queried here, not by the report code).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from parmetrics.config import REPO_ROOT, Paths

SCREENSHOT_DIR = REPO_ROOT / ".tmp" / "reports"
GROUPS = {
    "transparency_points",
    "progress_points",
    "online_service_points",
    "online_payment_points",
    "digitisation_points",
    "satisfaction_points",
}


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("Chromium is not installed (.ci/run installs the Debian package)")


def run_chromium(url: str, profile: Path, *args: str) -> str:
    proc = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",  # a profile of its own: parallel runs never share a lock
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


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


def test_one_bar_per_unit_of_each_level(dom: str, published: Paths) -> None:
    _, last = months_window(published)
    expected: dict[str, set[str]] = {"province": set(), "department": set(), "district": set(), "commune": set()}
    for unit, level in query(
        published,
        "select unit_code, unit_level from marts.scorecard_766 where period_grain = 'month' and period_start = ?",
        [last],
    ):
        expected[level].add(unit)
    drawn = sections(dom, "chart ranking")
    assert set(drawn) == set(expected)
    for level, units in expected.items():
        bars = re.findall(r'<rect class="bar" data-unit="([^"]+)"', drawn[level])
        assert len(bars) == len(units), level
        assert set(bars) == units, level
    assert len(expected["department"]) > 1 and len(expected["commune"]) > 1, "the fixture ranks several units"


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
