"""``parmetrics publish`` and ``parmetrics scorecard``: the publication and what it shows."""

from __future__ import annotations

from typing import Annotated

import typer

from parmetrics.cli.common import DataDir, console, resolve_paths


def scorecard(data_dir: DataDir = None) -> None:
    """Print the on-time table of the last closed month from the published file."""
    from parmetrics.reports.scorecard import print_scorecard

    p = resolve_paths(data_dir)
    raise typer.Exit(0 if print_scorecard(p.published_db, console) else 1)


def publish(
    data_dir: DataDir = None,
    rollback: Annotated[bool, typer.Option("--rollback", help="restore the previous version")] = False,
) -> None:
    """Publish the build's marts (after the gate), or roll back to the previous publication."""
    from parmetrics import publish as pub

    p = resolve_paths(data_dir)
    if rollback:
        restored = pub.rollback(p)
        console.print(f"restored {restored.name} as {p.published_db}")
        return
    from parmetrics.quality.mart_gate import run_mart_gate

    run_mart_gate(p)
    record = pub.publish(p)
    console.print(f"published {p.published_db}: {record['row_counts']}")


def register(app: typer.Typer) -> None:
    app.command()(scorecard)
    app.command()(publish)
