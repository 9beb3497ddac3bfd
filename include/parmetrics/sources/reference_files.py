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
from parmetrics.quality.landing_gate import landing_gate

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
    gate = landing_gate(data_paths, SOURCE, dataset)
    with BatchWriter(dataset_dir, month, UNITS, window={"snapshot_month": month}, gate=gate) as writer:
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


# ---- Every reference dataset through the inbox (claim → land or quarantine → archive) -------------------
# The generic file-drop rules (parmetrics.sources.file_drops) with §4's columns. A `_v<N>` re-send
# replaces only its own month's snapshot; every other month stays as history.

from parmetrics.landing.schemas import PROCEDURES, WEBSITE_LISTINGS  # noqa: E402
from parmetrics.sources import file_drops as _fd  # noqa: E402


def _snapshot_lineage(name: _fd.FileName, file: str) -> dict[str, Any]:
    return {"_snapshot_month": name.period, "_source_file": file}


SPECS: dict[str, _fd.DatasetSpec] = {
    "don_vi": _fd.DatasetSpec(
        SOURCE,
        "don_vi",
        (
            _fd.Column("ma_don_vi", _fd.text, required=True),
            _fd.Column("ten_don_vi", _fd.text),
            _fd.Column("cap", _fd.one_of(*sorted(UNIT_LEVELS))),
            _fd.Column("ma_don_vi_cha", _fd.text),
            _fd.Column("hieu_luc_tu", _fd.iso_date),
            _fd.Column("hieu_luc_den", _fd.iso_date),
            _fd.Column("ma_don_vi_ke_thua", _fd.text),
        ),
        UNITS,
        key=("ma_don_vi",),
        lineage=_snapshot_lineage,
    ),
    "thu_tuc_hanh_chinh": _fd.DatasetSpec(
        SOURCE,
        "thu_tuc_hanh_chinh",
        (
            _fd.Column("ma_tthc", _fd.text, required=True),
            _fd.Column("ten_tthc", _fd.text),
            _fd.Column("cap_thuc_hien", _fd.one_of("tinh", "huyen", "xa")),
            _fd.Column("linh_vuc", _fd.text),
            _fd.Column("thoi_han_ngay_lam_viec", _fd.non_negative(_fd.vn_int)),
            _fd.Column("muc_do_dvc", _fd.one_of("toan_trinh", "mot_phan", "khong")),
            _fd.Column("du_dieu_kien_toan_trinh", _fd.boolean),
            _fd.Column("co_phi_le_phi", _fd.boolean),
            _fd.Column("ket_qua_la_giay_to", _fd.boolean),
            _fd.Column("ngay_qd_cong_bo", _fd.iso_date),
            _fd.Column("ngay_hieu_luc", _fd.iso_date),
            _fd.Column("ngay_het_hieu_luc", _fd.iso_date),
            _fd.Column("ngay_cong_khai_csdl", _fd.iso_date),
            _fd.Column("day_du_bo_phan", _fd.boolean),
        ),
        PROCEDURES,
        key=("ma_tthc",),
        lineage=_snapshot_lineage,
    ),
    "niem_yet_website": _fd.DatasetSpec(
        SOURCE,
        "niem_yet_website",
        (
            _fd.Column("ma_don_vi", _fd.text, required=True),
            _fd.Column("ma_tthc", _fd.text, required=True),
            _fd.Column("ngay_kiem_tra", _fd.iso_date),
        ),
        WEBSITE_LISTINGS,
        key=("ma_don_vi", "ma_tthc"),
        lineage=_snapshot_lineage,
    ),
}


def land_reference_inbox_files(inbox: Path, data_paths: Paths, *, claim: bool = True) -> list[dict[str, Any]]:
    """Claim, then land or quarantine every reference file in ``inbox``; returns one outcome per file."""
    return _fd.process_inbox(inbox, data_paths, SPECS, SOURCE, claim=claim)
