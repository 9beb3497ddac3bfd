"""Reference data file drops (SOURCES.md §3 dialect, §4 datasets): units, procedures, website listings.

A file is a complete snapshot for the month in its name and lands as batch ``<YYYYMM>``; a ``_v<N>``
re-send replaces that month only, and an older version arriving after a newer one changes nothing.
A file that breaks the contract is refused whole with a one-line reason naming the file and rule. The
datasets' columns and contract are in ``catalogue/datasets.py``; the file rules in
:mod:`parmetrics.sources.file_drops`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parmetrics.config import Paths
from parmetrics.sources.file_drops import FileName, GateFactory, process_file, process_inbox, specs_of

SOURCE = "reference"


def _snapshot_lineage(name: FileName, file: str) -> dict[str, Any]:
    return {"_snapshot_month": name.period, "_source_file": file}


SPECS = specs_of(SOURCE, _snapshot_lineage)


def land_reference_file(path: Path, data_paths: Paths, *, gates: GateFactory | None = None) -> dict[str, Any]:
    """Land, skip or quarantine one reference file (moved to archive or quarantine afterwards)."""
    return process_file(path, data_paths, SPECS, SOURCE, gates)


def land_reference_inbox_files(
    inbox: Path, data_paths: Paths, *, claim: bool = True, gates: GateFactory | None = None
) -> list[dict[str, Any]]:
    """Claim, then land or quarantine every reference file in ``inbox``; returns one outcome per file."""
    return process_inbox(inbox, data_paths, SPECS, SOURCE, claim=claim, gates=gates)
