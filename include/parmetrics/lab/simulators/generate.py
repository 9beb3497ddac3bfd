"""Generate every simulated source of the province into a data directory, with progress bars.

- dossier API dataset: ``<sim>/dossier_api.sqlite`` (served by :mod:`.dossier_api`);
- document database: ``<sim>/document_db.sqlite`` (or PostgreSQL given a DSN);
- reference snapshots: ``<inbox>/reference/{don_vi,thu_tuc_hanh_chinh,niem_yet_website}_<YYYYMM>.csv``;
- finance reports: ``<inbox>/{thu_ngan_sach,giai_ngan_dau_tu_cong,dang_ky_doanh_nghiep}_<YYYYMM>.<csv|xlsx>``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from parmetrics.config import Paths

SOURCES = ("dossiers", "documents", "reference", "finance")
# `make run`: 10,000 dossiers a year (≈ 79,000 from 2019-01-01 to 2026-11-20) keeps the whole
# pipeline within its time budget; the full-size province is 50,000 a year (--dossiers-per-year).
DEMO_DOSSIERS_PER_YEAR = 10_000
FULL_DOSSIERS_PER_YEAR = 50_000
PROVINCE_START = date(2019, 1, 1)
# Website listings: only the newest snapshots are authoritative, so only the last few are dropped.
WEBSITE_SNAPSHOTS = 2


@dataclass(frozen=True)
class SimulationPlan:
    seed: int = 766
    end: datetime = datetime(2026, 11, 20)
    start: date = PROVINCE_START
    dossiers_per_year: int | None = DEMO_DOSSIERS_PER_YEAR
    n_dossiers: int | None = None  # a total instead of a rate
    sources: tuple[str, ...] = SOURCES
    workers: int | None = None
    document_scale: float | None = None  # default: in proportion to the dossier volume
    document_dsn: str | None = None
    # The first month of finance reports to drop (default: the province's start). Every report is
    # landed through its own quality gate, so the demo drops recent years only to stay quick.
    finance_start: date | None = None

    def dossier_config(self) -> Any:
        from parmetrics.lab.simulators.dossier_data import DossierDataConfig

        start = datetime.combine(self.start, datetime.min.time())
        if self.n_dossiers is not None:
            return DossierDataConfig(seed=self.seed, n_dossiers=self.n_dossiers, start=start, end=self.end)
        return DossierDataConfig(seed=self.seed, start=start, end=self.end, dossiers_per_year=self.dossiers_per_year)

    def document_config(self) -> Any:
        from parmetrics.lab.simulators.document_db import DocumentDbConfig

        scale = self.document_scale
        if scale is None:
            per_year = self.dossier_config().total / max(0.1, (self.end.date() - self.start).days / 365.25)
            scale = min(1.0, max(0.05, per_year / FULL_DOSSIERS_PER_YEAR))
        return DocumentDbConfig(seed=self.seed, start=self.start, end=self.end, scale=scale)

    def fingerprint(self) -> str:
        """Identifies what the generated databases depend on (for reuse by ``prepare_sources``)."""
        import json

        from parmetrics.lab.simulators.dossier_data import GENERATOR_VERSION

        keep = {k: v for k, v in asdict(self).items() if k not in ("workers", "sources", "finance_start")}
        return json.dumps({"generator": GENERATOR_VERSION, **keep}, default=str, sort_keys=True)


def _progress(console: Console | None) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=console is None,
    )


def generate_sources(paths: Paths, plan: SimulationPlan, console: Console | None = None) -> dict[str, Any]:
    """Writes the plan's sources; returns what was written (paths, counts, seconds per source)."""
    unknown = set(plan.sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; expected some of {SOURCES}")
    report: dict[str, Any] = {}
    with _progress(console) as progress:
        if "dossiers" in plan.sources:
            report["dossiers"] = generate_dossier_source(paths, plan, progress)
        if "documents" in plan.sources:
            from parmetrics.lab.simulators.document_db import write_document_db

            task = progress.add_task("document database", total=None)
            started = time.monotonic()
            where = write_document_db(paths.sim, plan.document_config(), dsn=plan.document_dsn)
            progress.update(task, total=1, completed=1)
            report["documents"] = {"path": str(where), "seconds": round(time.monotonic() - started, 1)}
        if "reference" in plan.sources:
            report["reference"] = _files(
                progress, "reference snapshots", write_reference_drops(paths.reference_inbox, plan)
            )
        if "finance" in plan.sources:
            from parmetrics.lab.simulators.finance_files import write_finance_history

            task = progress.add_task("finance reports", total=None)
            started = time.monotonic()
            written = write_finance_history(paths.inbox, plan.finance_start or plan.start, plan.end.date(), plan.seed)
            progress.update(task, total=len(written), completed=len(written))
            report["finance"] = {"files": len(written), "seconds": round(time.monotonic() - started, 1)}
    return report


def generate_dossier_source(paths: Paths, plan: SimulationPlan, progress: Progress | None = None) -> dict[str, Any]:
    from parmetrics.lab.simulators.dossier_data import read_meta, write_dossier_db

    config = plan.dossier_config()
    task = progress.add_task("dossiers", total=config.total) if progress is not None else None

    def advance(done: int, total: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=done)

    started = time.monotonic()
    db = write_dossier_db(paths.sim, config, workers=plan.workers, progress=advance)
    seconds = time.monotonic() - started
    meta = read_meta(db)
    return {
        "path": str(db),
        "dossiers": int(meta["dossiers"]),
        "events": int(meta["dossier_events"]),
        "seconds": round(seconds, 1),
        "dossiers_per_s": round(int(meta["dossiers"]) / max(seconds, 1e-9)),
    }


def write_reference_drops(reference_dir: Path, plan: SimulationPlan) -> Iterable[Path]:
    """Units and catalogue snapshots (every January and July, and the end month); website listings
    for the newest snapshots only (the newest is authoritative)."""
    from parmetrics.lab.simulators.province import catalogue_months
    from parmetrics.lab.simulators.reference_files import write_don_vi_file, write_niem_yet_file, write_thu_tuc_file

    months = catalogue_months(plan.start, plan.end.date())
    for month in months:
        yield write_don_vi_file(reference_dir, month)
        yield write_thu_tuc_file(reference_dir, month)
    for month in months[-WEBSITE_SNAPSHOTS:]:
        yield write_niem_yet_file(reference_dir, month, plan.seed)


def _files(progress: Progress, label: str, files: Iterable[Path]) -> dict[str, Any]:
    task = progress.add_task(label, total=None)
    started = time.monotonic()
    n = 0
    for _ in files:
        n += 1
        progress.update(task, completed=n)
    progress.update(task, total=n)
    return {"files": n, "seconds": round(time.monotonic() - started, 1)}
