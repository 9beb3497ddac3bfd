"""``parmetrics soak``: the reliability soak from the command line (``make soak``)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console

from parmetrics.cli.common import DataDir, resolve_paths


def soak(
    rounds: Annotated[int, typer.Option(min=1, help="fault rounds (then one drain round)")] = 50,
    seed: Annotated[int, typer.Option(help="seeds the fault mixes and the simulated province")] = 766,
    build_every: Annotated[
        int, typer.Option(min=0, help="dbt build → gate → publish every N rounds (0: only after the drain)")
    ] = 10,
    dossiers: Annotated[int, typer.Option(min=200, help="size of the simulated province")] = 2000,
    data_dir: DataDir = None,
) -> None:
    """Randomised fault mixes against the simulator, each round compared with ground truth; exits 1 if
    any record was lost or duplicated, any publication was bad, or a stage failed."""
    from parmetrics.lab.soak.runner import SoakSettings, passed, print_summary, run_soak

    # The faults make the extractor and the gate log warnings by design; the round lines say what matters.
    logging.basicConfig(level=logging.ERROR)
    console = Console()
    root = resolve_paths(data_dir).root
    settings = SoakSettings(rounds=rounds, seed=seed, build_every=build_every, dossiers=dossiers)
    report, path = run_soak(root, settings, console)
    print_summary(report, console)
    console.print(f"report: {path}")
    raise typer.Exit(0 if passed(report) else 1)


def register(app: typer.Typer) -> None:
    app.command()(soak)
