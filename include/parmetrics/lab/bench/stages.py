"""The bench's stages, each run in its own process by :func:`parmetrics.lab.bench.measure.run_stage`.

``python -m parmetrics.lab.bench.stages <stage> <args.json> <result.json>``: the stage reads its arguments,
does its work against ``PARMETRICS_DATA_DIR`` and writes its result. Every stage calls the pipeline's own
code (extractor, dbt runner, quality gate, publisher), never a copy of it.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from parmetrics.config import paths

DOSSIER_DATASETS = ("dossiers", "dossier_events")


@dataclass(frozen=True)
class BenchPlan:
    """What the bench simulates: ``dossiers_per_year`` for ``years`` years up to ``end``; the nightly run
    lands the last day (``end`` − 1 day → the reference clock, as the nightly DAG's window would)."""

    dossiers_per_year: int = 1_000_000
    years: float = 1.0
    seed: int = 766
    end: datetime = datetime(2026, 11, 20)
    # Finance reports are on no measured path (each file is gated on landing): tests leave them out.
    finance: bool = True

    @property
    def start(self) -> date:
        return (self.end - timedelta(days=round(365.25 * self.years))).date()

    @property
    def day_start(self) -> datetime:
        return self.end - timedelta(days=1)

    @property
    def clock(self) -> datetime:
        # The nightly run six hours after the source's last change, as in the demo.
        return self.end + timedelta(hours=6)

    def simulation(self) -> Any:
        from parmetrics.lab.simulators.generate import SimulationPlan

        # Finance reports for the last two calendar years only: each file is gated on landing, and
        # finance is not on any path this bench measures.
        finance_start = max(self.start, date(self.end.year - 1, 1, 1))
        return SimulationPlan(
            seed=self.seed,
            end=self.end,
            start=self.start,
            dossiers_per_year=self.dossiers_per_year,
            finance_start=finance_start,
        )

    def history_windows(self) -> list[tuple[datetime | None, datetime]]:
        """Monthly backfill windows up to the start of the nightly day (the first one open below)."""
        bounds: list[datetime] = []
        month = datetime(self.start.year, self.start.month, 1)
        while True:
            month = (month + timedelta(days=32)).replace(day=1)
            if month >= self.day_start:
                break
            bounds.append(month)
        bounds.append(self.day_start)
        return list(zip([None, *bounds[:-1]], bounds, strict=True))

    def nightly_window(self) -> Any:
        from parmetrics.windows import window_for_run

        return window_for_run(
            run_type="manual", interval_start=None, interval_end=None, high_water_mark=self.day_start, now=self.clock
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "end": self.end.isoformat(), "start": self.start.isoformat()}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> BenchPlan:
        return cls(
            dossiers_per_year=int(value["dossiers_per_year"]),
            years=float(value["years"]),
            seed=int(value["seed"]),
            end=datetime.fromisoformat(value["end"]),
            finance=bool(value.get("finance", True)),
        )


def generate(args: dict[str, Any]) -> dict[str, Any]:
    """The simulated sources, reused when the same plan already generated them."""
    from parmetrics.lab.simulators.generate import generate_sources

    plan = BenchPlan.from_dict(args["plan"])
    p = paths()
    sim = plan.simulation()
    marker = p.sim / "settings.json"
    cached = (p.sim / "dossier_api.sqlite").exists() and marker.exists() and marker.read_text() == sim.fingerprint()
    databases = () if cached else ("dossiers", "documents")
    started = time.monotonic()
    drops = ("reference", "finance") if plan.finance else ("reference",)
    report = generate_sources(p, type(sim)(**{**sim.__dict__, "sources": (*databases, *drops)}))
    if not cached:
        marker.write_text(sim.fingerprint())
    from parmetrics.lab.simulators.dossier_data import read_meta

    meta = read_meta(p.sim / "dossier_api.sqlite")
    return {
        "cached": cached,
        "seconds": round(time.monotonic() - started, 2),
        "dossiers": int(meta["dossiers"]),
        "events": int(meta["dossier_events"]),
        "report": report,
    }


def land_other_sources(args: dict[str, Any]) -> dict[str, Any]:
    """Reference and finance files through their inboxes, the document DB up to the nightly run."""
    from parmetrics.quality.landing_gate import landing_gates
    from parmetrics.sources.document_db import extract_all
    from parmetrics.sources.finance_files import land_finance_inbox
    from parmetrics.sources.reference_files import land_reference_inbox_files
    from parmetrics.windows import SAFETY_LAG

    plan = BenchPlan.from_dict(args["plan"])
    p = paths()
    gates = landing_gates(p)
    reference = land_reference_inbox_files(p.reference_inbox, p, gates=gates)
    finance = land_finance_inbox(p.inbox, p, gates=gates)
    documents = extract_all(f"sqlite:///{p.sim / 'document_db.sqlite'}", None, plan.clock - SAFETY_LAG, p, gates=gates)
    return {
        "reference_files": len(reference),
        "finance_files": len(finance),
        "documents": {t: s["rows"] for t, s in documents.items()},
    }


def _extract(
    args: dict[str, Any],
    windows: list[tuple[datetime | None, datetime]],
    datasets: tuple[str, ...],
    processes: int = 1,
) -> dict[str, Any]:
    """Each dataset's windows, one dataset after the other (so each has its own rate). With
    ``processes`` > 1, that many windows are in flight at once, each in a process of its own, as a
    backfill's month runs are in Airflow; with 1, one after another in this process."""
    from parmetrics.config import pseudonymisation_key
    from parmetrics.quality.landing_gate import landing_gate
    from parmetrics.sources.dossier_api import ApiConnection, extract_window
    from parmetrics.sources.dossier_api.parallel import extract_windows, raise_for_failures

    conn = ApiConnection(args["url"], args["token"])
    key = pseudonymisation_key()
    p = paths()
    out: dict[str, Any] = {}
    for dataset in datasets:
        started = time.perf_counter()
        if processes > 1:
            outcomes = extract_windows(conn, dataset, windows, p, key, processes=processes, gate_factory=landing_gate)
            raise_for_failures(outcomes)
            landed = [o.stats for o in outcomes]
        else:
            landed = [
                extract_window(conn, dataset, lo, hi, p, key, gate=landing_gate(p, "dossier_api", dataset))
                for lo, hi in windows
            ]
        seconds = time.perf_counter() - started
        out[dataset] = {
            "rows": sum(s["rows"] for s in landed),
            "read": sum(s["read"] for s in landed),
            "pages": sum(s["pages"] for s in landed),
            "windows": len(windows),
            "processes": processes,
            "seconds": seconds,
        }
    return out


def extract_history(args: dict[str, Any]) -> dict[str, Any]:
    """The real extractor over the monthly backfill windows, one dataset after the other, with
    ``args["processes"]`` windows in flight (default 1)."""
    plan = BenchPlan.from_dict(args["plan"])
    processes = int(args.get("processes", 1))
    if args.get("profile"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(_extract, args, plan.history_windows(), DOSSIER_DATASETS, processes)
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(25)
        return result
    return _extract(args, plan.history_windows(), DOSSIER_DATASETS, processes)


def extract_day(args: dict[str, Any]) -> dict[str, Any]:
    """The nightly window of both datasets, and the watermark the nightly DAG run will start from."""
    from parmetrics import ops

    plan = BenchPlan.from_dict(args["plan"])
    window = plan.nightly_window()
    result = _extract(args, [(window.updated_from, window.updated_to)], DOSSIER_DATASETS)
    for dataset in DOSSIER_DATASETS:
        # The Airflow nightly run extracts from here again (replacing the same batch).
        ops.record_watermark(
            paths(),
            "dossier_api",
            dataset,
            high_water_mark=plan.day_start,
            rows_landed=result[dataset]["rows"],
            quarantined=0,
            batch_id="bench",
            run_id="bench",
        )
    return {**result, "window": window.as_dict()}


def serving_rate(args: dict[str, Any]) -> dict[str, Any]:
    """The simulator's own rate: the API paged by a client that does nothing with the rows."""
    from parmetrics.lab.bench.serving import page_through

    plan = BenchPlan.from_dict(args["plan"])
    return {
        dataset: page_through(args["url"], args["token"], dataset, plan.history_windows(), args["max_seconds"])
        for dataset in DOSSIER_DATASETS
    }


def dbt(args: dict[str, Any]) -> dict[str, Any]:
    """One ``dbt`` invocation through the pipeline's runner; the run_results.json is kept beside."""
    import shutil

    from parmetrics.transform.dbt_runner import run_dbt

    p = paths()
    result = run_dbt(p, *args["dbt_args"])
    keep = Path(args["keep_run_results"])
    shutil.copyfile(result.target_path / "run_results.json", keep)
    shutil.copyfile(result.target_path / "manifest.json", keep.with_name(keep.stem + ".manifest.json"))
    return {"seconds": result.seconds, "statuses": result.statuses, "run_results": str(keep)}


def gate(args: dict[str, Any]) -> dict[str, Any]:
    """The build DAG's own gate task callable, so the Airflow run's overhead is measured against it."""
    from parmetrics.orchestration.build import quality_gate

    return {"suites": quality_gate(args.get("run_id", "bench"))}


def publish(args: dict[str, Any]) -> dict[str, Any]:
    """The build DAG's own publish task callable (the reports are the next stage, off the nightly path)."""
    from parmetrics.orchestration.build import publish as publish_task

    return publish_task(args.get("run_id", "bench"))


def parquet_set(args: dict[str, Any]) -> dict[str, Any]:
    """publish_reports' Parquet task on the current publication: its set, from its version file."""
    from parmetrics.orchestration.build import publish_parquet

    return publish_parquet([])


def reports(args: dict[str, Any]) -> dict[str, Any]:
    """The publish_reports DAG's task callables on the current publication: dbt docs, workbook, HTML."""
    from parmetrics.orchestration import build

    docs = build.refresh_dbt_docs()
    return {**docs, "reports": build.write_reports([])}


def floor(args: dict[str, Any]) -> dict[str, Any]:
    from parmetrics.lab.bench.floor import run_floor

    result = run_floor(paths())
    return {"seconds": result.seconds, "rows": [[str(r[0]), r[1], r[2], r[3]] for r in result.rows]}


def bi_queries(args: dict[str, Any]) -> dict[str, Any]:
    from parmetrics.lab.bench.bi import run_bi_queries

    return run_bi_queries(Path(args["published_db"]), int(args["runs"]))


STAGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "generate": generate,
    "land_other_sources": land_other_sources,
    "extract_history": extract_history,
    "extract_day": extract_day,
    "serving_rate": serving_rate,
    "dbt_full": dbt,
    "dbt_incremental": dbt,
    "gate": gate,
    "gate_nightly": gate,
    "publish": publish,
    "publish_nightly": publish,
    "parquet_nightly": parquet_set,
    "reports": reports,
    "floor": floor,
    "bi_queries": bi_queries,
}


def main(argv: list[str]) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    name, args_file, result_file = argv
    if name not in STAGES:
        raise SystemExit(f"unknown bench stage {name!r}; expected one of {sorted(STAGES)}")
    result = STAGES[name](json.loads(Path(args_file).read_text()))
    Path(result_file).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
