"""``parmetrics extract dossier-api|document-db``: one window of a database source into landing, by hand.

What an ingestion task does for one dataset, without Airflow: the landing gate included (``--no-gate``
lands unchecked), the window's batch replaced, its quarantine written. Prints the batch's stats as JSON.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from typing import Annotated

import typer

from parmetrics.cli.common import DataDir, resolve_paths

app = typer.Typer(no_args_is_help=True, help="Extract one window of a database source into landing.")

From = Annotated[str | None, typer.Option("--from", help="ISO local time; omitted = open")]
Gated = Annotated[bool, typer.Option("--gate/--no-gate", help="validate the batch with its landing suites")]


def _bound(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@app.command("dossier-api")
def dossier_api(
    url: Annotated[str, typer.Option(help="e.g. http://127.0.0.1:8080")],
    dataset: Annotated[str, typer.Option(help="dossiers or dossier_events")] = "dossiers",
    updated_from: From = None,
    updated_to: Annotated[str | None, typer.Option("--to", help="ISO local time; omitted = open")] = None,
    limit: Annotated[int, typer.Option(help="records per page (1-1000)")] = 1000,
    rows_per_part: Annotated[int, typer.Option(help="rows per Parquet part file")] = 25_000,
    gate: Gated = True,
    data_dir: DataDir = None,
) -> None:
    """One window of the dossier API (token from DOSSIER_API_TOKEN, key from PARMETRICS_PSEUDONYM_KEY)."""
    from parmetrics.config import pseudonymisation_key
    from parmetrics.quality.landing_gate import landing_gate
    from parmetrics.sources.dossier_api import SOURCE, ApiConnection, extract_window

    logging.basicConfig(level=logging.INFO)
    paths = resolve_paths(data_dir)
    conn = ApiConnection.from_parts(url, None, None, os.environ.get("DOSSIER_API_TOKEN", ""))
    stats = extract_window(
        conn,
        dataset,  # type: ignore[arg-type]
        _bound(updated_from),
        _bound(updated_to),
        paths,
        pseudonymisation_key(),
        page_limit=limit,
        rows_per_part=rows_per_part,
        gate=landing_gate(paths, SOURCE, dataset) if gate else None,
    )
    print(json.dumps(stats, ensure_ascii=False, default=str))


@app.command("document-db")
def document_db(
    updated_to: Annotated[str, typer.Option("--to", help="ISO local time")],
    updated_from: From = None,
    url: Annotated[str | None, typer.Option(help="default: AIRFLOW_CONN_DOCUMENT_DB or the embedded SQLite")] = None,
    table: Annotated[str | None, typer.Option(help="one table (default: all four)")] = None,
    chunk_rows: Annotated[int, typer.Option(help="rows read per chunk")] = 50_000,
    gate: Gated = True,
    data_dir: DataDir = None,
) -> None:
    """One window of the document database's tables."""
    from parmetrics.quality.landing_gate import landing_gate
    from parmetrics.sources.document_db import SOURCE, TABLES, document_db_url, extract_table, make_engine

    logging.basicConfig(level=logging.INFO)
    paths = resolve_paths(data_dir)
    engine = make_engine(url or document_db_url(paths))
    try:
        for name in [table] if table else list(TABLES):
            stats = extract_table(
                engine,
                name,
                _bound(updated_from),
                datetime.fromisoformat(updated_to),
                paths,
                chunk_rows=chunk_rows,
                gate=landing_gate(paths, SOURCE, name) if gate else None,
            )
            print(json.dumps(stats, ensure_ascii=False, default=str))
    finally:
        engine.dispose()


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="extract")
