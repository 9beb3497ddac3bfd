"""parmetrics — the PAR metrics pipeline: sources, landing, quality, publish, simulators, CLI."""

__version__ = "0.1.0"
