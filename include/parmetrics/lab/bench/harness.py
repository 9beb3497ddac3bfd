"""``parmetrics bench``: generate a province, run the pipeline's stages one by one, measure, compare.

Order (each stage in its own process, see :mod:`.measure`): generate → land the file drops and the
document DB → the API's serving rate → extract the dossier history (monthly windows) → full ``dbt build``
→ the floor, checked row for row against the mart → gate → publish → extract the nightly day →
incremental ``dbt build`` → gate → publish → its Parquet set → BI queries → the same nightly day through
real Airflow → the dbt project as one Airflow task per model (Cosmos). Figures and targets go to a rich table and to
``<data>/bench/bench-<size>-<time>.json`` (and ``latest.json``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from parmetrics.config import Paths
from parmetrics.lab.bench.measure import StageRun, bytecode_env, run_stage
from parmetrics.lab.bench.stages import BenchPlan

OPTIONAL_STAGES = ("airflow", "cosmos", "serving", "bi")
# ``--only``: the extraction stages alone (after generating the sources and landing the reference data the
# landing gate checks against), for measuring extraction without the hour of stages after it at 8M.
ONLY_STAGES = ("serving", "extract_history")
# Windows of the history extraction in flight at once, each in a process of its own (as the history
# twins' month runs are in Airflow's two-slot pool). Two on two cores, where the simulated API needs
# CPU too (README, *What make bench measured*).
EXTRACT_PROCESSES = 2
# Path models of the floor comparison: criteria_scores' 766.2.1 rows and everything they read.
FLOOR_PATH_ROOTS = ("int_criteria__dossier_counts", "int_unit_history")
FLOOR_PATH_TOPS = ("int_criteria__dossier_counts", "int_criteria_counts", "criteria_scores", "int_unit_history")


@dataclass
class BenchOptions:
    skip: frozenset[str] = frozenset()
    serving_seconds: float = 30.0
    bi_runs: int = 50
    profile_extraction: bool = False
    timeout: float = 3600.0
    only: frozenset[str] = frozenset()
    extract_processes: int = EXTRACT_PROCESSES


@dataclass
class BenchRun:
    plan: BenchPlan
    paths: Paths
    out_dir: Path
    stages: dict[str, StageRun] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def bench_paths(data_root: Path, plan: BenchPlan) -> Paths:
    years = f"{plan.years:g}".replace(".", "_")
    return Paths(data_root / "bench" / f"d{plan.dossiers_per_year}y{years}")


def stage_env(paths: Paths, plan: BenchPlan, secret: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PARMETRICS_DATA_DIR": str(paths.root),
            "PARMETRICS_CLOCK": plan.clock.isoformat(),
            "PARMETRICS_PSEUDONYM_KEY": secret["pseudonym_key"],
            "GX_ANALYTICS_ENABLED": "False",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    env.update(bytecode_env(paths))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def reset_pipeline_state(paths: Paths) -> None:
    """Everything but the simulated sources: each bench run lands, builds and publishes from scratch."""
    for name in ("landing", "quarantine", "ops", "warehouse", "published", "gx", "airflow", "airflow_cosmos", "inbox"):
        shutil.rmtree(paths.root / name, ignore_errors=True)


def ancestors(parent_map: dict[str, list[str]], node: str) -> set[str]:
    seen: set[str] = set()
    todo = [node]
    while todo:
        for parent in parent_map.get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def floor_path_seconds(manifest: dict[str, Any], run_results: dict[str, Any]) -> dict[str, Any]:
    """The models the mart's 766.2.1 rows are computed through, and the sum of their execution times."""
    by_name = {n["name"]: uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    missing = [name for name in FLOOR_PATH_TOPS if name not in by_name]
    if missing:
        raise KeyError(f"dbt manifest has no model(s) {missing}: the floor's path changed")
    path = {by_name[name] for name in FLOOR_PATH_TOPS}
    for name in FLOOR_PATH_ROOTS:
        path |= ancestors(manifest["parent_map"], by_name[name])
    path = {uid for uid in path if uid in manifest["nodes"] and manifest["nodes"][uid]["resource_type"] == "model"}
    times = {r["unique_id"]: float(r["execution_time"]) for r in run_results["results"] if r["unique_id"] in path}
    not_run = sorted(path - times.keys())
    if not_run:
        raise KeyError(f"run_results.json lacks path model(s) {not_run}")
    return {
        "models": {uid.rsplit(".", 1)[1]: round(t, 3) for uid, t in sorted(times.items())},
        "seconds": sum(times.values()),
    }


def run_results_summary(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    nodes = data["results"]
    slowest = sorted(nodes, key=lambda r: -float(r["execution_time"]))[:8]
    return {
        "elapsed_time": data.get("elapsed_time"),
        "nodes": len(nodes),
        "execution_time_sum": sum(float(r["execution_time"]) for r in nodes),
        "slowest": {r["unique_id"].rsplit(".", 1)[1]: round(float(r["execution_time"]), 2) for r in slowest},
    }


def _stage(run: BenchRun, name: str, args: dict[str, Any], env: dict[str, str], console: Console) -> StageRun:
    console.print(f"[bold]{name}[/bold] …")
    stage = run_stage(name, args, env, run.paths.root / "bench_work")
    run.stages[name] = stage
    console.print(f"  {name}: {stage.seconds:.1f} s, peak RSS {stage.peak_rss_mb:.0f} MB")
    return stage


def run_bench(data_root: Path, plan: BenchPlan, options: BenchOptions, console: Console | None = None) -> dict:
    """Run every stage and return the figures (also written as JSON under ``<data_root>/bench/``)."""
    from parmetrics.lab.bench.floor import compare, mart_rows
    from parmetrics.lab.demo import demo_secrets, simulator

    console = console or Console()
    unknown = options.skip - set(OPTIONAL_STAGES)
    if unknown:
        raise ValueError(f"cannot skip {sorted(unknown)}; optional stages are {OPTIONAL_STAGES}")
    if options.only - set(ONLY_STAGES):
        raise ValueError(f"--only takes some of {ONLY_STAGES}, not {sorted(options.only - set(ONLY_STAGES))}")
    paths = bench_paths(data_root, plan)
    paths.root.mkdir(parents=True, exist_ok=True)
    run = BenchRun(plan, paths, data_root / "bench")
    secret = demo_secrets(paths)
    env = stage_env(paths, plan, secret)
    base = {"plan": plan.as_dict()}
    started = time.monotonic()

    reset_pipeline_state(paths)
    # `generate` also drops the reference and finance files into the inbox: they land before the
    # dossiers (the dossier landing suite checks unit codes against the reference snapshot).
    _stage(run, "generate", base, env, console)
    _stage(run, "land_other_sources", base, env, console)
    work = paths.root / "bench_work"
    with simulator(paths.sim / "dossier_api.sqlite", secret["dossier_api_token"], work) as port:
        api = {**base, "url": f"http://127.0.0.1:{port}", "token": secret["dossier_api_token"]}
        wanted = options.only or set(ONLY_STAGES)
        if "serving" not in options.skip and "serving" in wanted:
            _stage(run, "serving_rate", {**api, "max_seconds": options.serving_seconds}, env, console)
        if "extract_history" in wanted:
            history = {**api, "profile": options.profile_extraction, "processes": options.extract_processes}
            _stage(run, "extract_history", history, env, console)
        if options.only:
            report = _save(run, started)
            print_report(report, console)
            return report
        full = _stage(
            run,
            "dbt_full",
            {"dbt_args": ["build", "--full-refresh"], "keep_run_results": str(work / "run_results_full.json")},
            env,
            console,
        )
        floor = _stage(run, "floor", base, env, console)
        floor_rows = [(datetime.fromisoformat(r[0]).date(), r[1], r[2], r[3]) for r in floor.result["rows"]]
        compare(floor_rows, mart_rows(paths.build_db))
        run.extra["floor_rows"] = len(floor_rows)
        console.print(f"  the floor's {len(floor_rows)} rows equal the mart's monthly 766.2.1 rows")
        manifest = json.loads((work / "run_results_full.manifest.json").read_text())
        run.extra["floor_path"] = floor_path_seconds(manifest, json.loads(Path(full.result["run_results"]).read_text()))
        run.extra["dbt_full_run_results"] = run_results_summary(Path(full.result["run_results"]))
        _stage(run, "gate", {"run_id": "bench-history"}, env, console)
        _stage(run, "publish", {"run_id": "bench-history"}, env, console)
        _stage(run, "extract_day", api, env, console)
        incremental = _stage(
            run,
            "dbt_incremental",
            {"dbt_args": ["build"], "keep_run_results": str(work / "run_results_incremental.json")},
            env,
            console,
        )
        run.extra["dbt_incremental_run_results"] = run_results_summary(Path(incremental.result["run_results"]))
        _stage(run, "gate_nightly", {"run_id": "bench-nightly"}, env, console)
        _stage(run, "publish_nightly", {"run_id": "bench-nightly"}, env, console)
        # publish_reports' first task: the publication's Parquet set, from its version file.
        _stage(run, "parquet_nightly", base, env, console)
        # publish_reports' work: measured, but not part of the nightly run (the DAG it belongs to
        # starts after the publication's asset event).
        _stage(run, "reports", base, env, console)
        if "bi" not in options.skip:
            _stage(run, "bi_queries", {"published_db": str(paths.published_db), "runs": options.bi_runs}, env, console)
        # Saved now and again after each Airflow stage: those take minutes and must not cost the rest.
        _save(run, started)
        if "airflow" not in options.skip:
            from parmetrics.lab.bench.airflow_nightly import nightly_through_airflow

            console.print("[bold]airflow nightly[/bold] …")
            run.extra["airflow"] = nightly_through_airflow(paths, plan, secret, port, console, options.timeout)
            _save(run, started)
    if "cosmos" not in options.skip:
        from parmetrics.lab.bench.cosmos_run import cosmos_build

        console.print("[bold]cosmos (one Airflow task per dbt node)[/bold] …")
        run.extra["cosmos"] = cosmos_build(paths, plan, secret, manifest_path(work), console, options.timeout)
    report = _save(run, started)
    print_report(report, console)
    return report


def _save(run: BenchRun, started: float) -> dict[str, Any]:
    run.extra["total_seconds"] = time.monotonic() - started
    report = figures(run)
    run.extra["report_path"] = str(write_report(report, run.out_dir, run.extra.get("report_path")))
    return report


def manifest_path(work: Path) -> Path:
    return work / "run_results_full.manifest.json"


def _target(value: float | None, goal: float, lower_is_better: bool, label: str) -> dict[str, Any]:
    met = None if value is None else (value <= goal if lower_is_better else value >= goal)
    return {"value": value, "goal": goal, "met": met, "label": label}


def extraction_figures(s: dict[str, StageRun]) -> dict[str, Any]:
    """The history extraction's rates, against the API's serving rate when it was measured."""
    hist = s["extract_history"].result
    dossiers_per_s = hist["dossiers"]["rows"] / hist["dossiers"]["seconds"]
    events_per_s = hist["dossier_events"]["rows"] / hist["dossier_events"]["seconds"]
    both_seconds = hist["dossiers"]["seconds"] + hist["dossier_events"]["seconds"]
    extraction = {
        "dossiers": hist["dossiers"]["rows"],
        "events": hist["dossier_events"]["rows"],
        "dossiers_seconds": hist["dossiers"]["seconds"],
        "events_seconds": hist["dossier_events"]["seconds"],
        "dossiers_per_s": dossiers_per_s,
        "events_per_s": events_per_s,
        # Dossiers per second of the whole extraction (both datasets), what a backfill experiences.
        "dossiers_per_s_with_events": hist["dossiers"]["rows"] / both_seconds,
        "peak_rss_mb": s["extract_history"].peak_rss_mb,
        # All its processes together (the windows in flight), sampled.
        "peak_tree_rss_mb": s["extract_history"].peak_tree_rss_mb,
        "processes": hist["dossiers"].get("processes", 1),
    }
    serving = s["serving_rate"].result if "serving_rate" in s else None
    if serving:
        extraction["serving_dossiers_per_s"] = serving["dossiers"]["records_per_s"]
        extraction["serving_events_per_s"] = serving["dossier_events"]["records_per_s"]
        extraction["dossiers_share_of_serving"] = dossiers_per_s / serving["dossiers"]["records_per_s"]
        extraction["events_share_of_serving"] = events_per_s / serving["dossier_events"]["records_per_s"]
    return extraction


def _header(run: BenchRun) -> dict[str, Any]:
    gen = run.stages["generate"].result
    return {
        "plan": run.plan.as_dict(),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg()},
        "generation": {
            "dossiers": gen["dossiers"],
            "events": gen["events"],
            "cached": gen["cached"],
            "first_run_seconds": run.stages["generate"].seconds,
            "report": gen["report"],
        },
    }


def figures(run: BenchRun) -> dict[str, Any]:
    """Every figure, the ratios (each from the numbers named beside it) and the targets."""
    s = run.stages
    if "dbt_full" not in s:  # --only: the extraction stages
        out = _header(run)
        if "extract_history" in s:
            out["extraction"] = extraction_figures(s)
        out["serving"] = s["serving_rate"].result if "serving_rate" in s else None
        out["stages"] = {name: stage.as_dict() for name, stage in s.items()}
        out["total_seconds"] = run.extra["total_seconds"]
        out["targets"] = extraction_targets(out["extraction"]) if "extract_history" in s else {}
        return out
    extraction = extraction_figures(s)
    serving = s["serving_rate"].result if "serving_rate" in s else None
    full_s = s["dbt_full"].seconds
    incr_s = s["dbt_incremental"].seconds
    stages_nightly = {
        "extract_day": s["extract_day"].seconds,
        "dbt_incremental": incr_s,
        "gate": s["gate_nightly"].seconds,
        "publish": s["publish_nightly"].seconds,
    }
    floor_s = s["floor"].result["seconds"]
    path = run.extra["floor_path"]
    out: dict[str, Any] = {
        **_header(run),
        "extraction": extraction,
        "serving": serving,
        "dbt": {
            "full_seconds": full_s,
            "full_peak_rss_mb": s["dbt_full"].peak_rss_mb,
            "full_run_results": run.extra["dbt_full_run_results"],
            "incremental_seconds": incr_s,
            "incremental_peak_rss_mb": s["dbt_incremental"].peak_rss_mb,
            "incremental_run_results": run.extra["dbt_incremental_run_results"],
            "incremental_share_of_full": incr_s / full_s,
        },
        "gate": {
            "seconds": s["gate_nightly"].seconds,
            "peak_rss_mb": s["gate_nightly"].peak_rss_mb,
            "suites": s["gate_nightly"].result.get("suites"),
        },
        "publish": {
            "seconds": s["publish_nightly"].seconds,
            "peak_rss_mb": s["publish_nightly"].peak_rss_mb,
            "first_seconds": s["publish"].seconds if "publish" in s else None,
        },
        "parquet": (
            {"seconds": s["parquet_nightly"].seconds, "peak_rss_mb": s["parquet_nightly"].peak_rss_mb}
            if "parquet_nightly" in s
            else None
        ),
        "reports": (
            {"seconds": s["reports"].seconds, "peak_rss_mb": s["reports"].peak_rss_mb} if "reports" in s else None
        ),
        "nightly_stages_seconds": stages_nightly,
        "floor": {
            "seconds": floor_s,
            "peak_rss_mb": s["floor"].peak_rss_mb,
            "rows": run.extra["floor_rows"],
            "rows_equal_mart": True,
            "dbt_path_seconds": path["seconds"],
            "dbt_path_models": path["models"],
            "ratio": path["seconds"] / floor_s,
        },
        "stages": {name: stage.as_dict() for name, stage in s.items() if name not in ("floor", "bi_queries")},
        "total_seconds": run.extra["total_seconds"],
    }
    out["stages"]["floor"] = {"seconds": s["floor"].seconds, "peak_rss_mb": s["floor"].peak_rss_mb}
    if "bi_queries" in s:
        out["bi"] = s["bi_queries"].result
    if "airflow" in run.extra:
        a = run.extra["airflow"]
        out["airflow"] = {**a, "overhead_seconds": a["end_to_end_seconds"] - sum(stages_nightly.values())}
    if "cosmos" in run.extra:
        c = run.extra["cosmos"]
        out["cosmos"] = {**c, "ratio_to_single_build": c["seconds"] / full_s}
    out["targets"] = targets(out)
    return out


def extraction_targets(ext: dict[str, Any]) -> dict[str, Any]:
    return {
        "extraction_dossiers_per_s": _target(ext["dossiers_per_s"], 20_000, False, "extraction ≥ 20,000 dossiers/s"),
        "extraction_share_of_serving": _target(
            ext.get("dossiers_share_of_serving"), 0.5, False, "extraction ≥ 50% of the serving rate"
        ),
    }


def targets(f: dict[str, Any]) -> dict[str, Any]:
    ext, dbt = f["extraction"], f["dbt"]
    # Issue 18's goals, for a large province (8M dossiers) on 2 cores; the memory goals are peak RSS.
    t = {
        **extraction_targets(ext),
        "full_build_seconds": _target(dbt["full_seconds"], 150, True, "full dbt build < 150 s"),
        "full_build_rss_mb": _target(dbt["full_peak_rss_mb"], 4 * 1024, True, "full dbt build < 4 GB RSS"),
        "incremental_share": _target(dbt["incremental_share_of_full"], 0.10, True, "nightly dbt build < 10% of full"),
        "gate_seconds": _target(f["gate"]["seconds"], 15, True, "nightly gate < 15 s"),
        "gate_rss_mb": _target(f["gate"]["peak_rss_mb"], 4 * 1024, True, "nightly gate < 4 GB RSS"),
        "publish_seconds": _target(f["publish"]["seconds"], 10, True, "nightly publish < 10 s"),
        "floor_ratio": _target(f["floor"]["ratio"], 1.5, True, "766.2.1 models within 1.5× the floor"),
    }
    if "airflow" in f:
        t["nightly_end_to_end_seconds"] = _target(
            f["airflow"]["end_to_end_seconds"], 90, True, "nightly through Airflow end to end < 90 s"
        )
    if "bi" in f:
        worst = max(q["p95_ms"] for q in f["bi"]["queries"].values())
        t["bi_p95_ms"] = _target(worst, 50, True, "BI query p95 < 50 ms (worst query)")
    return t


def write_report(report: dict[str, Any], out_dir: Path, path: str | None = None) -> Path:
    """``bench-<size>-<time>.json`` (rewritten in place as later stages finish) and ``latest.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = report["plan"]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(path) if path else out_dir / f"bench-d{plan['dossiers_per_year']}y{plan['years']:g}-{stamp}.json"
    text = json.dumps(report, indent=2, default=str)
    path.write_text(text)
    (out_dir / "latest.json").write_text(text)
    return path


def _extraction_rows(report: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    e = report.get("extraction")
    if e is None:
        serving = report.get("serving")
        if serving:
            rates = (serving["dossiers"]["records_per_s"], serving["dossier_events"]["records_per_s"])
            yield "API serving rate", f"{rates[0]:,.0f} dossiers/s · {rates[1]:,.0f} events/s", ""
        return
    processes = e.get("processes", 1)
    tree = e.get("peak_tree_rss_mb")
    yield (
        f"extraction ({processes} window{'s' if processes > 1 else ''} in flight)",
        f"{e['dossiers_per_s']:,.0f} dossiers/s · {e['events_per_s']:,.0f} events/s",
        f"{tree:.0f} MB" if tree else f"{e['peak_rss_mb']:.0f} MB",
    )
    if "serving_dossiers_per_s" in e:
        yield (
            "API serving rate",
            (
                f"{e['serving_dossiers_per_s']:,.0f} dossiers/s · {e['serving_events_per_s']:,.0f} events/s "
                f"(extraction {e['dossiers_share_of_serving']:.0%} / {e['events_share_of_serving']:.0%})"
            ),
            "",
        )


def _rows(report: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    yield "generation", f"{report['generation']['dossiers']:,} dossiers, {report['generation']['events']:,} events", ""
    yield from _extraction_rows(report)
    if "dbt" not in report:  # --only
        return
    d = report["dbt"]
    yield "dbt build (full)", f"{d['full_seconds']:.1f} s", f"{d['full_peak_rss_mb']:.0f} MB"
    yield (
        "dbt build (nightly)",
        f"{d['incremental_seconds']:.1f} s ({d['incremental_share_of_full']:.0%} of full)",
        (f"{d['incremental_peak_rss_mb']:.0f} MB"),
    )
    yield "GX gate (nightly)", f"{report['gate']['seconds']:.1f} s", f"{report['gate']['peak_rss_mb']:.0f} MB"
    p = report["publish"]
    first = f" (first publication {p['first_seconds']:.1f} s)" if p.get("first_seconds") else ""
    yield "publish (nightly)", f"{p['seconds']:.1f} s{first}", f"{p['peak_rss_mb']:.0f} MB"
    if report.get("parquet"):
        q = report["parquet"]
        yield "Parquet set (after publishing)", f"{q['seconds']:.1f} s", f"{q['peak_rss_mb']:.0f} MB"
    if report.get("reports"):
        r = report["reports"]
        yield "reports (after publishing)", f"{r['seconds']:.1f} s", f"{r['peak_rss_mb']:.0f} MB"
    fl = report["floor"]
    yield (
        "floor (one statement)",
        (
            f"{fl['seconds']:.2f} s; dbt path {fl['dbt_path_seconds']:.1f} s = {fl['ratio']:.1f}× "
            f"({fl['rows']} rows equal)"
        ),
        f"{fl['peak_rss_mb']:.0f} MB",
    )
    if "airflow" in report:
        a = report["airflow"]
        yield (
            "nightly through Airflow",
            (f"{a['end_to_end_seconds']:.1f} s end to end; Airflow overhead {a['overhead_seconds']:.1f} s"),
            f"{a['peak_rss_mb']:.0f} MB" if a.get("peak_rss_mb") else "",
        )
    if "cosmos" in report:
        c = report["cosmos"]
        yield (
            "Cosmos, a task per node",
            f"{c['seconds']:.1f} s for {c['tasks']} tasks = {c['ratio_to_single_build']:.1f}× one dbt build"
            + ("" if c.get("complete", True) else f" (a lower bound: failed {c['failed_tasks'][:3]})"),
            "",
        )
    if "bi" in report:
        for name, q in report["bi"]["queries"].items():
            yield f"BI {name}", f"median {q['median_ms']:.1f} ms · p95 {q['p95_ms']:.1f} ms ({q['rows']} rows)", ""


def print_report(report: dict[str, Any], console: Console) -> None:
    plan = report["plan"]
    table = Table(title=f"parmetrics bench: {plan['dossiers_per_year']:,} dossiers/year × {plan['years']:g} year(s)")
    table.add_column("stage")
    table.add_column("figure")
    table.add_column("peak RSS", justify="right")
    for row in _rows(report):
        table.add_row(*row)
    console.print(table)
    goals = Table(title="targets (noisy: 2 shared cores)")
    goals.add_column("target")
    goals.add_column("value", justify="right")
    goals.add_column("met")
    for t in report["targets"].values():
        value = "—" if t["value"] is None else f"{t['value']:,.3g}"
        goals.add_row(t["label"], value, {True: "[green]yes[/green]", False: "[red]no[/red]", None: "—"}[t["met"]])
    console.print(goals)
