"""What every ``parmetrics`` command shares: the console and the data directory option."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from parmetrics.config import Paths, paths

# Wide enough for Vietnamese unit names when output is not a terminal (make run in CI, logs).
console = Console(width=None if Console().is_terminal else 120)

DataDir = Annotated[Path | None, typer.Option(help="data directory (default: $PARMETRICS_DATA_DIR or .data)")]


def resolve_paths(data_dir: Path | None) -> Paths:
    """The data directory given on the command line, else the configured one."""
    return Paths(data_dir.resolve()) if data_dir else paths()
