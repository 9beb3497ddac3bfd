"""``parmetrics simulate`` and ``parmetrics serve-sources``: the simulated source systems."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from parmetrics.config import Paths, paths

console = Console()
DataDir = Annotated[Path | None, typer.Option(help="data directory (default: $PARMETRICS_DATA_DIR or .data)")]


def _paths(data_dir: Path | None) -> Paths:
    return Paths(data_dir.resolve()) if data_dir else paths()


def simulate(
    data_dir: DataDir = None,
    seed: int = 766,
    dossiers: int = 3000,
    end: str = "2026-11-20",
) -> None:
    """Generate the simulated sources (dossier API dataset and reference files) into the data directory."""
    from parmetrics.demo import DemoSettings, prepare_sources

    p = _paths(data_dir)
    prepare_sources(p, DemoSettings(seed=seed, n_dossiers=dossiers, end=datetime.fromisoformat(end)), console)
    console.print(f"sources in {p.sim} and {p.reference_inbox}")


def serve_sources(
    data_dir: DataDir = None,
    port: int = 8765,
    token: Annotated[str, typer.Option(envvar="PARMETRICS_DOSSIER_API_TOKEN")] = "",
) -> None:
    """Serve the simulated dossier API (generate it first with `parmetrics simulate`)."""
    from parmetrics.demo import demo_secrets
    from parmetrics.simulators.dossier_api import serve

    p = _paths(data_dir)
    serve(p.sim / "dossier_api.sqlite", port=port, token=token or demo_secrets(p)["dossier_api_token"])


def register(app: typer.Typer) -> None:
    app.command()(simulate)
    app.command("serve-sources")(serve_sources)
