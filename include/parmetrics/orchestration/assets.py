"""The assets that connect the DAGs (names are stable identities in Airflow's metadata database)."""

from __future__ import annotations

from airflow.sdk import Asset, AssetWatcher

from parmetrics import catalogue
from parmetrics.orchestration.inboxes import finance_inbox, reference_inbox
from parmetrics.triggers.inbox import InboxFileTrigger

# Created by the dossier system (or its simulator) through Airflow's REST API when it has new data.
DOSSIER_API_CHANGES = Asset(name="source.dossier_api", uri="parmetrics://sources/dossier_api")
# Created by the document system (or an operator) when it wants an extraction before the nightly run.
DOCUMENT_DB_CHANGES = Asset(name="source.document_db", uri="parmetrics://sources/document_db")

# File inboxes: a file dropped in the inbox creates an event within one poll interval. The watcher's
# trigger (in include/, so the triggerer imports it) claims the file before it fires.
INBOX_POLL_SECONDS = 5.0
FINANCE_INBOX = Asset(
    name="source.finance_inbox",
    uri="parmetrics://sources/finance_inbox",
    watchers=[
        AssetWatcher(
            name="finance_inbox_watcher",
            trigger=InboxFileTrigger(inbox=str(finance_inbox()), poll_interval=INBOX_POLL_SECONDS),
        )
    ],
)
REFERENCE_INBOX = Asset(
    name="source.reference_inbox",
    uri="parmetrics://sources/reference_inbox",
    watchers=[
        AssetWatcher(
            name="reference_inbox_watcher",
            trigger=InboxFileTrigger(inbox=str(reference_inbox()), poll_interval=INBOX_POLL_SECONDS),
        )
    ],
)

# One landing asset per source of the catalogue: each landed batch emits it, and build_marts listens to all.
LANDING: dict[str, Asset] = {s.name: Asset(name=s.asset_name, uri=s.asset_uri) for s in catalogue.SOURCES}
LANDING_ASSETS = tuple(LANDING.values())
LANDING_DOSSIER_API = LANDING["dossier_api"]
LANDING_DOCUMENT_DB = LANDING["document_db"]
LANDING_FINANCE = LANDING["finance"]
LANDING_REFERENCE = LANDING["reference"]

PUBLISHED_MARTS = Asset(name="published.par_metrics", uri="parmetrics://published/par_metrics")

# Every writer of the build DuckDB file runs in this one-slot pool (DuckDB allows one writer).
DUCKDB_WRITER_POOL = "duckdb_writer"

# History twins (backfills) run their tasks in this small pool so a backfill never takes every executor
# slot from the nightly runs.
HISTORY_INGESTION_POOL = "history_ingestion"
HISTORY_INGESTION_SLOTS = 2
