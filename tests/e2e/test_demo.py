"""`make run`'s path, end to end: real `airflow standalone`, the simulator, twice.

The second run must really re-extract the same windows (the demo resets its watermarks), rebuild and
republish, and publish identical criteria_scores rows; nothing may be left running afterwards. What it
printed and the reports it wrote rank only units in force at the shown month's end (by the don_vi
snapshot as landed), show the ceased apart, and list every dossier by a number that landed (issue 15).
"""

from __future__ import annotations

import duckdb
import psutil
import pytest
from rich.console import Console

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.lab.demo import DemoSettings, run_demo
from parmetrics.landing.writer import committed_batches, read_manifest
from tests.processes import processes_with_env
from tests.reports import acceptance as a
from tests.reports.chromium import rendered_dom

# Two full demo runs through airflow standalone: minutes each on a loaded 2-core machine.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(2400)]


def criteria_rows(paths: Paths) -> list[tuple]:
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        return con.execute("select * from marts.criteria_scores order by all").fetchall()


def airflow_processes(airflow_home) -> list[psutil.Process]:
    return processes_with_env("AIRFLOW_HOME", str(airflow_home))


def test_make_run_twice_publishes_identical_rows_and_leaves_nothing_running(tmp_path, capsys):
    paths = Paths(tmp_path / "data")
    settings = DemoSettings(n_dossiers=800, timeout=600)
    console = Console(width=160, force_terminal=False)

    assert run_demo(paths, settings, console) == 0
    first = criteria_rows(paths)
    first_publications = list(ops.read_records(paths, "publish_log"))
    first_manifest = read_manifest(committed_batches(paths.dataset_landing("dossier_api", "dossiers"))[0])
    assert run_demo(paths, settings, console) == 0
    second = criteria_rows(paths)

    assert first, "the first run published criteria rows"
    assert second == first
    publications = list(ops.read_records(paths, "publish_log"))
    # Every landing event triggers a build; the second run published again (more records than the first).
    assert len(publications) > len(first_publications), "the second run republished"
    # The watermarks were reset, so the second run extracted the same window again from an open start
    # and replaced (not duplicated) its batch with identical rows.
    marks = sorted(
        (m["dataset"], m["batch_id"])
        for m in ops.read_records(paths, "source_watermarks")
        if m["source"] == "dossier_api"
    )
    assert marks == [("dossier_events", "open_20261120055500"), ("dossiers", "open_20261120055500")]
    batches = committed_batches(paths.dataset_landing("dossier_api", "dossiers"))
    assert [b.name for b in batches] == ["batch=open_20261120055500"]
    second_manifest = read_manifest(batches[0])
    assert second_manifest["committed_at"] > first_manifest["committed_at"], "re-extracted"
    assert second_manifest["row_count"] == first_manifest["row_count"]
    assert second_manifest["files"] == first_manifest["files"], "identical rows, byte for byte"

    out = capsys.readouterr().out
    assert "766.2.1" in out and "UBND tỉnh" in out
    assert airflow_processes(paths.root / "airflow") == [], "no Airflow process outlives the demo"

    # Issue 15: the rankings of what was printed and written, against the units as landed.
    units = a.landed_units(paths)
    month = a.summary_month(out)
    end = a.month_end(month)
    reports = paths.published / "reports"
    book = a.workbook(reports / "par_metrics_latest.xlsx")
    dom = rendered_dom(reports / "par_metrics_latest.html", tmp_path / "chromium")
    assert a.workbook_month(book) == a.html_month(dom) == month
    ranked = {
        "summary": a.summary_ranked_units(out),
        "workbook": {u for level in a.workbook_ranked_units(book).values() for u in level},
        "html": {u for level in a.html_ranked_units(dom).values() for u in level},
    }
    apart = {
        "summary": a.summary_apart_units(out),
        "workbook": set(a.workbook_apart_units(book)),
        "html": a.html_apart_units(dom),
    }
    for output in ranked:
        assert ranked[output] and apart[output], output
        assert sorted(u for u in ranked[output] if not a.in_force(units[u], end)) == [], f"{output} ranks ceased units"
        assert sorted(u for u in apart[output] if u in units and a.in_force(units[u], end)) == [], output
    landed = a.landed_dossier_codes(paths)
    for sheet, codes in a.workbook_list_codes(book).items():
        assert set(codes) <= landed, f"{sheet}: {sorted(set(codes) - landed)[:5]} are no landed MaHoSo"
    assert a.workbook_list_codes(book)["DS hồ sơ quá hạn"], "the demo province has overdue dossiers"
