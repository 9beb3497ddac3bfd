"""File drops (SOURCES.md §3, §4): claiming, reading, landing, archiving and quarantining files.

One life for every inbox file, whatever its dataset:

1. the inbox watcher (``parmetrics.triggers.inbox``) *claims* it: moves it to ``<inbox>/.processing/``;
2. :func:`process_file` reads it (CSV ``;`` UTF-8 with optional BOM, or XLSX: first sheet, up to 5
   title rows, an optional ``Tổng cộng`` total row that the other rows must sum to), validates every
   row, and lands it whole as the batch of its period — or refuses it whole;
3. a landed (or unchanged, or superseded) file moves to ``<data>/archive/<source>/``; a refused one
   moves to ``<data>/quarantine/<source>/`` beside a one-line ``.reason`` and an ``ops.quarantine``
   record. Nothing from a refused file lands.

Versions: ``<dataset>_<YYYYMM>.<ext>`` is version 0, ``…_v<N>`` version N. A batch records the version
and the SHA-256 of the file it came from; a lower version than the landed one changes nothing, and
so does the same file twice.

A dataset's columns, types and contract rules come from the catalogue (``catalogue/datasets.py``): a
cell is parsed by its column's type, then every row is checked against the contract
(``landing/contract.py``) and the first broken rule refuses the file. A reason quotes at most the
offending value (cut short), never a line of the file: a refused file may be anything, a symlink to a
system file included.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from parmetrics import catalogue, ops
from parmetrics.catalogue.model import shown
from parmetrics.config import Paths
from parmetrics.landing.writer import BatchWriter, Gate, batch_dir, file_sha256, read_manifest
from parmetrics.quality.errors import QualityGateError
from parmetrics.triggers import claim as _claim

log = logging.getLogger(__name__)

FILE_NAME = re.compile(r"^(?P<dataset>[a-z_]+?)_(?P<period>\d{6})(?:_v(?P<version>\d+))?\.(?P<ext>csv|xlsx)$")
PROCESSING = ".processing"
MAX_TITLE_ROWS = 5
TOTAL_LABEL = "tổng cộng"


class FileRejected(ValueError):
    """The file breaks the contract. ``str()`` is one line: ``<file name>: <rule>: <detail>``."""

    def __init__(self, file_name: str, rule: str, detail: str = "") -> None:
        self.file_name, self.rule, self.detail = file_name, rule, " ".join(detail.split())
        super().__init__(f"{file_name}: {rule}" + (f": {self.detail}" if self.detail else ""))


@dataclass(frozen=True)
class FileName:
    dataset: str
    period: str  # YYYYMM
    version: int  # 0 for the first send, N for `_v<N>`
    ext: str

    @property
    def period_iso(self) -> str:
        return f"{self.period[:4]}-{self.period[4:]}"


def parse_file_name(name: str) -> FileName:
    match = FILE_NAME.match(name)
    if not match or not 1 <= int(match["period"][4:]) <= 12:
        raise FileRejected(name, "bad file name", "expected <dataset>_<YYYYMM>[_v<N>].<csv|xlsx>")
    return FileName(match["dataset"], match["period"], int(match["version"] or 0), match["ext"])


# ---- cell parsers: each takes a raw cell (str from CSV; str/number/date from XLSX) --------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


VN_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+(,\d+)?$")


def vn_number(value: Any) -> float | None:
    """Vietnamese format ``1.234.567,89`` (``.`` groups thousands, ``,`` is the decimal mark)."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {shown(value)}")
    if isinstance(value, int | float):
        return float(value)
    raw = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not VN_NUMBER.match(raw):
        raise ValueError(f"not a number in Vietnamese format (1.234.567,89): {shown(value)}")
    return float(raw.replace(".", "").replace(",", "."))


def vn_int(value: Any) -> int | None:
    number = vn_number(value)
    if number is None:
        return None
    if not float(number).is_integer():
        raise ValueError(f"not a whole number: {shown(value)}")
    return int(number)


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(value: Any) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    if not ISO_DATE.match(raw):
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {shown(value)}")
    return date.fromisoformat(raw)


def boolean(value: Any) -> bool | None:
    """``true``/``false`` (any case); empty = null."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"not a boolean (true/false): {shown(value)}")
    return lowered == "true"


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[Any], Any]
    amount: bool = False  # summed against a `Tổng cộng` total row


def cell_parser(field_type: pa.DataType) -> Callable[[Any], Any]:
    """How a cell of a column of this landing type is read (SOURCES.md §3 dialect)."""
    if pa.types.is_floating(field_type):
        return vn_number
    if pa.types.is_integer(field_type):
        return vn_int
    if pa.types.is_date(field_type):
        return iso_date
    if pa.types.is_boolean(field_type):
        return boolean
    return text


@dataclass(frozen=True)
class DatasetSpec:
    """A file-drop dataset: its catalogue declaration, and the lineage columns its files carry."""

    declaration: catalogue.Dataset
    lineage: Callable[[FileName, str], dict[str, Any]]

    @property
    def source(self) -> str:
        return self.declaration.source.name

    @property
    def dataset(self) -> str:
        return self.declaration.name

    @property
    def schema(self) -> pa.Schema:
        return self.declaration.schema

    @property
    def key(self) -> tuple[str, ...]:
        return self.declaration.key

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(Column(f.name, cell_parser(f.type), f.summed) for f in self.declaration.source_fields)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def specs_of(source: str, lineage: Callable[[FileName, str], dict[str, Any]]) -> dict[str, DatasetSpec]:
    """The file-drop datasets of ``source`` in the catalogue, by name."""
    return {d.name: DatasetSpec(d, lineage) for d in catalogue.datasets_of(source)}


# ---- reading ---------------------------------------------------------------------------------------


def _norm(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value)).strip().lower() if value is not None else ""


def read_csv_rows(path: Path) -> list[list[str]]:
    """Rows of a contract CSV: UTF-8 with an optional BOM, ``;`` separator; blank lines dropped."""
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(path.name, "wrong encoding", f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    return [r for r in csv.reader(io.StringIO(content, newline=""), delimiter=";") if any(c.strip() for c in r)]


def read_xlsx_rows(path: Path) -> list[list[Any]]:
    """Rows of the first sheet (values as Python objects); blank rows dropped."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for anything unreadable
        raise FileRejected(
            path.name, "wrong encoding", f"not a readable XLSX workbook ({type(exc).__name__})"
        ) from None
    return [list(r) for r in rows if any(not _blank(c) for c in r)]


def _locate_header(rows: list[list[Any]], spec: DatasetSpec, file_name: str, titles_allowed: bool) -> int:
    first = spec.columns[0].name
    candidates = range(min(len(rows), MAX_TITLE_ROWS + 1)) if titles_allowed else range(min(len(rows), 1))
    for i in candidates:
        if first in {_norm(c) for c in rows[i]}:
            return i
    # Nothing of what was found is quoted: the file may be anything (a reason is published).
    raise FileRejected(file_name, "missing or renamed column", f"{first} (no header row names it)")


def _is_total_row(row: Sequence[Any]) -> bool:
    return any(_norm(c) == TOTAL_LABEL for c in row if isinstance(c, str))


def parse_rows(path: Path, name: FileName, spec: DatasetSpec) -> list[dict[str, Any]]:
    """Landing rows of a whole file, or :class:`FileRejected` naming the first broken rule."""
    rows = read_xlsx_rows(path) if name.ext == "xlsx" else read_csv_rows(path)
    if not rows:
        raise FileRejected(path.name, "empty file")
    h = _locate_header(rows, spec, path.name, titles_allowed=name.ext == "xlsx")
    header = [_norm(c) for c in rows[h]]
    missing = [c for c in spec.column_names if c not in header]
    if missing:
        raise FileRejected(path.name, "missing or renamed column", ", ".join(missing))
    index = {c: header.index(c) for c in spec.column_names}
    body = rows[h + 1 :]
    total = body.pop() if body and _is_total_row(body[-1]) else None
    if any(_is_total_row(r) for r in body):
        raise FileRejected(path.name, "total row not last", "a Tổng cộng row must be the last row")
    if not body:
        raise FileRejected(path.name, "empty file", "no data rows")
    out: list[dict[str, Any]] = []
    lines: list[int] = []
    seen: set[tuple[Any, ...]] = set()
    for offset, raw in enumerate(body, start=h + 2):
        raw = list(raw) + [None] * (len(header) - len(raw))
        row: dict[str, Any] = {}
        for column in spec.columns:
            cell = raw[index[column.name]]
            try:
                row[column.name] = column.parse(cell)
            except ValueError as exc:
                raise FileRejected(path.name, "invalid value", f"row {offset}, column {column.name}: {exc}") from None
        key = tuple(row[k] for k in spec.key)
        if key in seen and None not in key:
            shown_key = ", ".join(f"{k}={shown(v)}" for k, v in zip(spec.key, key, strict=True))
            raise FileRejected(path.name, "duplicate key", f"row {offset}: {shown_key}")
        seen.add(key)
        row.update(spec.lineage(name, path.name))
        out.append(row)
        lines.append(offset)
    _check_contract(path.name, spec, out, lines)
    if total is not None:
        _reconcile_total(path.name, spec, index, total, out)
    return out


def _check_contract(file_name: str, spec: DatasetSpec, rows: list[dict[str, Any]], lines: list[int]) -> None:
    """Refuse the file on the first row that breaks a contract rule of its dataset."""
    # Imported here: the inbox trigger imports this module, and the triggerer should not load DuckDB.
    from parmetrics.landing.contract import ContractChecker

    with ContractChecker(spec.declaration) as checker:
        violations = checker.violations(pa.Table.from_pylist(rows, schema=spec.schema))
    if violations:
        first = violations[0]
        raise FileRejected(
            file_name, first.rule.file_rule(), f"row {lines[first.row]}: {first.rule.describe(first.values)}"
        )


def _reconcile_total(
    file_name: str, spec: DatasetSpec, index: dict[str, int], total: list[Any], rows: list[dict[str, Any]]
) -> None:
    total = list(total) + [None] * (max(index.values()) + 1 - len(total))
    for column in (c for c in spec.columns if c.amount):
        cell = total[index[column.name]]
        try:
            stated = vn_number(cell)
        except ValueError as exc:
            raise FileRejected(file_name, "invalid total", f"column {column.name}: {exc}") from None
        if stated is None:
            continue
        summed = sum(r[column.name] or 0.0 for r in rows)
        if abs(summed - stated) > 0.005 + 1e-9 * abs(stated):
            raise FileRejected(
                file_name,
                "totals do not reconcile",
                f"column {column.name}: rows sum to {summed:,.2f}, Tổng cộng says {stated:,.2f}",
            )


# ---- landing, archiving, quarantining -------------------------------------------------------------


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{uuid.uuid4().hex[:8]}{path.suffix}"
    shutil.move(str(path), target)
    return target


def quarantine_file(path: Path, data_paths: Paths, source: str, dataset: str, reason: str) -> dict[str, Any]:
    """Move a refused file aside with its one-line reason and an ``ops.quarantine`` record."""
    reason = " ".join(reason.split())
    target = _move(path, data_paths.quarantine / source)
    target.with_name(target.name + ".reason").write_text(reason + "\n", encoding="utf-8")
    relative = target.relative_to(data_paths.root) if target.is_relative_to(data_paths.root) else target
    ops.write_record(
        data_paths,
        "quarantine",
        ops.quarantine_record(source, dataset, path.name, reason, status="quarantined", quarantined_to=str(relative)),
        partition=f"{source}__{dataset}",
    )
    log.warning("quarantined %s: %s", path.name, reason)
    return {"file": path.name, "dataset": dataset, "status": "quarantined", "rows": 0, "reason": reason}


def land_file(
    path: Path, data_paths: Paths, spec: DatasetSpec, name: FileName, gate: Gate | None = None
) -> dict[str, Any]:
    """Land one valid file as the batch of its period (or leave the landed batch when it should win)."""
    dataset_dir = data_paths.dataset_landing(spec.source, spec.dataset)
    digest = file_sha256(path)
    base = {"file": path.name, "dataset": spec.dataset, "batch_id": name.period, "version": name.version}
    existing = batch_dir(dataset_dir, name.period)
    if existing.exists():
        manifest = read_manifest(existing)
        landed_version = int(manifest.get("source_version", 0))
        if manifest.get("source_sha256") == digest:
            return {**base, "status": "unchanged", "rows": 0}
        if landed_version > name.version:
            return {**base, "status": "superseded", "rows": 0, "reason": f"v{landed_version} already landed"}
    rows = parse_rows(path, name, spec)
    with BatchWriter(dataset_dir, name.period, spec.schema, window={"period": name.period}, gate=gate) as writer:
        writer.write_rows(rows)
        writer.commit(source_file=path.name, source_version=name.version, source_sha256=digest)
    return {**base, "status": "landed", "rows": len(rows)}


GateFactory = Callable[[str, str], Gate]


def process_file(
    path: Path, data_paths: Paths, specs: dict[str, DatasetSpec], source: str, gates: GateFactory | None = None
) -> dict[str, Any]:
    """Land, skip or quarantine one claimed file, then move it out of the processing folder.

    ``gates(source, dataset)``: the landing gate of the file's dataset (orchestration hands it over)."""
    path = Path(path)
    dataset = "unknown"
    try:
        name = parse_file_name(path.name)
        dataset = name.dataset
        spec = specs.get(name.dataset)
        if spec is None:
            raise FileRejected(path.name, "unknown dataset", f"{name.dataset!r} is not one of {', '.join(specs)}")
        outcome = land_file(path, data_paths, spec, name, gates(source, spec.dataset) if gates else None)
    except FileRejected as exc:
        return quarantine_file(path, data_paths, source, dataset, str(exc))
    except QualityGateError as exc:
        # The file honours the contract but its data fails a landing suite: it is kept aside like a
        # refused file, and the task fails once every other file has been handled.
        return {**quarantine_file(path, data_paths, source, dataset, str(exc)), "gate_failure": str(exc)}
    _move(path, data_paths.root / "archive" / source)
    log.info("%s: %s", path.name, outcome)
    return outcome


def claim_files(inbox: Path, pattern: re.Pattern[str] | None = None) -> list[Path]:
    """Claim the inbox's entries into ``inbox/.processing`` (``parmetrics.triggers.claim``: only regular
    files are ever read; anything else is refused when the claimed entries are processed)."""
    return _claim.claim_files(inbox, pattern)[0]


def process_inbox(
    inbox: Path,
    data_paths: Paths,
    specs: dict[str, DatasetSpec],
    source: str,
    *,
    claim: bool = True,
    gates: GateFactory | None = None,
) -> list[dict[str, Any]]:
    """Process every claimed file (claiming what is still in the inbox first, unless told not to).

    Files are processed in (period, version) order, so a re-send and its original dropped together
    end with the re-send landed.
    """
    refused = _claim.claim_files(inbox)[1] if claim else []
    files, irregular = _claim.sort_claimed(inbox / PROCESSING)
    refusals = [_claim.refuse(r, data_paths, source) for r in [*irregular, *refused]]

    def order(p: Path) -> tuple[Any, ...]:
        try:
            n = parse_file_name(p.name)
            return (0, n.dataset, n.period, n.version, p.name)
        except FileRejected:
            return (1, "", "", 0, p.name)

    return refusals + [process_file(p, data_paths, specs, source, gates) for p in sorted(files, key=order)]
