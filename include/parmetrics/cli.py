"""The ``parmetrics`` command line."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from parmetrics.config import Paths, paths

app = typer.Typer(no_args_is_help=True, help="PAR metrics pipeline: demo, simulators, publish.")
# Wide enough for Vietnamese unit names when output is not a terminal (make run in CI, logs).
console = Console(width=None if Console().is_terminal else 120)


def _paths(data_dir: Path | None) -> Paths:
    return Paths(data_dir.resolve()) if data_dir else paths()


DataDir = Annotated[Path | None, typer.Option(help="data directory (default: $PARMETRICS_DATA_DIR or .data)")]


@app.command()
def demo(
    data_dir: DataDir = None,
    seed: int = 766,
    dossiers: Annotated[int | None, typer.Option(help="dossiers to simulate, 2019 → end (default 40,000)")] = None,
    end: Annotated[str, typer.Option(help="the simulated source's 'today' (ISO)")] = "2026-11-20",
    keep_running: Annotated[bool, typer.Option(help="leave Airflow up afterwards (make up)")] = False,
) -> None:
    """Run the whole pipeline through real Airflow on the embedded default and print the scorecard."""
    from parmetrics.demo import DemoSettings, run_demo

    logging.basicConfig(level=logging.WARNING)
    settings = DemoSettings(
        **({"n_dossiers": dossiers} if dossiers else {}),
        seed=seed,
        end=datetime.fromisoformat(end),
        keep_running=keep_running,
    )
    raise typer.Exit(run_demo(_paths(data_dir), settings, console))


@app.command()
def scorecard(data_dir: DataDir = None) -> None:
    """Print the on-time table of the last closed month from the published file."""
    from parmetrics.report import print_scorecard

    p = _paths(data_dir)
    raise typer.Exit(0 if print_scorecard(p.published_db, console) else 1)


@app.command()
def publish(
    data_dir: DataDir = None,
    rollback: Annotated[bool, typer.Option("--rollback", help="restore the previous version")] = False,
) -> None:
    """Publish the build's marts (after the gate), or roll back to the previous publication."""
    from parmetrics import publish as pub

    p = _paths(data_dir)
    if rollback:
        restored = pub.rollback(p)
        console.print(f"restored {restored.name} as {p.published_db}")
        return
    from parmetrics.quality.gate import run_mart_gate

    run_mart_gate(p)
    record = pub.publish(p)
    console.print(f"published {p.published_db}: {record['row_counts']}")


def _register_subcommands() -> None:
    # Each concern registers its own commands; this module only assembles them.
    from parmetrics.simulators.cli import register as register_simulators

    register_simulators(app)
    __import__("parmetrics.orchestration.backfill_cli", fromlist=["register"]).register(app)
    __import__("parmetrics.reports.cli", fromlist=["register"]).register(app)
    __import__("parmetrics.soak.cli", fromlist=["register"]).register(app)
    __import__("parmetrics.bench.cli").bench.cli.register(app)


_register_subcommands()

if __name__ == "__main__":
    app()
