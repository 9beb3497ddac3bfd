"""Which data-quality warnings belong to a publication (reports/warnings.py), from hand-written
ops.quality_results records in the shape the landing gate, the build and the mart gate write; and the
build's records of dbt's warn-severity tests (transform/dbt_runner.py), from a hand-made dbt target."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.reports.warnings import publication_warnings
from parmetrics.transform.dbt_runner import warning_test_records

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def landing(
    minutes: int,
    run_id: str | None,
    batch: str,
    *,
    suite: str = "landing.dossier_api.dossiers",
    expectation: str = "expect_column_pair_values_a_to_be_greater_than_b",
    rule: str | None = "due_after_received",
    success: bool = False,
    severity: str | None = "warning",
    count: int | None = 2,
    subject: str | None = None,
) -> dict:
    source, dataset, batch_id = batch.split("/")
    record = {
        "recorded_at": at(minutes),
        "run_id": run_id,
        "stage": "landing",
        "source": source,
        "dataset": dataset,
        "batch_id": batch_id.removeprefix("batch="),
        "subject": subject or batch,
        "suite": suite,
        "expectation": expectation if not success else "*",
        "rule": rule if not success else None,
        "success": success,
        "unexpected_count": None if success else count,
        "message": f"{subject or batch}: {suite} {rule} failed for {count} rows; landed anyway"
        if not success
        else "passed",
    }
    if severity is not None and not success:
        record["severity"] = severity
    return record


def dbt(minutes: int, invocation: str, run_id: str, test: str, failures: int, *, started: int) -> dict:
    return {
        "recorded_at": at(minutes),
        "run_id": run_id,
        "stage": "dbt",
        "suite": "dbt",
        "severity": "warning",
        "expectation": test,
        "rule": test,
        "invocation_id": invocation,
        "build_started_at": at(started),
        "success": failures == 0,
        "unexpected_count": failures or None,
        "subject": "units H30.01" if failures else None,
        "message": f"{test.replace('_', ' ')}: {failures} rows" if failures else f"{test}: none",
    }


DOSSIERS = "dossier_api/dossiers/batch=20261119"
REVENUE = "finance/thu_ngan_sach/batch=202610"


def checks(records: list[dict]) -> list[tuple[str, str, str]]:
    return [(w.stage, w.subject, w.check) for w in publication_warnings(records)]


def test_no_records_no_warnings() -> None:
    assert publication_warnings([]) == []


def test_a_landed_batchs_warning_is_the_publications_with_its_message_and_count() -> None:
    (warning,) = publication_warnings([landing(0, "r1", DOSSIERS)])
    assert (warning.stage, warning.subject, warning.check, warning.count) == (
        "landing",
        DOSSIERS,
        "due_after_received",
        2,
    )
    assert warning.message.startswith(f"{DOSSIERS}: landing.dossier_api.dossiers due_after_received failed")


def test_a_relanded_batch_supersedes_its_old_warnings() -> None:
    records = [
        landing(0, "r1", DOSSIERS),
        landing(0, "r1", DOSSIERS, rule="unknown_unit", expectation="expect_column_values_to_be_in_set"),
        # Landed again: the deadline anomaly is gone (the suite passed), the unknown unit persists.
        landing(30, "r2", DOSSIERS, rule="unknown_unit", expectation="expect_column_values_to_be_in_set", count=1),
    ]
    assert checks(records) == [("landing", DOSSIERS, "unknown_unit")]
    assert publication_warnings(records)[0].count == 1, "the newer evaluation's count"
    assert checks([*records, landing(60, "r3", DOSSIERS, success=True)]) == [], "a clean re-landing clears all"


def test_a_rejected_relanding_leaves_the_landed_versions_warnings() -> None:
    records = [
        landing(0, "r1", REVENUE, suite="landing.finance.thu_ngan_sach.month_on_month", rule="revenue_drop"),
        # The re-sent file broke a contract rule: rejected, the first version stays in landing.
        landing(30, "r2", REVENUE, rule="amount_not_negative", severity="critical"),
        landing(30, "r2", REVENUE, rule="unknown_unit"),
    ]
    assert checks(records) == [("landing", REVENUE, "revenue_drop")]


def test_a_record_without_severity_is_critical_never_a_warning() -> None:
    # The landing records before the severity split: failures were rejections.
    legacy = {**landing(0, "r1", DOSSIERS, severity=None), "stage": "landing:dossier_api.dossiers"}
    assert checks([legacy]) == []
    assert checks([landing(0, "r1", DOSSIERS, severity=None), landing(0, "r1", DOSSIERS, rule="x")]) == [], (
        "the evaluation it belongs to was a rejection: nothing of it landed"
    )


def test_a_batch_only_ever_rejected_has_no_warnings() -> None:
    records = [landing(0, "r1", REVENUE, severity="critical"), landing(0, "r1", REVENUE, rule="revenue_drop")]
    assert checks(records) == []


def test_a_resent_file_is_the_same_batch_and_supersedes_the_first() -> None:
    first = landing(0, "r1", REVENUE, subject="thu_ngan_sach_202610.csv", rule="revenue_drop")
    resent = landing(30, "r2", REVENUE, subject="thu_ngan_sach_202610_v2.csv", rule="unknown_sector")
    (warning,) = publication_warnings([first, resent])
    assert (warning.subject, warning.check) == ("thu_ngan_sach_202610_v2.csv", "unknown_sector")


def test_a_retry_under_one_run_id_keeps_one_warning_per_rule() -> None:
    records = [landing(0, "r1", DOSSIERS, count=2), landing(5, "r1", DOSSIERS, count=3)]
    (warning,) = publication_warnings(records)
    assert warning.count == 3, "the newer of the two"


def test_only_the_newest_builds_dbt_warnings_and_its_mart_gate_warnings() -> None:
    records = [
        dbt(10, "inv-1", "build-1", "dossiers_with_unknown_procedure", 7, started=8),
        dbt(10, "inv-1", "build-1", "dossiers_with_negative_supplement_pause", 1, started=8),
        {"recorded_at": at(11), "run_id": "build-1", "stage": "marts", "suite": "marts.x", "expectation": "e",
         "rule": "old_gate_warning", "success": False, "severity": "warning"},
        dbt(40, "inv-2", "build-2", "dossiers_with_unknown_procedure", 5, started=38),
        dbt(40, "inv-2", "build-2", "dossiers_with_negative_supplement_pause", 0, started=38),
        {"recorded_at": at(41), "run_id": "build-2", "stage": "marts", "suite": "marts.y", "expectation": "e",
         "rule": "gate_warning", "success": False, "severity": "warning", "subject": "marts.y"},
        {"recorded_at": at(41), "run_id": "build-2", "stage": "marts", "suite": "marts.z", "expectation": "e",
         "success": True},
    ]  # fmt: skip
    warnings = publication_warnings(records)
    assert [(w.stage, w.check, w.count) for w in warnings] == [
        ("dbt", "dossiers_with_unknown_procedure", 5),
        ("marts", "gate_warning", None),
    ]


def test_landing_after_the_build_started_is_for_the_next_publication() -> None:
    records = [
        dbt(40, "inv-2", "build-2", "dossiers_with_unknown_procedure", 0, started=38),
        landing(30, "r1", DOSSIERS, rule="before_the_build"),
        landing(39, "r2", REVENUE, rule="while_the_build_ran"),
    ]
    assert checks(records) == [("landing", DOSSIERS, "before_the_build")]


def test_warnings_read_back_from_a_publication_file(tmp_path: Path) -> None:
    """Through ops files and the publication's ops table (recorded_at as timestamps, columns as the union of
    the records' keys), as the report reads them."""
    from parmetrics.publish import publish

    paths = Paths(tmp_path / "data")
    for record in (landing(0, "r1", DOSSIERS), landing(30, "r2", REVENUE, rule="revenue_drop", count=None)):
        ops.write_record(paths, "quality_results", record)
    ops.write_record(paths, "quality_results", dbt(50, "inv", "b", "dossiers_with_unknown_procedure", 3, started=45))
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema marts; create table marts.t as select 1 as x")
    publish(paths, build_db=build, parquet=False)
    target = paths.published_db
    from parmetrics.reports.warnings import load_warnings

    with duckdb.connect(str(target), read_only=True) as con:
        got = [(w.stage, w.check, w.count) for w in load_warnings(con)]
    assert got == [
        ("landing", "due_after_received", 2),
        ("landing", "revenue_drop", None),
        ("dbt", "dossiers_with_unknown_procedure", 3),
    ]


# -- the build's records of dbt tests of severity warn ---------------------------------------------------


def _target(tmp_path: Path, results: list[dict], nodes: dict) -> Path:
    target = tmp_path / "dbt_target"
    target.mkdir()
    metadata = {"invocation_id": "inv-7", "invocation_started_at": "2026-11-20T01:00:00.5Z"}
    (target / "run_results.json").write_text(json.dumps({"metadata": metadata, "results": results}))
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    return target


def _test_node(name: str, severity: str) -> dict:
    return {"resource_type": "test", "name": name, "config": {"severity": severity}, "description": ""}


def test_warn_tests_are_recorded_with_their_count_and_units(tmp_path: Path) -> None:
    build_db = tmp_path / "build.duckdb"
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            "create table lifecycle as select * from (values ('D1', 'U1', 'P9'), ('D2', 'U1', 'P9'), "
            "('D3', 'U2', 'P8'), ('D4', 'U3', 'P1')) as t(dossier_id, unit_code, procedure_code)"
        )
    failing = "select dossier_id, unit_code, procedure_code from lifecycle where procedure_code != 'P1'"
    target = _target(
        tmp_path,
        [
            {"unique_id": "test.p.dossiers_with_unknown_procedure", "status": "warn", "failures": 3,
             "compiled_code": failing},
            {"unique_id": "test.p.dossiers_with_negative_pause", "status": "pass", "failures": 0,
             "compiled_code": "select 1 where false"},
            {"unique_id": "test.p.province_is_sum_of_units", "status": "pass", "failures": 0},
            {"unique_id": "model.p.criteria_scores", "status": "success"},
        ],
        {
            "test.p.dossiers_with_unknown_procedure": _test_node("dossiers_with_unknown_procedure", "warn"),
            "test.p.dossiers_with_negative_pause": _test_node("dossiers_with_negative_pause", "WARN"),
            "test.p.province_is_sum_of_units": _test_node("province_is_sum_of_units", "ERROR"),
            "model.p.criteria_scores": {"resource_type": "model", "name": "criteria_scores", "config": {}},
        },
    )  # fmt: skip
    records = {r["expectation"]: r for r in warning_test_records(target, build_db)}
    assert set(records) == {"dossiers_with_unknown_procedure", "dossiers_with_negative_pause"}, "warn tests only"
    failed = records["dossiers_with_unknown_procedure"]
    assert (failed["stage"], failed["severity"], failed["success"]) == ("dbt", "warning", False)
    assert failed["unexpected_count"] == 3 and failed["units"] == {"U1": 2, "U2": 1}
    assert failed["subject"] == "units U1, U2"
    assert failed["message"] == (
        "dossiers with unknown procedure: 3 rows in 2 units (U1 2, U2 1); "
        "published anyway: a dbt test of severity warn only warns"
    )
    assert len(failed["failing_row_sample"]) == 3 and failed["failing_row_sample"][0].keys() == {
        "dossier_id",
        "unit_code",
        "procedure_code",
    }
    assert failed["invocation_id"] == "inv-7"
    assert failed["build_started_at"] == "2026-11-20T01:00:00.500000+00:00"
    passed = records["dossiers_with_negative_pause"]
    assert passed["success"] is True and passed["message"] == "dossiers with negative pause: none"


def test_the_build_task_records_warn_tests_only_of_its_own_invocation(tmp_path: Path, monkeypatch) -> None:
    from parmetrics.orchestration import build

    paths = Paths(tmp_path / "data")
    monkeypatch.setenv("PARMETRICS_DATA_DIR", str(paths.root))
    (paths.warehouse).mkdir(parents=True)
    target = paths.warehouse / "dbt_target"
    target.mkdir()
    (target / "run_results.json").write_text(
        json.dumps(
            {
                "metadata": {"invocation_id": "inv-1", "invocation_started_at": "2026-11-20T01:00:00Z"},
                "results": [{"unique_id": "test.p.w", "status": "warn", "failures": 4}],
            }
        )
    )
    (target / "manifest.json").write_text(json.dumps({"nodes": {"test.p.w": _test_node("w", "warn")}}))
    later = (target / "run_results.json").stat().st_mtime + 60
    assert build.record_warning_tests("run-a", since=later) == 0, "results older than the build: not its own"
    assert list(ops.read_records(paths, "quality_results")) == []
    assert build.record_warning_tests("run-a", since=later - 120) == 1
    (record,) = ops.read_records(paths, "quality_results")
    assert (record["run_id"], record["expectation"], record["unexpected_count"]) == ("run-a", "w", 4)
    assert record["message"] == "w: 4 rows; published anyway: a dbt test of severity warn only warns"
