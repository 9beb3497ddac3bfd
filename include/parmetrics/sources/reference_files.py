"""Landing reference-data file drops (SOURCES.md §3 dialect, §4 datasets): the ``don_vi`` snapshot.

A file is a complete snapshot for the month in its name and lands as batch ``<YYYYMM>``; a ``_v<N>``
re-send replaces that month only, and an older version arriving after a newer one changes nothing.
A file that breaks the contract is refused whole with a one-line reason naming the file and rule.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from parmetrics.config import Paths
from parmetrics.landing.schemas import UNITS
from parmetrics.landing.writer import BatchWriter, batch_dir, read_manifest

SOURCE = "reference"
FILE_NAME = re.compile(r"^(?P<dataset>[a-z_]+?)_(?P<month>\d{6})(?:_v(?P<version>\d+))?\.csv$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UNIT_LEVELS = frozenset({"tinh", "so", "huyen", "xa"})

DON_VI_COLUMNS = (
    "ma_don_vi",
    "ten_don_vi",
    "cap",
    "ma_don_vi_cha",
    "hieu_luc_tu",
    "hieu_luc_den",
    "ma_don_vi_ke_thua",
)


class ReferenceFileError(ValueError):
    """The file breaks the contract; the message names the file and the rule."""


def _text(value: str) -> str | None:
    return value if value.strip() else None


def _date(value: str) -> date | None:
    if not value.strip():
        return None
    if not ISO_DATE.match(value.strip()):
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}")
    return date.fromisoformat(value.strip())


def _level(value: str) -> str | None:
    if not value.strip():
        return None
    if value.strip() not in UNIT_LEVELS:
        raise ValueError(f"unknown cap code {value!r} (expected one of {', '.join(sorted(UNIT_LEVELS))})")
    return value.strip()


def parse_bool(value: str) -> bool | None:
    """``true``/``false`` (any case); empty = null."""
    lowered = value.strip().lower()
    if not lowered:
        return None
    if lowered not in ("true", "false"):
        raise ValueError(f"not a boolean (true/false): {value!r}")
    return lowered == "true"


DON_VI_PARSERS: dict[str, Callable[[str], Any]] = {
    "ma_don_vi": _text,
    "ten_don_vi": _text,
    "cap": _level,
    "ma_don_vi_cha": _text,
    "hieu_luc_tu": _date,
    "hieu_luc_den": _date,
    "ma_don_vi_ke_thua": _text,
}


def parse_file_name(path: Path) -> tuple[str, str, int]:
    """(dataset, YYYYMM, version) from ``<dataset>_<YYYYMM>[_v<N>].csv``; version 1 when absent."""
    match = FILE_NAME.match(path.name)
    if not match or not 1 <= int(match["month"][4:]) <= 12:
        raise ReferenceFileError(f"{path.name}: file name is not <dataset>_<YYYYMM>[_v<N>].csv")
    return match["dataset"], match["month"], int(match["version"] or 1)


def read_contract_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a contract CSV: UTF-8 with an optional BOM, ``;`` separator."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(f"{path.name}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=";") if any(c.strip() for c in r)]
    if not rows:
        raise ReferenceFileError(f"{path.name}: file is empty")
    return [c.strip() for c in rows[0]], rows[1:]


def parse_don_vi(path: Path, snapshot_month: str) -> list[dict[str, Any]]:
    """Rows of a ``don_vi`` file in the UNITS landing schema; raises :class:`ReferenceFileError`."""
    header, rows = read_contract_csv(path)
    missing = [c for c in DON_VI_COLUMNS if c not in header]
    if missing:
        raise ReferenceFileError(f"{path.name}: missing column(s) {', '.join(missing)}")
    if not rows:
        raise ReferenceFileError(f"{path.name}: no data rows")
    index = {c: header.index(c) for c in DON_VI_COLUMNS}
    parsed = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ReferenceFileError(f"{path.name}: row {line} has {len(row)} fields, header has {len(header)}")
        out: dict[str, Any] = {}
        for column, parse in DON_VI_PARSERS.items():
            try:
                out[column] = parse(row[index[column]])
            except ValueError as exc:
                raise ReferenceFileError(f"{path.name}: row {line}, column {column}: {exc}") from None
        if out["ma_don_vi"] is None:
            raise ReferenceFileError(f"{path.name}: row {line}: ma_don_vi is empty")
        if out["ma_don_vi"] in seen:
            raise ReferenceFileError(f"{path.name}: row {line}: duplicate ma_don_vi {out['ma_don_vi']!r}")
        seen.add(out["ma_don_vi"])
        out["_snapshot_month"] = snapshot_month
        out["_source_file"] = path.name
        parsed.append(out)
    return parsed


def land_reference_file(path: Path, data_paths: Paths) -> dict[str, Any]:
    """Land one ``don_vi_<YYYYMM>[_v<N>].csv`` as batch ``<YYYYMM>``; returns stats (``skipped`` if stale).

    Raises :class:`ReferenceFileError` (a ``ValueError``) when the file breaks the contract.
    """
    path = Path(path)
    dataset, month, version = parse_file_name(path)
    if dataset != "don_vi":
        raise ReferenceFileError(f"{path.name}: dataset {dataset!r} is not handled here (expected don_vi)")
    dataset_dir = data_paths.dataset_landing(SOURCE, dataset)
    existing = batch_dir(dataset_dir, month)
    if existing.exists():
        landed_version = int(read_manifest(existing).get("source_version", 1))
        if landed_version > version:
            return {"dataset": dataset, "batch_id": month, "skipped": True, "rows": 0, "version": version}
    rows = parse_don_vi(path, month)
    with BatchWriter(dataset_dir, month, UNITS, window={"snapshot_month": month}) as writer:
        writer.write_rows(rows)
        writer.commit(source_file=path.name, source_version=version)
    return {
        "dataset": dataset,
        "batch_id": month,
        "skipped": False,
        "rows": len(rows),
        "version": version,
        "path": str(batch_dir(dataset_dir, month)),
    }
