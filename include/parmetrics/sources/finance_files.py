"""The finance inbox (SOURCES.md §3): budget revenue, public investment, enterprise registrations.

Each file lands whole as the batch of its period (``landing/finance/<dataset>/batch=<YYYYMM>``) or is
quarantined whole with a one-line reason; see :mod:`parmetrics.sources.file_drops` for the rules and
``catalogue/datasets.py`` for the datasets' columns and contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parmetrics.config import Paths
from parmetrics.sources.file_drops import FileName, GateFactory, process_file, process_inbox, specs_of

SOURCE = "finance"


def _lineage(name: FileName, file: str) -> dict[str, Any]:
    return {"_period": name.period, "_version": name.version, "_source_file": file}


SPECS = specs_of(SOURCE, _lineage)


def land_finance_file(path: Path, data_paths: Paths, *, gates: GateFactory | None = None) -> dict[str, Any]:
    """Land, skip or quarantine one finance file (moved to archive or quarantine afterwards)."""
    return process_file(path, data_paths, SPECS, SOURCE, gates)


def land_finance_inbox(
    inbox: Path, data_paths: Paths, *, claim: bool = True, gates: GateFactory | None = None
) -> list[dict[str, Any]]:
    return process_inbox(inbox, data_paths, SPECS, SOURCE, claim=claim, gates=gates)
