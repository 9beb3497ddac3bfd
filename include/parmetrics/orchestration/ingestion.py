"""Task callables of the ingestion DAGs: resolve the window, extract, advance the watermark.

Orchestration hands each extractor the landing gate of what it lands (``landing_gates``): the
extractors write batches, the gate decides whether a batch may become visible. The datasets of each
source come from the catalogue.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from parmetrics import catalogue, ops
from parmetrics.config import paths, pseudonymisation_key, reference_now
from parmetrics.orchestration.failures import fail_without_retry_on_bad_data
from parmetrics.windows import INTERVAL_RUN_TYPES, Window, window_for_run

log = logging.getLogger(__name__)

HISTORY_INTERVAL_RUN_TYPES = INTERVAL_RUN_TYPES | {"manual"}

DOSSIER_SOURCE = "dossier_api"
DOSSIER_DATASETS = tuple(d.name for d in catalogue.datasets_of(DOSSIER_SOURCE))


def landing_gates():
    """The landing gates of this task run (its results carry the Airflow run id)."""
    from parmetrics.quality.landing_gate import landing_gates as gates

    return gates(paths(), run_id=os.environ.get("AIRFLOW_CTX_DAG_RUN_ID"))


def resolve_window(
    context: dict[str, Any], source: str, datasets: tuple[str, ...], *, history: bool = False
) -> dict[str, Any]:
    """One window for every dataset of a source, restarting from the oldest high-water mark so no
    dataset skips anything another has not seen. A history twin's run with a data interval (backfill,
    or a month triggered by hand) always extracts exactly that month."""
    dag_run = context["dag_run"]
    run_type = getattr(dag_run.run_type, "value", dag_run.run_type)
    marks = [ops.current_watermark(paths(), source, d) for d in datasets]
    window = window_for_run(
        run_type=str(run_type) if run_type else None,
        interval_start=context.get("data_interval_start"),
        interval_end=context.get("data_interval_end"),
        high_water_mark=None if None in marks else min(marks),
        now=reference_now(),
        interval_run_types=HISTORY_INTERVAL_RUN_TYPES if history else INTERVAL_RUN_TYPES,
    )
    log.info("%s run_type=%s window=%s", source, run_type, window.as_dict())
    return window.as_dict()


def skip_scheduled_history_run(context: dict[str, Any]) -> bool:
    """In production a history twin's own monthly run re-extracts the previous month whole (a
    reconciliation sweep catching commits later than the nightly safety margin); in event-only mode
    only backfill and manual runs do anything."""
    from parmetrics.orchestration.schedules import event_only

    run_type = getattr(context["dag_run"].run_type, "value", context["dag_run"].run_type)
    return event_only() and str(run_type) == "scheduled"


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
            gate=landing_gates()(DOSSIER_SOURCE, dataset),
        )
    log.info("landed %s %s: %s", DOSSIER_SOURCE, dataset, stats)
    return {k: v for k, v in stats.items() if isinstance(v, (int, float, str, type(None)))}


DOCUMENT_SOURCE = "document_db"
DOCUMENT_TABLES = tuple(d.name for d in catalogue.datasets_of(DOCUMENT_SOURCE))


def extract_document_table(table: str, window: dict[str, Any]) -> dict[str, Any]:
    from parmetrics.sources.document_db import document_db_url, extract_table, make_engine

    w = Window.from_dict(window)
    engine = make_engine(document_db_url())
    try:
        with fail_without_retry_on_bad_data():
            stats = extract_table(
                engine, table, w.updated_from, w.updated_to, paths(), gate=landing_gates()(DOCUMENT_SOURCE, table)
            )
    finally:
        engine.dispose()
    return {k: v for k, v in stats.items() if isinstance(v, (int, float, str, type(None)))}


_EXTRACTORS = {DOSSIER_SOURCE: extract_dossier_dataset, DOCUMENT_SOURCE: extract_document_table}


def extract_dataset(source: str, dataset: str, window: dict[str, Any]) -> dict[str, Any]:
    """Extract one dataset of a database source for a window (the nightly DAGs and their history twins)."""
    try:
        extractor = _EXTRACTORS[source]
    except KeyError:
        raise ValueError(f"unknown database source {source!r}; expected one of {sorted(_EXTRACTORS)}") from None
    return extractor(dataset, window)


def record_history_landing(
    source: str, dataset: str, window: dict[str, Any], stats: dict[str, Any], run_id: str, dag_id: str
) -> None:
    """What a history twin's extract task landed (``ops.pipeline_runs``), never a watermark.

    Backfill months finish in any order; the high-water mark promises that everything before it was
    extracted, which only the nightly stream can keep.
    """
    ops.write_record(
        paths(),
        "pipeline_runs",
        {
            "run_id": run_id,
            "dag_id": dag_id,
            "stage": "history_landing",
            "status": "success",
            "source": source,
            "dataset": dataset,
            "batch_id": window.get("batch_id"),
            "rows": int(stats.get("rows", 0)),
            "quarantined": int(stats.get("quarantined", 0)),
            # A JSON string: ops.pipeline_runs is read back with read_json_auto, and every stage's
            # records must union into one table.
            "detail": json.dumps({"window": window}, sort_keys=True),
        },
    )
    log.info("%s.%s history window %s landed %s", source, dataset, window.get("batch_id"), stats.get("rows"))


def _summarise(outcomes: list[dict[str, Any]], kind: str, inbox: Path) -> list[dict[str, Any]]:
    if not outcomes:
        log.warning("no %s file to process in %s", kind, inbox)
    for o in outcomes:
        (log.warning if o["status"] == "quarantined" else log.info)("%s file %s", kind, o)
    gate_failures = [f"{o['file']}: {o['gate_failure']}" for o in outcomes if o.get("gate_failure")]
    if gate_failures:
        from parmetrics.quality.errors import QualityGateError

        # The other files have landed; this run fails so the failure is seen and no event is emitted.
        with fail_without_retry_on_bad_data():
            raise QualityGateError(" | ".join(gate_failures))
    return [{k: v for k, v in o.items() if isinstance(v, (int, float, str, type(None)))} for o in outcomes]


def land_finance_inbox(inbox: Path | None = None) -> list[dict[str, Any]]:
    """Land every claimed (and still unclaimed) finance file: landed, unchanged, superseded or quarantined."""
    from parmetrics.orchestration.inboxes import finance_inbox
    from parmetrics.sources.finance_files import land_finance_inbox as land

    inbox = inbox or finance_inbox()
    return _summarise(land(inbox, paths(), gates=landing_gates()), "finance", inbox)


def land_reference_inbox(inbox: Path | None = None) -> list[dict[str, Any]]:
    """Land every reference file in the inbox (a snapshot per month; re-landing the same file is a no-op)."""
    from parmetrics.orchestration.inboxes import reference_inbox
    from parmetrics.sources.reference_files import land_reference_inbox_files

    inbox = inbox or reference_inbox()
    return _summarise(land_reference_inbox_files(inbox, paths(), gates=landing_gates()), "reference", inbox)
