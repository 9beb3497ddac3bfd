"""Task callables of the ingestion DAGs: resolve the window, extract, advance the watermark."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from parmetrics import ops
from parmetrics.config import paths, pseudonymisation_key, reference_now
from parmetrics.windows import Window, window_for_run

log = logging.getLogger(__name__)

DOSSIER_SOURCE = "dossier_api"
DOSSIER_DATASETS = ("dossiers", "dossier_events")


def resolve_dossier_window(context: dict[str, Any]) -> dict[str, Any]:
    """The run's window over both dossier datasets (one window, so dossiers and events agree)."""
    dag_run = context["dag_run"]
    run_type = getattr(dag_run.run_type, "value", dag_run.run_type)
    marks = [ops.current_watermark(paths(), DOSSIER_SOURCE, d) for d in DOSSIER_DATASETS]
    # Both datasets restart from the older mark, so neither skips anything the other has not seen.
    mark = None if None in marks else min(marks)
    window = window_for_run(
        run_type=str(run_type) if run_type else None,
        interval_start=context.get("data_interval_start"),
        interval_end=context.get("data_interval_end"),
        high_water_mark=mark,
        now=reference_now(),
    )
    log.info("run_type=%s window=%s", run_type, window.as_dict())
    return window.as_dict()


def dossier_api_connection(conn_id: str = "dossier_api"):
    """The extractor's connection from the Airflow connection (password = bearer token)."""
    from parmetrics.sources.dossier_api import ApiConnection

    return ApiConnection.from_airflow(conn_id)


def extract_dossier_dataset(dataset: str, window: dict[str, Any]) -> dict[str, Any]:
    from parmetrics.sources.dossier_api import extract_window

    w = Window.from_dict(window)
    stats = extract_window(
        dossier_api_connection(),
        dataset,
        w.updated_from,
        w.updated_to,
        paths(),
        pseudonymisation_key(),
    )
    log.info("landed %s %s: %s", DOSSIER_SOURCE, dataset, stats)
    return {k: v for k, v in stats.items() if isinstance(v, (int, float, str, type(None)))}


def advance_dossier_watermarks(window: dict[str, Any], stats: dict[str, dict[str, Any]], run_id: str) -> None:
    """Record the high-water mark once every dataset of the window has landed."""
    w = Window.from_dict(window)
    for dataset in DOSSIER_DATASETS:
        s = stats[dataset]
        ops.record_watermark(
            paths(),
            DOSSIER_SOURCE,
            dataset,
            high_water_mark=w.updated_to,
            rows_landed=int(s.get("rows", 0)),
            quarantined=int(s.get("quarantined", 0)),
            batch_id=w.batch_id,
            run_id=run_id,
        )


def land_reference_inbox(inbox: Path | None = None) -> list[dict[str, Any]]:
    """Land every reference file in the inbox (a snapshot per month; re-landing the same file is a no-op)."""
    from parmetrics.sources.reference_files import land_reference_file

    inbox = inbox or paths().reference_inbox

    results = []
    for path in sorted(inbox.glob("*.csv")):
        results.append(land_reference_file(path, paths()))
    if not results:
        log.warning("no reference file in %s", inbox)
    return [{k: v for k, v in r.items() if isinstance(v, (int, float, str, type(None)))} for r in results]
