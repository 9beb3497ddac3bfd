"""Extracting one window of the dossier API (SOURCES.md §1) into a landing batch.

Pages are read with the keyset cursor and streamed into part files, so memory holds one part at a
time. Personal data is removed from each record before it is parsed, landed or quarantined. A record
that breaks the contract is quarantined on its own with its reason; the rest of the window lands. The
window is reconciled with a fresh ``total`` (``reconcile.py``): a mismatch re-extracts the window
once and then fails. A window that lands a corrected version of a record quarantined earlier records
the resolution (``landing/quarantine.py``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, Literal

from parmetrics.config import Paths
from parmetrics.landing import quarantine as q
from parmetrics.landing.schemas import LANDING_SCHEMAS
from parmetrics.landing.writer import DEFAULT_LOCK_TIMEOUT, BatchWriter, Gate
from parmetrics.sources.dossier_api.connection import ApiConnection
from parmetrics.sources.dossier_api.dedupe import SOURCE, WindowRows
from parmetrics.sources.dossier_api.http import ENDPOINTS, DossierApiClient
from parmetrics.sources.dossier_api.reconcile import ReconciliationError, mismatch, read_window
from parmetrics.timestamps import format_ts

log = logging.getLogger(__name__)

Dataset = Literal["dossiers", "dossier_events"]


def batch_id_for_window(updated_from: datetime | None, updated_to: datetime | None) -> str:
    """``<from>_<to>`` as ``yyyyMMddHHmmss``, ``open`` for an open bound: rerunning a window replaces it."""
    return f"{format_ts(updated_from) or 'open'}_{format_ts(updated_to) or 'open'}"


def extract_window(
    conn: ApiConnection,
    dataset: Dataset,
    updated_from: datetime | None,
    updated_to: datetime | None,
    data_paths: Paths,
    key: bytes,
    *,
    page_limit: int = 1000,
    rows_per_part: int = 25_000,
    client: DossierApiClient | None = None,
    max_passes: int = 3,
    gate: Gate | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> dict[str, Any]:
    """Land ``[updated_from, updated_to)`` of one dataset as batch ``<from>_<to>``; returns its stats.

    ``gate`` (the landing gate orchestration hands over) validates the batch before it is swapped in.
    Raises :class:`DossierApiAuthError` on a rejected token, :class:`ReconciliationError` when the rows
    read still disagree with the API's fresh ``total`` after one re-extraction, and
    ``BatchLockedError`` when another extraction of the same window holds it past ``lock_timeout``.
    """
    if dataset not in ENDPOINTS:
        raise ValueError(f"unknown dossier API dataset {dataset!r}; expected one of {sorted(ENDPOINTS)}")
    if not 1 <= page_limit <= 1000:
        raise ValueError("page_limit must be 1-1000 (the API's bounds)")
    if updated_from is not None and updated_to is not None and updated_from >= updated_to:
        raise ValueError(f"empty window: updated_from {updated_from} is not before updated_to {updated_to}")
    path = ENDPOINTS[dataset]
    schema = LANDING_SCHEMAS[(SOURCE, dataset)]
    ts_from, ts_to = format_ts(updated_from), format_ts(updated_to)
    batch_id = batch_id_for_window(updated_from, updated_to)
    dataset_dir = data_paths.dataset_landing(SOURCE, dataset)
    window = {"updated_from": ts_from, "updated_to": ts_to}

    started = time.monotonic()
    own_client = client is None
    api = client or DossierApiClient(conn)
    try:
        problem = ""
        for attempt in (1, 2):
            with BatchWriter(
                dataset_dir, batch_id, schema, window=window, gate=gate, lock_timeout=lock_timeout
            ) as writer:
                rows = WindowRows(dataset, writer, key, rows_per_part)
                try:
                    read = read_window(api, rows, path, ts_from, ts_to, page_limit, max_passes)
                    if read.reconciles(rows):
                        rows.finish()
                        return _land(data_paths, dataset, batch_id, window, rows, read, attempt, started)
                finally:
                    rows.close()
                problem = mismatch(rows, read.fresh_total)
                log.warning("dossier API window %s %s, attempt %d: %s", dataset, batch_id, attempt, problem)
                writer.abort()
        raise ReconciliationError(
            f"dossier API {dataset} window {batch_id} does not reconcile after a re-extraction: {problem}"
        )
    finally:
        if own_client:
            api.close()


def _land(data_paths: Paths, dataset: str, batch_id: str, window: dict, rows: WindowRows, read, attempt, started):
    """Quarantine, resolutions and the commit of a reconciled window (the writer's lock is still held)."""
    quarantined = rows.quarantine
    open_records = q.open_keys(data_paths, SOURCE, dataset, batch_id)
    resolved = q.record_resolutions(
        data_paths, SOURCE, dataset, batch_id, open_records, rows.landed_versions(set(open_records))
    )
    stats = {
        "source": SOURCE,
        "dataset": dataset,
        "batch_id": batch_id,
        "window": window,
        "rows": rows.landed,
        "read": rows.read,
        "quarantined": len(quarantined),
        "resolved": resolved,
        "duplicates": rows.duplicates,
        "pages": rows.pages,
        "passes": rows.passes,
        "api_total": read.fresh_total,
        "first_page_total": read.first_page_total,
        "attempts": attempt,
    }
    q.record_batch_quarantine(data_paths, SOURCE, dataset, batch_id, quarantined)
    for entry in quarantined:
        log.warning("quarantined %s", entry.reason)
    stats["seconds"] = round(time.monotonic() - started, 3)
    rows.writer.commit(**{k: v for k, v in stats.items() if k not in ("batch_id", "window")})
    batch = f"batch={batch_id}"
    stats["path"] = str(data_paths.dataset_landing(SOURCE, dataset) / batch)
    log.info("landed %s", stats)
    return stats
