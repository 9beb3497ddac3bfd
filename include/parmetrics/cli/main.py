"""The ``parmetrics`` command line: one Typer app, each command group registered by its own module."""

from __future__ import annotations

import typer

from parmetrics.cli import backfill, bench, demo, extract, publish, reports, simulators, soak

app = typer.Typer(no_args_is_help=True, help="PAR metrics pipeline: demo, simulators, publish.")

for module in (demo, publish, simulators, backfill, extract, reports, soak, bench):
    module.register(app)

if __name__ == "__main__":
    app()
