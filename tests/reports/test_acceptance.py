"""Issue 15's acceptance over a published simulated province (the reports' shared fixture, the path of
``make run`` without Airflow): no unit whose validity ended before the shown month appears in any
ranking of the terminal summary, the workbook or the HTML report, every ceased unit with figures is
shown apart, and every dossier of the workbook's lists is a dossier number that landed.

Truth comes from landing (the don_vi snapshot as landed, the dossiers' MaHoSo); what is shown comes
from the outputs as written (tests/reports/acceptance.py); neither from the marts.
"""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from parmetrics.config import Paths
from tests.reports import acceptance as a
from tests.reports.chromium import rendered_dom
from tests.reports.published_province import data_env


@pytest.fixture(scope="module")
def summary(published: Paths) -> str:
    from parmetrics.reports.scorecard import print_scorecard

    console = Console(width=220, record=True, force_terminal=False)
    with data_env(published):
        assert print_scorecard(published.published_db, console) > 0
    return console.export_text()


@pytest.fixture(scope="module")
def book(published: Paths):
    return a.workbook(published.published / "reports" / "par_metrics_latest.xlsx")


@pytest.fixture(scope="module")
def dom(published: Paths, tmp_path_factory) -> str:
    return rendered_dom(published.published / "reports" / "par_metrics_latest.html", tmp_path_factory.mktemp("c"))


@pytest.fixture(scope="module")
def units(published: Paths) -> dict:
    units = a.landed_units(published)
    assert any(u["valid_to"] is not None for u in units.values()), "the province went through the reorganisation"
    return units


def test_the_three_outputs_show_the_same_month(summary: str, book, dom: str) -> None:
    assert a.summary_month(summary) == a.workbook_month(book) == a.html_month(dom)


def test_no_ranking_shows_a_unit_not_in_force(summary: str, book, dom: str, units: dict) -> None:
    end = a.month_end(a.summary_month(summary))
    shown = {
        "summary": a.summary_ranked_units(summary),
        "workbook": {u for level in a.workbook_ranked_units(book).values() for u in level},
        "html": {u for level in a.html_ranked_units(dom).values() for u in level},
    }
    for output, ranked in shown.items():
        assert ranked, f"{output} ranks units"
        not_in_force = sorted(u for u in ranked if not a.in_force(units[u], end))
        assert not_in_force == [], f"{output} ranks units whose validity ended before {end}"


def test_the_ceased_units_with_figures_are_shown_apart_and_only_apart(
    summary: str, book, dom: str, units: dict, published: Paths
) -> None:
    end = a.month_end(a.summary_month(summary))
    apart = {
        "summary": a.summary_apart_units(summary),
        "workbook": set(a.workbook_apart_units(book)),
        "html": a.html_apart_units(dom),
    }
    for output, shown in apart.items():
        assert shown, f"{output} shows the ceased units apart"
        assert not [u for u in shown if u in units and a.in_force(units[u], end)], output
    # The summary and the HTML show the month: the same units, those of the workbook's apart sheet with a
    # month row (the workbook adds those with figures in the year only).
    assert apart["summary"] == apart["html"] <= apart["workbook"]


def test_every_dossier_in_the_workbook_lists_landed(book, published: Paths) -> None:
    landed = a.landed_dossier_codes(published)
    lists = a.workbook_list_codes(book)
    for sheet, codes in lists.items():
        assert codes, f"{sheet} has rows in the simulated province"
        assert set(codes) <= landed, f"{sheet}: {sorted(set(codes) - landed)[:5]} are no landed MaHoSo"


def test_the_summary_counts_what_it_ranks_and_shows_apart(summary: str) -> None:
    tables = a.summary_tables(summary)
    on_time = tables["766.2.1 —"]
    ranked = re.search(r"Ranked: (\d+) units in force", summary)
    ceased = re.search(r"Shown apart, not ranked: (\d+) ceased units", summary)
    assert int(ranked.group(1)) == len(on_time)
    apart = [row for key, rows in tables.items() if key.endswith("đơn vị đã kết thúc hoạt động") for row in rows]
    assert int(ceased.group(1)) == len(apart)
    assert re.search(r"reference clock 2026-11-20 06:00:00 \(PARMETRICS_CLOCK\)", summary)
    assert re.search(r"publication \d{8}T\d{6}\d*Z", summary)
