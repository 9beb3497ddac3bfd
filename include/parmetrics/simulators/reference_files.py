"""Reference-data file drops (SOURCES.md §4) for the simulated province.

Written in the contract's CSV dialect: UTF-8 with a BOM, ``;`` separator, ISO dates, booleans
``true``/``false``, an empty field for null.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from parmetrics.simulators.province import UNITS, Unit

DON_VI_COLUMNS = (
    "ma_don_vi",
    "ten_don_vi",
    "cap",
    "ma_don_vi_cha",
    "hieu_luc_tu",
    "hieu_luc_den",
    "ma_don_vi_ke_thua",
)


def format_csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def render_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The contract's CSV dialect as bytes (BOM included)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([format_csv_value(v) for v in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def don_vi_rows(units: Iterable[Unit] = UNITS, as_of: date | None = None) -> list[tuple[Any, ...]]:
    """Units in a snapshot exported in the month of `as_of`: those that began before its end."""
    return [
        (u.code, u.name, u.level, u.parent, u.valid_from, u.valid_to, u.successor)
        for u in units
        if as_of is None or u.valid_from <= as_of
    ]


def write_don_vi_file(reference_dir: Path, month: str = "202611", version: int | None = None) -> Path:
    """Writes ``don_vi_<month>[_v<N>].csv`` (complete snapshot as of that month) atomically; returns it."""
    if len(month) != 6 or not month.isdigit():
        raise ValueError(f"month must be YYYYMM, not {month!r}")
    first_day = date(int(month[:4]), int(month[4:]), 1)
    next_month = date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)
    rows = don_vi_rows(as_of=date.fromordinal(next_month.toordinal() - 1))
    reference_dir.mkdir(parents=True, exist_ok=True)
    name = f"don_vi_{month}{f'_v{version}' if version else ''}.csv"
    target = reference_dir / name
    # Written beside the target under a name no file watcher matches, then renamed into place.
    tmp = reference_dir / f".{name}.tmp-{os.getpid()}"
    tmp.write_bytes(render_csv(DON_VI_COLUMNS, rows))
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the simulated don_vi reference snapshot.")
    parser.add_argument("--reference-dir", type=Path, required=True)
    parser.add_argument("--month", default="202611", help="YYYYMM of the export")
    args = parser.parse_args(argv)
    print(write_don_vi_file(args.reference_dir, args.month))


if __name__ == "__main__":
    main()
