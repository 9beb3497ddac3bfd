"""``parmetrics report``: write the workbook and the HTML report of the current publication again."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console

from parmetrics.cli.common import DataDir, resolve_paths

# Paths must stay on one line (copied into a file manager) whatever the terminal width.
console = Console(soft_wrap=True)


def report(
    data_dir: DataDir = None,
    dbt_docs: Annotated[
        bool, typer.Option(help="refresh dbt's static docs when the dbt project changed (runs dbt docs generate)")
    ] = True,
) -> None:
    """Write the Excel workbook and the HTML report of the current publication (after a rollback, say)."""
    from parmetrics.reports import generate_reports
    from parmetrics.reports.data import ReportDataError

    logging.basicConfig(level=logging.WARNING)
    p = resolve_paths(data_dir)
    try:
        files = generate_reports(p, dbt_docs=dbt_docs)
    except ReportDataError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"workbook: {files.workbook}")
    console.print(f"report:   {files.html}")
    console.print(f"latest:   {files.latest_html}, {files.latest_workbook}")
    console.print(f"dbt docs: {files.dbt_docs or 'not available (see the log)'}")
    console.print(f"GX docs:  {files.gx_docs or 'not rendered yet (the quality gate writes them)'}")


def register(app: typer.Typer) -> None:
    app.command()(report)
