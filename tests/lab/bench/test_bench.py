"""``parmetrics bench`` at a tiny size: the floor equals the mart, the JSON has every figure, and each
ratio is the hand-computed quotient of synthetic stage figures. Airflow and Cosmos are left out here (minutes of
scheduler start-up); their arithmetic is checked on synthetic stage results below."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psutil
import pytest

from parmetrics.config import REPO_ROOT
from parmetrics.lab.bench.cosmos_run import COSMOS_DAGS
from parmetrics.lab.bench.floor import FloorMismatch, compare, mart_rows, run_floor
from parmetrics.lab.bench.harness import (
    BenchOptions,
    BenchRun,
    bench_paths,
    figures,
    floor_path_seconds,
    run_bench,
)
from parmetrics.lab.bench.measure import StageRun, run_stage
from parmetrics.lab.bench.stages import BenchPlan

# 3,000 dossiers over three months: four monthly backfill windows, a running month and closed ones.
PLAN = BenchPlan(dossiers_per_year=12_000, years=0.25, finance=False)
# The module's fixture runs every stage but the two Airflow ones (a few minutes on 2 idle cores).
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    root = tmp_path_factory.mktemp("bench")
    report = run_bench(root, PLAN, BenchOptions(skip=frozenset({"airflow", "cosmos"}), serving_seconds=2, bi_runs=5))
    return report, root


def test_the_floor_equals_the_mart_after_the_nightly_build_too(bench):
    report, root = bench
    paths = bench_paths(root, PLAN)
    # The harness compared them after the full build; the landing has grown by a day since, and the
    # incremental build and the floor must still agree row for row.
    floor = run_floor(paths).rows
    mart = mart_rows(paths.build_db)
    compare(floor, mart)
    assert report["floor"]["rows_equal_mart"] is True and report["floor"]["rows"] > 0
    months = {r[0] for r in floor}
    assert len(months) >= 3 and all(isinstance(m, date) for m in months)
    # Real counts, not a degenerate table: numerators below denominators somewhere, none above.
    assert any(0 < r[2] < r[3] for r in floor) and all(r[2] <= r[3] for r in floor)


def test_the_comparison_fails_when_one_row_differs(bench):
    _, root = bench
    mart = mart_rows(bench_paths(root, PLAN).build_db)
    wrong = [*mart[:-1], (*mart[-1][:2], mart[-1][2] + 1, mart[-1][3])]
    with pytest.raises(FloorMismatch, match="only in the floor"):
        compare(wrong, mart)
    with pytest.raises(FloorMismatch):
        compare(mart[1:], mart)


def test_the_json_holds_every_figure(bench):
    _, root = bench
    saved = json.loads((root / "bench" / "latest.json").read_text())
    assert saved["plan"]["dossiers_per_year"] == PLAN.dossiers_per_year
    e = saved["extraction"]
    assert e["dossiers"] > 2_500 and e["events"] > e["dossiers"]
    for name in ("dossiers_per_s", "events_per_s", "serving_dossiers_per_s", "serving_events_per_s", "peak_rss_mb"):
        assert e[name] > 0, name
    d = saved["dbt"]
    assert d["full_seconds"] > 0 and d["incremental_seconds"] > 0 and d["full_peak_rss_mb"] > 50
    assert saved["gate"]["seconds"] > 0 and saved["publish"]["seconds"] > 0
    # The reports are measured apart: publish_reports runs after the publication, off the nightly path.
    assert saved["reports"]["seconds"] > 0 and "reports" not in saved["nightly_stages_seconds"]
    # So is the Parquet set, publish_reports' first task.
    assert saved["parquet"]["seconds"] > 0 and "parquet" not in saved["nightly_stages_seconds"]
    assert saved["publish"]["first_seconds"] > 0
    # The nightly gate validated the build's changes only: some suites a part of their table.
    suites = saved["gate"]["suites"]
    assert suites["marts.dossier_facts"]["rows"] < suites["marts.dossier_facts"]["table_rows"]
    assert saved["floor"]["seconds"] > 0 and saved["floor"]["dbt_path_seconds"] > 0
    assert set(saved["bi"]["queries"]) == {"scorecard_month", "unit_trend_24_months", "overdue_list"}
    assert all(q["p95_ms"] >= q["median_ms"] > 0 and q["rows"] > 0 for q in saved["bi"]["queries"].values())
    measured = (
        "extract_history",
        "dbt_full",
        "dbt_incremental",
        "gate_nightly",
        "publish_nightly",
        "parquet_nightly",
        "reports",
        "floor",
    )
    for stage in measured:
        assert saved["stages"][stage]["peak_rss_mb"] > 20, stage
    assert {"floor_ratio", "incremental_share", "extraction_dossiers_per_s", "bi_p95_ms"} <= saved["targets"].keys()
    assert "airflow" not in saved and "cosmos" not in saved  # skipped here, never faked


def test_the_766_2_1_path_is_timed_from_the_full_builds_models(bench):
    report, _ = bench
    f = report["floor"]
    # The path runs from the dossier staging models to the mart, and leaves out what 766.2.1 never reads
    # (model names inside the path are the dbt project's to change; these anchors are not).
    path = f["dbt_path_models"].keys()
    assert {"stg_dossier_api__dossiers", "criteria_scores"} <= path and len(path) >= 6
    assert not any("finance_counts" in m or "document_counts" in m for m in path)
    assert 0 < f["dbt_path_seconds"] < report["dbt"]["full_seconds"]


def _stage(name: str, seconds: float, result: dict | None = None) -> StageRun:
    return StageRun(name, seconds, 100.0, result or {})


def test_every_ratio_is_the_hand_computed_quotient_of_the_stages():
    stages = {
        "generate": _stage("generate", 1, {"dossiers": 10, "events": 40, "cached": True, "report": {}}),
        "extract_history": _stage(
            "extract_history",
            9,
            {"dossiers": {"rows": 1000, "seconds": 2.0}, "dossier_events": {"rows": 4000, "seconds": 4.0}},
        ),
        "serving_rate": _stage(
            "serving_rate", 2, {"dossiers": {"records_per_s": 2000.0}, "dossier_events": {"records_per_s": 5000.0}}
        ),
        "extract_day": _stage("extract_day", 3.0),
        "dbt_full": _stage("dbt_full", 40.0),
        "dbt_incremental": _stage("dbt_incremental", 8.0),
        "gate_nightly": _stage("gate_nightly", 5.0),
        "publish_nightly": _stage("publish_nightly", 2.0),
        "floor": _stage("floor", 1.5, {"seconds": 0.5}),
    }
    run = BenchRun(PLAN, bench_paths(Path("/nonexistent"), PLAN), Path("/nonexistent"), stages)
    run.extra = {
        "floor_rows": 12,
        "floor_path": {"seconds": 1.25, "models": {}},
        "dbt_full_run_results": {},
        "dbt_incremental_run_results": {},
        "total_seconds": 100,
        "airflow": {"end_to_end_seconds": 30.0},
        "cosmos": {"seconds": 160.0, "tasks": 80},
    }
    out = figures(run)
    # 30 s end to end less the nightly stages 3 + 8 + 5 + 2 = 18 s.
    assert out["airflow"]["overhead_seconds"] == pytest.approx(12.0)
    assert out["cosmos"]["ratio_to_single_build"] == pytest.approx(4.0)  # 160 / 40
    assert out["floor"]["ratio"] == pytest.approx(2.5)  # 1.25 / 0.5
    e = out["extraction"]
    assert e["dossiers_per_s"] == pytest.approx(500)  # 1000 / 2
    assert e["events_per_s"] == pytest.approx(1000)  # 4000 / 4
    assert e["dossiers_per_s_with_events"] == pytest.approx(166.6667, rel=1e-5)  # 1000 / (2 + 4)
    assert e["dossiers_share_of_serving"] == pytest.approx(0.25)  # 500 / 2000
    assert e["events_share_of_serving"] == pytest.approx(0.2)  # 1000 / 5000
    assert out["dbt"]["incremental_share_of_full"] == pytest.approx(0.2)  # 8 / 40
    assert out["targets"]["floor_ratio"]["met"] is False and out["targets"]["nightly_end_to_end_seconds"]["met"]
    assert out["targets"]["incremental_share"]["value"] == pytest.approx(0.2)


def test_the_targets_are_issue_18s():
    stages = {
        "generate": _stage("generate", 1, {"dossiers": 10, "events": 40, "cached": True, "report": {}}),
        "extract_history": _stage(
            "extract_history",
            9,
            {"dossiers": {"rows": 1000, "seconds": 2.0}, "dossier_events": {"rows": 4000, "seconds": 4.0}},
        ),
        "extract_day": _stage("extract_day", 3.0),
        "dbt_full": StageRun("dbt_full", 160.0, 4200.0, {}),  # within the old 3 min and 6 GB, not 150 s and 4 GB
        "dbt_incremental": _stage("dbt_incremental", 8.0),
        "gate_nightly": StageRun("gate_nightly", 14.0, 4100.0, {}),  # in time, over 4 GB
        "publish_nightly": _stage("publish_nightly", 10.5),
        "floor": _stage("floor", 1.5, {"seconds": 1.0}),
        "bi_queries": _stage("bi_queries", 1, {"queries": {"a": {"p95_ms": 49.0}, "b": {"p95_ms": 51.0}}}),
    }
    run = BenchRun(PLAN, bench_paths(Path("/nonexistent"), PLAN), Path("/nonexistent"), stages)
    run.extra = {
        "floor_rows": 12,
        "floor_path": {"seconds": 1.6, "models": {}},  # 1.6×: within the old 2×, not 1.5×
        "dbt_full_run_results": {},
        "dbt_incremental_run_results": {},
        "total_seconds": 100,
        "airflow": {"end_to_end_seconds": 89.0},
    }
    met = {name: t["met"] for name, t in figures(run)["targets"].items()}
    assert met == {
        "extraction_dossiers_per_s": False,
        "extraction_share_of_serving": None,  # no serving rate measured
        "full_build_seconds": False,
        "full_build_rss_mb": False,
        "incremental_share": True,  # 8 / 160 = 5 %
        "gate_seconds": True,
        "gate_rss_mb": False,
        "publish_seconds": False,
        "floor_ratio": False,
        "nightly_end_to_end_seconds": True,
        "bi_p95_ms": False,  # the worst query counts
    }


def test_airflow_memory_is_the_peak_of_its_process_tree():
    """A parent holding ~60 MB and a child holding ~150 MB: the largest process and the tree's sum."""
    import time

    from parmetrics.lab.bench.airflow_nightly import TreeMemory

    child = "import time; b = bytearray(150 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"
    parent = (
        "import subprocess, sys, time\n"
        "b = bytearray(60 * 2**20); b[::4096] = b'x' * len(b[::4096])\n"
        f"subprocess.Popen([sys.executable, '-c', {child!r}]).wait()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent])
    try:
        with TreeMemory(proc.pid, interval=0.05) as memory:
            deadline = time.monotonic() + 20
            while memory.peak_process_mb < 150 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.3)
    finally:
        for p in psutil.Process(proc.pid).children(recursive=True):
            p.kill()
        proc.kill()
        proc.wait()
    assert 150 <= memory.peak_process_mb < 200
    assert memory.peak_total_mb >= 150 + 60


def test_path_models_are_the_ancestors_of_the_766_2_1_chain():
    def node(name: str, kind: str = "model") -> tuple[str, dict]:
        return f"{kind}.p.{name}", {"name": name, "resource_type": kind}

    nodes = dict(
        node(n)
        for n in (
            "stg_a",
            "int_x",
            "int_criteria__dossier_counts",
            "int_unit_history",
            "int_criteria_counts",
            "criteria_scores",
            "other",
        )
    )
    nodes.update([node("calendar_overrides", "seed")])
    manifest = {
        "nodes": nodes,
        "parent_map": {
            "model.p.int_x": ["model.p.stg_a", "seed.p.calendar_overrides"],
            "model.p.int_criteria__dossier_counts": ["model.p.int_x"],
            "model.p.int_unit_history": [],
            "model.p.int_criteria_counts": ["model.p.int_criteria__dossier_counts", "model.p.other"],
            "model.p.criteria_scores": ["model.p.int_criteria_counts", "model.p.int_unit_history"],
        },
    }
    results = {"results": [{"unique_id": uid, "execution_time": 1.5} for uid in nodes]}
    path = floor_path_seconds(manifest, results)
    assert set(path["models"]) == {
        "stg_a",
        "int_x",
        "int_criteria__dossier_counts",
        "int_unit_history",
        "int_criteria_counts",
        "criteria_scores",
    }
    assert path["seconds"] == pytest.approx(6 * 1.5)


def test_a_failing_stage_names_itself_and_its_log(tmp_path):
    # The floor stage over an empty landing fails with its one-line error, named with its log.
    with pytest.raises(RuntimeError, match="bench stage floor failed"):
        run_stage("floor", {}, {"PARMETRICS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}, tmp_path / "w")


def test_the_cosmos_dag_renders_one_task_per_model_in_the_one_writer_pool(bench, tmp_path):
    _, root = bench
    manifest_file = bench_paths(root, PLAN).root / "bench_work" / "run_results_full.manifest.json"
    nodes = json.loads(manifest_file.read_text())["nodes"].values()
    models = {n["name"] for n in nodes if n["resource_type"] == "model"}
    script = (
        "import json, runpy\n"
        f"dag = runpy.run_path({str(COSMOS_DAGS / 'par_metrics_cosmos.py')!r})['par_metrics_cosmos']\n"
        "print(json.dumps({'ids': [t.task_id for t in dag.tasks], 'pools': sorted({t.pool for t in dag.tasks}),"
        " 'kinds': sorted({type(t).__name__ for t in dag.tasks})}))\n"
    )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "PARMETRICS_BENCH_MANIFEST": str(manifest_file),
    }
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    dag = json.loads(proc.stdout.strip().splitlines()[-1])
    run_tasks = {i.removesuffix("_run").removesuffix(".run") for i in dag["ids"] if i.endswith(("run", ".run"))}
    assert run_tasks == models
    assert dag["pools"] == ["duckdb_writer"]
    assert "DbtTestLocalOperator" in dag["kinds"]  # tests after each model: the Cosmos default
    # Never in the repository's DAGs folder.
    dags = sorted((REPO_ROOT / "dags").glob("*.py"))
    assert dags and not any("cosmos" in p.read_text() for p in dags)


def test_only_the_extraction_stages_run_with_only(tmp_path):
    report = run_bench(
        tmp_path,
        PLAN,
        BenchOptions(only=frozenset({"serving", "extract_history"}), serving_seconds=1, extract_processes=2),
    )
    paths = bench_paths(tmp_path, PLAN)
    stages = set(report["stages"])
    assert stages == {"generate", "land_other_sources", "serving_rate", "extract_history"}
    e = report["extraction"]
    assert e["processes"] == 2 and e["dossiers"] > 2_500 and e["events"] > e["dossiers"]
    # Both windows in flight counted: the sampled sum of the processes' RSS exceeds the largest one.
    assert e["peak_tree_rss_mb"] > e["peak_rss_mb"] > 20
    assert set(report["targets"]) == {"extraction_dossiers_per_s", "extraction_share_of_serving"}
    assert "dbt" not in report and not paths.build_db.exists() and not paths.published_db.exists()
    # Every monthly window landed as its own batch: 3,000 dossiers over three months → four windows.
    batches = sorted(p.name for p in paths.dataset_landing("dossier_api", "dossiers").glob("batch=*"))
    assert len(batches) == len(PLAN.history_windows()) == 4
    saved = json.loads((tmp_path / "bench" / "latest.json").read_text())
    assert saved["extraction"]["dossiers_per_s"] == pytest.approx(e["dossiers_per_s"])
    with pytest.raises(ValueError, match=r"--only takes some of \('serving', 'extract_history'\), not \['dbt_full'\]"):
        run_bench(tmp_path, PLAN, BenchOptions(only=frozenset({"dbt_full"})))


def test_the_extraction_figures_of_an_only_run_are_the_hand_computed_quotients():
    stages = {
        "generate": _stage("generate", 1, {"dossiers": 10, "events": 40, "cached": True, "report": {}}),
        "extract_history": StageRun(
            "extract_history",
            9,
            300.0,
            {
                "dossiers": {"rows": 3000, "seconds": 2.0, "processes": 3},
                "dossier_events": {"rows": 9000, "seconds": 4.0, "processes": 3},
            },
            750.0,
        ),
        "serving_rate": _stage(
            "serving_rate", 2, {"dossiers": {"records_per_s": 2000.0}, "dossier_events": {"records_per_s": 4500.0}}
        ),
    }
    run = BenchRun(PLAN, bench_paths(Path("/nonexistent"), PLAN), Path("/nonexistent"), stages)
    run.extra = {"total_seconds": 12}
    out = figures(run)
    e = out["extraction"]
    assert e["dossiers_per_s"] == pytest.approx(1500)  # 3000 / 2
    assert e["events_per_s"] == pytest.approx(2250)  # 9000 / 4
    assert e["dossiers_share_of_serving"] == pytest.approx(0.75)  # 1500 / 2000
    assert e["events_share_of_serving"] == pytest.approx(0.5)  # 2250 / 4500
    assert (e["processes"], e["peak_rss_mb"], e["peak_tree_rss_mb"]) == (3, 300.0, 750.0)
    assert out["targets"]["extraction_share_of_serving"]["met"] is True
    assert out["targets"]["extraction_dossiers_per_s"]["met"] is False  # 1,500 < 20,000
    assert "dbt" not in out and out["stages"]["extract_history"]["peak_tree_rss_mb"] == 750.0
