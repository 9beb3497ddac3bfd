"""Reference-data file drops (SOURCES.md §4) for the simulated province.

Written in the contract's CSV dialect: UTF-8 with a BOM, ``;`` separator, ISO dates, booleans
``true``/``false``, an empty field for null. Three datasets, each a complete snapshot as of its
export month: ``don_vi`` (units), ``thu_tuc_hanh_chinh`` (the procedure catalogue as of that month)
and ``niem_yet_website`` (what each unit's website listed when it was checked; some units forget to
take expired procedures down). :func:`write_reference_files` writes the snapshots of a whole
simulation (every January and July, and the end month).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from parmetrics.lab.simulators.province import (
    CATALOGUE,
    UNITS,
    Unit,
    catalogue_months,
    in_force_on,
    month_end,
    procedure_state,
)

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


THU_TUC_COLUMNS = (
    "ma_tthc",
    "ten_tthc",
    "cap_thuc_hien",
    "linh_vuc",
    "thoi_han_ngay_lam_viec",
    "muc_do_dvc",
    "du_dieu_kien_toan_trinh",
    "co_phi_le_phi",
    "ket_qua_la_giay_to",
    "ngay_qd_cong_bo",
    "ngay_hieu_luc",
    "ngay_het_hieu_luc",
    "ngay_cong_khai_csdl",
    "day_du_bo_phan",
)
NIEM_YET_COLUMNS = ("ma_don_vi", "ma_tthc", "ngay_kiem_tra")


def _check_month(month: str) -> None:
    if len(month) != 6 or not month.isdigit() or not 1 <= int(month[4:]) <= 12:
        raise ValueError(f"month must be YYYYMM, not {month!r}")


def write_atomic(directory: Path, name: str, data: bytes) -> Path:
    """Writes beside the target under a name no file watcher matches, then renames it into place."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    tmp = directory / f".{name}.tmp-{os.getpid()}"
    tmp.write_bytes(data)
    tmp.replace(target)
    return target


def _file_name(dataset: str, month: str, version: int | None) -> str:
    return f"{dataset}_{month}{f'_v{version}' if version else ''}.csv"


def write_don_vi_file(reference_dir: Path, month: str = "202611", version: int | None = None) -> Path:
    """Writes ``don_vi_<month>[_v<N>].csv`` (complete snapshot as of that month) atomically; returns it."""
    _check_month(month)
    rows = don_vi_rows(as_of=month_end(month))
    return write_atomic(reference_dir, _file_name("don_vi", month, version), render_csv(DON_VI_COLUMNS, rows))


def thu_tuc_rows(month: str) -> list[tuple[Any, ...]]:
    """The procedure catalogue as exported in `month` (procedures decided by its end, expired ones too)."""
    rows = []
    for p in CATALOGUE:
        state = procedure_state(p, month)
        if state is None:
            continue
        as_of = month_end(month)
        published = p.published_db_on if p.published_db_on is not None and p.published_db_on <= as_of else None
        rows.append(
            (
                p.code,
                p.name,
                state.level,
                p.sector,
                state.time_limit_days,
                state.online_level,
                p.full_online_eligible or state.online_level == "toan_trinh",
                p.fee_vnd > 0,
                p.result_is_document,
                p.decided_on,
                p.effective_on,
                state.expires_on,
                published,
                p.complete_parts,
            )
        )
    return rows


def write_thu_tuc_file(reference_dir: Path, month: str, version: int | None = None) -> Path:
    """Writes ``thu_tuc_hanh_chinh_<month>[_v<N>].csv``: the catalogue as of that month."""
    _check_month(month)
    name = _file_name("thu_tuc_hanh_chinh", month, version)
    return write_atomic(reference_dir, name, render_csv(THU_TUC_COLUMNS, thu_tuc_rows(month)))


def niem_yet_rows(month: str, seed: int = 766) -> list[tuple[Any, ...]]:
    """Each unit valid at the month's end lists the in-force procedures of its level on its website
    (a few missing); sloppy units still list procedures that expired; checked on a day of the month."""
    as_of = month_end(month)
    first = as_of.replace(day=1)
    states = [(p, s) for p in CATALOGUE if (s := procedure_state(p, month)) is not None]
    by_department: dict[str | None, list[Any]] = {}
    local_xa, local_huyen = [], []
    for p, state in states:
        by_department.setdefault(p.handled_by, []).append(p)
        if state.level == "xa":
            local_xa.append(p)
        elif state.level == "huyen":
            local_huyen.append(p)
    rows = []
    for unit in UNITS:
        if not unit.valid_on(as_of) or unit.level == "tinh":
            continue
        rng = random.Random(f"{seed}/website/{unit.code}/{month}")
        sloppy = random.Random(f"{seed}/website/{unit.code}").random() < 0.3
        checked = first + timedelta(days=rng.randrange((as_of - first).days + 1))
        if unit.level == "so":
            mine = by_department.get(unit.code, [])
        else:
            mine = local_xa + (local_huyen if unit.level == "huyen" else [])
        for p in mine:
            if in_force_on(p, checked):
                if rng.random() < 0.97:
                    rows.append((unit.code, p.code, checked))
            elif p.expires_on is not None and p.expires_on <= checked and sloppy and rng.random() < 0.4:
                rows.append((unit.code, p.code, checked))  # expired but still listed (PAR.3.expired_listed)
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def write_niem_yet_file(reference_dir: Path, month: str, seed: int = 766, version: int | None = None) -> Path:
    """Writes ``niem_yet_website_<month>[_v<N>].csv``: the website listings checked in that month."""
    _check_month(month)
    name = _file_name("niem_yet_website", month, version)
    return write_atomic(reference_dir, name, render_csv(NIEM_YET_COLUMNS, niem_yet_rows(month, seed)))


def write_reference_files(
    reference_dir: Path, start: date = date(2019, 1, 1), end: date = date(2026, 11, 20), seed: int = 766
) -> list[Path]:
    """Every snapshot of the three reference datasets from `start` to `end` (January, July, end month)."""
    written = []
    for month in catalogue_months(start, end):
        written.append(write_don_vi_file(reference_dir, month))
        written.append(write_thu_tuc_file(reference_dir, month))
        written.append(write_niem_yet_file(reference_dir, month, seed))
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the simulated reference snapshots.")
    parser.add_argument("--reference-dir", type=Path, required=True)
    parser.add_argument("--month", default=None, help="YYYYMM: only the don_vi snapshot of that month")
    parser.add_argument("--end", default="2026-11-20")
    args = parser.parse_args(argv)
    if args.month:
        print(write_don_vi_file(args.reference_dir, args.month))
        return
    for path in write_reference_files(args.reference_dir, end=date.fromisoformat(args.end)):
        print(path)


if __name__ == "__main__":
    main()
