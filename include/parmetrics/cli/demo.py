"""``parmetrics demo`` (``make run`` / ``make up``): the whole pipeline through real Airflow on the
embedded default, then the scorecard."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

import typer

from parmetrics.cli.common import DataDir, console, resolve_paths


def demo(
    data_dir: DataDir = None,
    seed: int = 766,
    dossiers: Annotated[int | None, typer.Option(help="dossiers to simulate, 2019 → end (default 40,000)")] = None,
    end: Annotated[str, typer.Option(help="the simulated source's 'today' (ISO)")] = "2026-11-20",
    keep_running: Annotated[bool, typer.Option(help="leave Airflow up afterwards (make up)")] = False,
) -> None:
    """Run the whole pipeline through real Airflow on the embedded default and print the scorecard."""
    from parmetrics.lab.demo import DemoSettings, run_demo

    logging.basicConfig(level=logging.WARNING)
    settings = DemoSettings(
        **({"n_dossiers": dossiers} if dossiers else {}),
        seed=seed,
        end=datetime.fromisoformat(end),
        keep_running=keep_running,
    )
    raise typer.Exit(run_demo(resolve_paths(data_dir), settings, console))


def register(app: typer.Typer) -> None:
    app.command()(demo)
