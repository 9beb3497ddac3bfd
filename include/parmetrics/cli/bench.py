"""``parmetrics bench``: the speed and memory of the pipeline at province scale, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from parmetrics.lab.bench.harness import EXTRACT_PROCESSES, ONLY_STAGES, OPTIONAL_STAGES


def bench(
    dossiers_per_year: Annotated[int, typer.Option(help="simulated dossiers a year")] = 1_000_000,
    years: Annotated[float, typer.Option(help="years of history up to --end (8 → a large province, 8M)")] = 1.0,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="data directory (default: $PARMETRICS_DATA_DIR or .data); figures in <data>/bench/"),
    ] = None,
    seed: int = 766,
    skip: Annotated[
        str, typer.Option(help=f"comma-separated optional stages to leave out: {','.join(OPTIONAL_STAGES)}")
    ] = "",
    serving_seconds: Annotated[
        float, typer.Option(help="how long to sample the API's serving rate per dataset")
    ] = 30.0,
    bi_runs: Annotated[int, typer.Option(help="runs of each BI query")] = 50,
    profile_extraction: Annotated[
        bool, typer.Option(help="cProfile the history extraction (into its log; the parent process only)")
    ] = False,
    only: Annotated[
        str,
        typer.Option(
            help=f"comma-separated: run only these of {','.join(ONLY_STAGES)} (after generating the sources and "
            "landing the reference data), e.g. to measure extraction at 8M without the stages after it"
        ),
    ] = "",
    extract_processes: Annotated[
        int, typer.Option(min=1, help="history windows in flight at once, each in a process of its own")
    ] = EXTRACT_PROCESSES,
) -> None:
    """Generate the data, run each stage in its own process, print and save the figures and targets."""
    from parmetrics.config import data_dir as default_data_dir
    from parmetrics.lab.bench.harness import BenchOptions, run_bench
    from parmetrics.lab.bench.stages import BenchPlan

    console = Console(width=None if Console().is_terminal else 140)
    root = data_dir.resolve() if data_dir else default_data_dir()
    options = BenchOptions(
        skip=frozenset(s.strip() for s in skip.split(",") if s.strip()),
        serving_seconds=serving_seconds,
        bi_runs=bi_runs,
        profile_extraction=profile_extraction,
        only=frozenset(s.strip() for s in only.split(",") if s.strip()),
        extract_processes=extract_processes,
    )
    run_bench(root, BenchPlan(dossiers_per_year=dossiers_per_year, years=years, seed=seed), options, console)


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
