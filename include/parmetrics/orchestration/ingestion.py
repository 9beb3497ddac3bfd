"""Task callables of the ingestion DAGs: resolve the window, extract, advance the watermark."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from parmetrics import ops
from parmetrics.config import paths, pseudonymisation_key, reference_now
from parmetrics.orchestration.failures import fail_without_retry_on_bad_data
from parmetrics.windows import Window, window_for_run

log = logging.getLogger(__name__)

DOSSIER_SOURCE = "dossier_api"
DOSSIER_DATASETS = ("dossiers", "dossier_events")


def resolve_window(context: dict[str, Any], source: str, datasets: tuple[str, ...]) -> dict[str, Any]:
    """One window for every dataset of a source, restarting from the oldest high-water mark so no
    dataset skips anything another has not seen."""
    dag_run = context["dag_run"]
    run_type = getattr(dag_run.run_type, "value", dag_run.run_type)
    marks = [ops.current_watermark(paths(), source, d) for d in datasets]
    window = window_for_run(
        run_type=str(run_type) if run_type else None,
        interval_start=context.get("data_interval_start"),
        interval_end=context.get("data_interval_end"),
        high_water_mark=None if None in marks else min(marks),
        now=reference_now(),
    )
    log.info("%s run_type=%s window=%s", source, run_type, window.as_dict())
    return window.as_dict()


def advance_watermarks(
    source: str, datasets: tuple[str, ...], window: dict[str, Any], stats: dict[str, dict[str, Any]], run_id: str
) -> None:
    """Record the high-water mark once every dataset of the window has landed."""
    w = Window.from_dict(window)
    for dataset in datasets:
        ops.record_watermark(
            paths(),
            source,
            dataset,
            high_water_mark=w.updated_to,
            rows_landed=int(stats[dataset].get("rows", 0)),
            quarantined=int(stats[dataset].get("quarantined", 0)),
            batch_id=w.batch_id,
            run_id=run_id,
        )


def resolve_dossier_window(context: dict[str, Any]) -> dict[str, Any]:
    return resolve_window(context, DOSSIER_SOURCE, DOSSIER_DATASETS)


def dossier_api_connection(conn_id: str = "dossier_api"):
    """The extractor's connection from the Airflow connection (password = bearer token)."""
    from parmetrics.sources.dossier_api import ApiConnection

    return ApiConnection.from_airflow(conn_id)


def extract_dossier_dataset(dataset: str, window: dict[str, Any]) -> dict[str, Any]:
    from parmetrics.sources.dossier_api import extract_window

    w = Window.from_dict(window)
    with fail_without_retry_on_bad_data():
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
    advance_watermarks(DOSSIER_SOURCE, DOSSIER_DATASETS, window, stats, run_id)


DOCUMENT_SOURCE = "document_db"
DOCUMENT_TABLES = ("van_ban_di", "van_ban_den", "ho_so_cong_viec", "nhiem_vu")


def resolve_document_window(context: dict[str, Any]) -> dict[str, Any]:
    return resolve_window(context, DOCUMENT_SOURCE, DOCUMENT_TABLES)


def extract_document_table(table: str, window: dict[str, Any]) -> dict[str, Any]:
    from parmetrics.sources.document_db import document_db_url, extract_table, make_engine

    w = Window.from_dict(window)
    engine = make_engine(document_db_url())
    try:
        with fail_without_retry_on_bad_data():
            stats = extract_table(engine, table, w.updated_from, w.updated_to, paths())
    finally:
        engine.dispose()
    return {k: v for k, v in stats.items() if isinstance(v, (int, float, str, type(None)))}


def advance_document_watermarks(window: dict[str, Any], stats: dict[str, dict[str, Any]], run_id: str) -> None:
    advance_watermarks(DOCUMENT_SOURCE, DOCUMENT_TABLES, window, stats, run_id)


def _summarise(outcomes: list[dict[str, Any]], kind: str, inbox: Path) -> list[dict[str, Any]]:
    if not outcomes:
        log.warning("no %s file to process in %s", kind, inbox)
    for o in outcomes:
        (log.warning if o["status"] == "quarantined" else log.info)("%s file %s", kind, o)
    gate_failures = [f"{o['file']}: {o['gate_failure']}" for o in outcomes if o.get("gate_failure")]
    if gate_failures:
        from parmetrics.quality.gate import QualityGateError

        # The other files have landed; this run fails so the failure is seen and no event is emitted.
        with fail_without_retry_on_bad_data():
            raise QualityGateError(" | ".join(gate_failures))
    return [{k: v for k, v in o.items() if isinstance(v, (int, float, str, type(None)))} for o in outcomes]


def land_finance_inbox(inbox: Path | None = None) -> list[dict[str, Any]]:
    """Land every claimed (and still unclaimed) finance file: landed, unchanged, superseded or quarantined."""
    from parmetrics.orchestration.inboxes import finance_inbox
    from parmetrics.sources.finance_files import land_finance_inbox as land

    inbox = inbox or finance_inbox()
    return _summarise(land(inbox, paths()), "finance", inbox)


def land_reference_inbox(inbox: Path | None = None) -> list[dict[str, Any]]:
    """Land every reference file in the inbox (a snapshot per month; re-landing the same file is a no-op)."""
    from parmetrics.orchestration.inboxes import reference_inbox
    from parmetrics.sources.reference_files import land_reference_inbox_files

    inbox = inbox or reference_inbox()
    return _summarise(land_reference_inbox_files(inbox, paths()), "reference", inbox)
