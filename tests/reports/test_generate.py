"""When and where the reports are written: after each publication, never at its expense."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.publish import KEEP_VERSIONS, file_sha256
from parmetrics.reports import generate
from tests.reports.published_province import data_env


@pytest.fixture
def copy(published: Paths, tmp_path: Path) -> Paths:
    """A private copy of the published province: these tests publish and write reports again."""
    target = Paths(tmp_path / "data")
    shutil.copytree(published.root, target.root, symlinks=True)
    return target


def test_publishing_writes_no_report_and_a_failing_report_leaves_the_publication(copy: Paths, monkeypatch) -> None:
    """The reports are publish_reports' work: a publication never waits for them, and a report that
    fails raises in that DAG's task (retried, visible) with the publication already in place."""
    from parmetrics.orchestration import build

    reports = copy.published / "reports"
    before = sorted(p.name for p in reports.iterdir())
    with data_env(copy):
        result = build.publish("reports-failure")
    assert result["checksum"] == file_sha256(copy.published_db), "the new publication is in place"
    assert sorted(p.name for p in reports.iterdir()) == before, "publishing wrote no report"

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("parmetrics.reports.generate_reports", broken)
    with data_env(copy), pytest.raises(OSError, match="disk full"):
        build.write_reports([result["published_at"]])
    assert file_sha256(copy.published_db) == result["checksum"]
    assert result["checksum"] in {r["file_checksum"] for r in ops.read_records(copy, "publish_log")}


def test_the_next_publication_gets_its_own_reports_and_latest_follows(copy: Paths, monkeypatch) -> None:
    from parmetrics.orchestration import build

    def no_dbt(*args, **kwargs):
        raise AssertionError("the dbt project did not change: its docs must not be generated again")

    monkeypatch.setattr("parmetrics.transform.dbt_runner.run_dbt", no_dbt)
    reports = copy.published / "reports"
    docs_before = (reports / generate.DBT_DOCS).stat().st_mtime_ns
    with data_env(copy):
        stamp = build.publish("reports-second")["published_at"]
        build.refresh_dbt_docs()
        written = build.write_reports([stamp])
    assert list(written) == [stamp]
    html = Path(written[stamp]["html"])
    workbook = Path(written[stamp]["workbook"])
    assert html.parent == reports and workbook.parent == reports
    assert stamp in html.name and stamp in workbook.name
    assert len(list(reports.glob("par_metrics_2*.html"))) == 2, "the first publication's report is kept"
    assert (reports / "par_metrics_latest.html").samefile(html)
    assert (reports / "par_metrics_latest.xlsx").samefile(workbook)
    assert (reports / generate.DBT_DOCS).stat().st_mtime_ns == docs_before


def test_publications_faster_than_reports_each_get_theirs_and_pruned_ones_are_skipped(copy: Paths) -> None:
    """Two publications before the reports DAG ran: one run writes both (from each one's version file,
    so each workbook shows its own publication); a stamp whose version was pruned is skipped."""
    from parmetrics.orchestration import build

    with data_env(copy):
        first = build.publish("burst-1")["published_at"]
        second = build.publish("burst-2")["published_at"]
        written = build.write_reports([second, first, "20200101T000000000000Z"])
    assert written["20200101T000000000000Z"] == {"skipped": "version pruned"}
    for stamp in (first, second):
        assert Path(written[stamp]["workbook"]).name == f"par_metrics_{stamp}.xlsx"
    reports = copy.published / "reports"
    assert (reports / "par_metrics_latest.html").samefile(written[second]["html"]), "latest is the newest"


def test_reports_are_kept_as_long_as_their_publication_version(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "data")
    versions = paths.published / "versions"
    out = generate.reports_dir(paths)
    versions.mkdir(parents=True)
    out.mkdir(parents=True)
    stamps = [f"2026010{i}T000000000000Z" for i in range(1, KEEP_VERSIONS + 3)]
    for stamp in stamps:
        for ext in ("xlsx", "html"):
            (out / f"par_metrics_{stamp}.{ext}").write_text("x")
    # publish pruned the two oldest versions; a third (rolled back) is gone too.
    kept = stamps[2:-1]
    for stamp in kept:
        (versions / f"par_metrics-{stamp}.duckdb").write_text("")
    (out / "par_metrics_latest.html").write_text("x")
    (out / ".par_metrics_x.html.0123.tmp").write_text("debris of a crash")
    os.utime(out / ".par_metrics_x.html.0123.tmp", (0, 0))
    (out / ".par_metrics_y.html.4567.tmp").write_text("a run in progress")

    generate._prune(out, paths, keep_stamp=kept[-1])

    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(
        [f"par_metrics_{s}.{ext}" for s in kept for ext in ("xlsx", "html")]
        + ["par_metrics_latest.html", ".par_metrics_y.html.4567.tmp"]
    )


def test_the_dbt_docs_fingerprint_follows_the_project(monkeypatch, tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "target").mkdir()
    (project / "models" / "a.sql").write_text("select 1")
    monkeypatch.setattr(generate, "DBT_PROJECT_DIR", project)
    first = generate.dbt_project_fingerprint()
    (project / "target" / "manifest.json").write_text("{}")  # dbt's own output changes nothing
    assert generate.dbt_project_fingerprint() == first
    (project / "models" / "a.sql").write_text("select 2")
    assert generate.dbt_project_fingerprint() != first


def test_parmetrics_report_after_a_rollback_reports_the_restored_publication(copy: Paths) -> None:
    from typer.testing import CliRunner

    from parmetrics.cli.main import app
    from parmetrics.orchestration import build
    from parmetrics.publish import rollback

    reports = copy.published / "reports"
    (version,) = (copy.published / "versions").glob("par_metrics-*.duckdb")
    first = reports / f"par_metrics_{version.name.removeprefix('par_metrics-').removesuffix('.duckdb')}.html"
    first_files = {p.name for p in reports.glob("par_metrics_2*")}
    assert first.name in first_files
    with data_env(copy):
        stamp = build.publish("reports-before-rollback")["published_at"]
        second = build.write_reports([stamp])[stamp]
    assert Path(second["html"]).name not in first_files
    rollback(copy)

    result = CliRunner().invoke(app, ["report", "--data-dir", str(copy.root), "--no-dbt-docs"])

    assert result.exit_code == 0, result.output
    assert {p.name for p in reports.glob("par_metrics_2*")} == first_files, "the rolled-back reports are gone"
    latest = reports / "par_metrics_latest.html"
    assert latest.samefile(first)
    assert str(first) in result.output
