"""The DAGs parse, and run end to end with ``dag.test()`` (real tasks, real dbt, real GX)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from parmetrics import ops
from parmetrics.landing.writer import committed_batches
from parmetrics.publish import file_sha256
from tests.dags.conftest import load_dag

DAGS = Path(__file__).resolve().parents[2] / "dags"
pytestmark = pytest.mark.airflow


def test_dagbag_has_no_import_errors(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {
        "ingest_reference",
        "ingest_dossiers",
        "ingest_documents",
        "ingest_dossiers_history",
        "ingest_documents_history",
        "ingest_finance",
        "build_marts",
        "publish_reports",
    }
    for dag in bag.dags.values():
        assert dag.doc_md, f"{dag.dag_id} explains why it exists"
    build = bag.get_dag("build_marts")
    assert build.max_active_runs == 1
    assert {t.pool for t in build.tasks} == {"duckdb_writer"}
    # The reports follow each publication, off the publishing path; only dbt docs read the build file.
    from parmetrics.orchestration import assets

    reports = bag.get_dag("publish_reports")
    assert reports.max_active_runs == 1
    assert reports.timetable.asset_condition == assets.PUBLISHED_MARTS
    assert {t.task_id: t.pool for t in reports.tasks} == {
        "parquet_set": "default_pool",
        "dbt_docs": "duckdb_writer",
        "write_reports": "default_pool",
    }
    assert all(t.retries == 2 for t in reports.tasks)
    # Reports are written with the previous docs when dbt docs could not be regenerated.
    assert reports.get_task("write_reports").trigger_rule == "all_done"


def test_the_file_drop_dags_come_from_one_factory_with_their_ids_assets_and_settings(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    shapes = {}
    for dag_id in ("ingest_finance", "ingest_reference"):
        dag = bag.get_dag(dag_id)
        (task,) = dag.tasks
        shapes[dag_id] = {
            "schedule": [a.uri for a in dag.timetable.asset_condition.objects],
            "watchers": [w.name for a in dag.timetable.asset_condition.objects for w in a.watchers],
            "task": task.task_id,
            "outlets": [o.uri for o in task.outlets],
            "retries": task.retries,
            "retry_delay": task.retry_delay.total_seconds(),
            "max_active_runs": dag.max_active_runs,
            "catchup": dag.catchup,
            "tags": sorted(dag.tags),
        }
        assert "inbox" in dag.doc_md and "quarantine" in dag.doc_md
        # The DAG file is thin: its docstring and one factory call.
        assert len((DAGS / f"{dag_id}.py").read_text().splitlines()) <= 15
    assert shapes == {
        "ingest_finance": {
            "schedule": ["parmetrics://sources/finance_inbox"],
            "watchers": ["finance_inbox_watcher"],
            "task": "land_finance_files",
            "outlets": ["parmetrics://landing/finance"],
            "retries": 1,
            "retry_delay": 30.0,
            "max_active_runs": 1,
            "catchup": False,
            "tags": ["finance", "ingestion"],
        },
        "ingest_reference": {
            "schedule": ["parmetrics://sources/reference_inbox"],
            "watchers": ["reference_inbox_watcher"],
            "task": "land_reference_files",
            "outlets": ["parmetrics://landing/reference"],
            "retries": 1,
            "retry_delay": 30.0,
            "max_active_runs": 1,
            "catchup": False,
            "tags": ["ingestion", "reference"],
        },
    }


def test_dags_are_nightly_with_a_real_data_interval_in_production(airflow_db, monkeypatch):
    from airflow.sdk import AssetOrTimeSchedule, CronDataIntervalTimetable

    monkeypatch.setenv("PARMETRICS_SCHEDULE_MODE", "nightly")
    from parmetrics.orchestration import assets, schedules

    schedule = schedules.nightly_ingestion("0 1 * * *", assets.DOSSIER_API_CHANGES)
    assert isinstance(schedule, AssetOrTimeSchedule)
    assert isinstance(schedule.timetable, CronDataIntervalTimetable)
    # The interval of the run at 03:00 local on 2026-11-20 is the previous day, 01:00 to 01:00 local,
    # and its window starts 15 minutes early, in the sources' naive local time.
    import pendulum
    from airflow.serialization.encoders import coerce_to_core_timetable

    from parmetrics.windows import window_for_run

    interval = coerce_to_core_timetable(schedule.timetable).infer_manual_data_interval(
        run_after=pendulum.datetime(2026, 11, 20, 3, 0, tz="Asia/Ho_Chi_Minh")
    )
    window = window_for_run(
        run_type="scheduled",
        interval_start=interval.start,
        interval_end=interval.end,
        high_water_mark=None,
        now=datetime(2026, 11, 20, 3, 0),
    )
    assert (window.updated_from, window.updated_to) == (datetime(2026, 11, 19, 0, 45), datetime(2026, 11, 20, 1, 0))


def test_history_twins_share_the_tasks_and_run_monthly_in_their_own_pool(airflow_db):
    from airflow.sdk import CronDataIntervalTimetable

    for nightly_id in ("ingest_dossiers", "ingest_documents"):
        nightly, twin = load_dag(nightly_id), load_dag(f"{nightly_id}_history")
        extract = {t.task_id for t in nightly.tasks if t.task_id.startswith("extract_")}
        assert extract and extract == {t.task_id for t in twin.tasks if t.task_id.startswith("extract_")}
        # The twin's window is its month and it never moves the watermark: only the extract tasks.
        assert "advance_watermark" in nightly.task_ids and set(twin.task_ids) == extract
        assert isinstance(twin.timetable, CronDataIntervalTimetable)
        assert {t.pool for t in twin.tasks} == {"history_ingestion"}
        landing = [o.name for o in nightly.get_task("advance_watermark").outlets]
        assert all([o.name for o in t.outlets] == landing for t in twin.tasks)


def test_history_twin_lands_its_month_and_leaves_the_watermark_alone(pipeline_env):
    import pendulum

    paths = pipeline_env
    assert run("ingest_reference").state == "success"
    # A manual run's data interval is the last whole month before its logical date (a backfill run's
    # logical date is its month's start): this one extracts March 2024.
    after_march = pendulum.datetime(2024, 4, 1, tz="Asia/Ho_Chi_Minh")
    assert run("ingest_dossiers_history", logical_date=after_march).state == "success"
    batches = committed_batches(paths.dataset_landing("dossier_api", "dossiers"))
    # The month plus the 15-minute safety margin, in the source's naive local time.
    assert [b.name for b in batches] == ["batch=20240229234500_20240401000000"]
    with duckdb.connect() as con:
        updated = con.execute(
            f"select min(NgayCapNhat), max(NgayCapNhat), count(*) from read_parquet('{batches[0]}/*.parquet')"
        ).fetchone()
    assert updated[2] > 0
    assert datetime(2024, 2, 29, 23, 45) <= updated[0] and updated[1] < datetime(2024, 4, 1)
    assert list(ops.read_records(paths, "source_watermarks")) == []
    landed = [r for r in ops.read_records(paths, "pipeline_runs") if r["stage"] == "history_landing"]
    assert sorted((r["dag_id"], r["dataset"], r["batch_id"], r["rows"] > 0) for r in landed) == [
        ("ingest_dossiers_history", "dossier_events", "20240229234500_20240401000000", True),
        ("ingest_dossiers_history", "dossiers", "20240229234500_20240401000000", True),
    ]


def run(dag_id: str, **kwargs):
    dag_run = load_dag(dag_id).test(**kwargs)
    return dag_run


def test_ingest_build_publish_through_the_dags(pipeline_env):
    paths = pipeline_env
    assert run("ingest_reference").state == "success"
    assert run("ingest_dossiers").state == "success"
    for dataset in ("dossiers", "dossier_events"):
        batches = committed_batches(paths.dataset_landing("dossier_api", dataset))
        assert [b.name for b in batches] == ["batch=open_20261120055500"]
    marks = [r["high_water_mark"] for r in ops.read_records(paths, "source_watermarks")]
    assert marks == ["2026-11-20 05:55:00", "2026-11-20 05:55:00"]

    assert run("build_marts").state == "success"
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        grains = con.execute(
            "select period_grain, count(*) from marts.criteria_scores group by 1 order by 1"
        ).fetchall()
        province = con.execute("select count(*) from marts.criteria_scores where unit_level = 'province'").fetchone()[0]
    assert {g for g, _ in grains} == {"month", "quarter", "year"}
    assert province > 0
    published = [r for r in ops.read_records(paths, "publish_log")]
    assert published
    assert not (paths.published / "reports").exists(), "publishing writes no report: publish_reports does"
    assert not (paths.published / "parquet").exists(), "nor the Parquet set"

    # The publication's asset event carries its stamp, which publish_reports reads to report on it.
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        extras = [e.extra for e in session.query(AssetEvent).filter(AssetEvent.source_dag_id == "build_marts")]
    assert extras == [{"published_at": published[-1]["published_at"]}]
    assert run("publish_reports").state == "success"
    stamp = published[-1]["published_at"]
    assert (paths.published / "reports" / f"par_metrics_{stamp}.xlsx").exists()
    assert (paths.published / "reports" / "par_metrics_latest.html").exists()
    assert os.readlink(paths.published / "parquet") == f"parquet_versions/{stamp}"
    assert (paths.published / "parquet" / "criteria_scores.parquet").is_file()


def test_gate_blocks_a_bad_mart_and_keeps_the_last_publication(pipeline_env, monkeypatch):
    paths = pipeline_env
    assert run("ingest_reference").state == "success"
    assert run("ingest_dossiers").state == "success"
    assert run("build_marts").state == "success"
    published_before = file_sha256(paths.published_db)

    from parmetrics.orchestration import build

    real_dbt_build = build.dbt_build

    def dbt_build_then_corrupt(run_id: str) -> dict:
        result = real_dbt_build(run_id)
        with duckdb.connect(str(paths.build_db)) as con:
            con.execute(
                # A row with a denominator: on one without, a rate also breaks "null when nothing to count".
                "update marts.criteria_scores set rate = 1.25, points = max_points + 5 "
                "where rowid = (select min(rowid) from marts.criteria_scores where denominator > 0)"
            )
        return result

    monkeypatch.setattr(build, "dbt_build", dbt_build_then_corrupt)
    dag_run = run("build_marts")
    assert dag_run.state == "failed"
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["quality_gate"] == "failed"
    assert states["publish"] == "upstream_failed"
    assert file_sha256(paths.published_db) == published_before
    # The build's dbt tests of severity warn are recorded too (stage dbt): anomalies, not what stopped it.
    failed = [r for r in ops.read_records(paths, "quality_results") if not r["success"] and r.get("stage") != "dbt"]
    assert {(r["suite"], r["expectation"], r["column"]) for r in failed} == {
        ("marts.criteria_scores", "expect_column_values_to_be_between", "rate"),
        ("marts.criteria_scores", "expect_column_pair_values_a_to_be_greater_than_b", "max_points"),
    }
