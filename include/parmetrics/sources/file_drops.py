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

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.landing.writer import BatchWriter, batch_dir, file_sha256, read_manifest
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
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    raw = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not VN_NUMBER.match(raw):
        raise ValueError(f"not a number in Vietnamese format (1.234.567,89): {value!r}")
    return float(raw.replace(".", "").replace(",", "."))


def non_negative(parse: Callable[[Any], float | None]) -> Callable[[Any], float | None]:
    def parse_non_negative(value: Any) -> float | None:
        number = parse(value)
        if number is not None and number < 0:
            raise NegativeAmount(f"negative amount {value!r}")
        return number

    return parse_non_negative


def vn_int(value: Any) -> int | None:
    number = vn_number(value)
    if number is None:
        return None
    if not float(number).is_integer():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


class NegativeAmount(ValueError):
    pass


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
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}")
    return date.fromisoformat(raw)


def boolean(value: Any) -> bool | None:
    """``true``/``false`` (any case); empty = null."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"not a boolean (true/false): {value!r}")
    return lowered == "true"


def one_of(*codes: str) -> Callable[[Any], str | None]:
    allowed = frozenset(codes)

    def parse_code(value: Any) -> str | None:
        code = text(value)
        if code is not None and code not in allowed:
            raise ValueError(f"unknown code {code!r} (expected one of {', '.join(sorted(allowed))})")
        return code

    return parse_code


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[Any], Any]
    required: bool = False  # may not be empty
    amount: bool = False  # summed against a `Tổng cộng` total row


@dataclass(frozen=True)
class DatasetSpec:
    source: str
    dataset: str
    columns: tuple[Column, ...]
    schema: pa.Schema
    key: tuple[str, ...]
    # Finance: the period column that must match the file name; reference: None.
    period_column: str | None = None
    lineage: Callable[[FileName, str], dict[str, Any]] = lambda name, file: {}

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


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
        raise FileRejected(path.name, "wrong encoding", f"not a readable XLSX workbook ({exc})") from None
    return [list(r) for r in rows if any(not _blank(c) for c in r)]


def _locate_header(rows: list[list[Any]], spec: DatasetSpec, file_name: str, titles_allowed: bool) -> int:
    first = spec.columns[0].name
    candidates = range(min(len(rows), MAX_TITLE_ROWS + 1)) if titles_allowed else range(min(len(rows), 1))
    for i in candidates:
        if first in {_norm(c) for c in rows[i]}:
            return i
    found = ", ".join(str(c) for c in rows[0] if not _blank(c)) if rows else ""
    raise FileRejected(file_name, "missing or renamed column", f"no header row with {first} (found: {found})")


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
        found = ", ".join(c for c in header if c)
        raise FileRejected(path.name, "missing or renamed column", f"{', '.join(missing)} (found: {found})")
    index = {c: header.index(c) for c in spec.column_names}
    body = rows[h + 1 :]
    total = body.pop() if body and _is_total_row(body[-1]) else None
    if any(_is_total_row(r) for r in body):
        raise FileRejected(path.name, "total row not last", "a Tổng cộng row must be the last row")
    if not body:
        raise FileRejected(path.name, "empty file", "no data rows")
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for offset, raw in enumerate(body, start=h + 2):
        raw = list(raw) + [None] * (len(header) - len(raw))
        row: dict[str, Any] = {}
        for column in spec.columns:
            cell = raw[index[column.name]]
            try:
                row[column.name] = column.parse(cell)
            except NegativeAmount as exc:
                raise FileRejected(path.name, "negative amount", f"row {offset}, column {column.name}: {exc}") from None
            except ValueError as exc:
                raise FileRejected(path.name, "invalid value", f"row {offset}, column {column.name}: {exc}") from None
            if column.required and row[column.name] is None:
                raise FileRejected(path.name, "missing value", f"row {offset}: {column.name} is empty")
        if spec.period_column and row[spec.period_column] != name.period_iso:
            raise FileRejected(
                path.name,
                "period does not match the file name",
                f"row {offset}: {spec.period_column} {row[spec.period_column]!r} is not {name.period_iso}",
            )
        key = tuple(row[k] for k in spec.key)
        if key in seen:
            raise FileRejected(path.name, "duplicate key", f"row {offset}: {dict(zip(spec.key, key, strict=True))}")
        seen.add(key)
        row.update(spec.lineage(name, path.name))
        out.append(row)
    if total is not None:
        _reconcile_total(path.name, spec, index, total, out)
    return out


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
    ops.write_record(
        data_paths,
        "quarantine",
        ops.quarantine_record(source, dataset, path.name, reason, quarantined_to=str(target)),
        partition=f"{source}__{dataset}",
    )
    log.warning("quarantined %s: %s", path.name, reason)
    return {"file": path.name, "dataset": dataset, "status": "quarantined", "rows": 0, "reason": reason}


def land_file(path: Path, data_paths: Paths, spec: DatasetSpec, name: FileName) -> dict[str, Any]:
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
    # Imported here: the inbox trigger imports this module, and DAG parsing should not pay for DuckDB.
    from parmetrics.quality.landing_gate import landing_gate

    gate = landing_gate(data_paths, spec.source, spec.dataset)
    with BatchWriter(dataset_dir, name.period, spec.schema, window={"period": name.period}, gate=gate) as writer:
        writer.write_rows(rows)
        writer.commit(source_file=path.name, source_version=name.version, source_sha256=digest)
    return {**base, "status": "landed", "rows": len(rows)}


def process_file(path: Path, data_paths: Paths, specs: dict[str, DatasetSpec], source: str) -> dict[str, Any]:
    """Land, skip or quarantine one claimed file, then move it out of the processing folder."""
    path = Path(path)
    dataset = "unknown"
    try:
        name = parse_file_name(path.name)
        dataset = name.dataset
        spec = specs.get(name.dataset)
        if spec is None:
            raise FileRejected(path.name, "unknown dataset", f"{name.dataset!r} is not one of {', '.join(specs)}")
        outcome = land_file(path, data_paths, spec, name)
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
    inbox: Path, data_paths: Paths, specs: dict[str, DatasetSpec], source: str, *, claim: bool = True
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

    return refusals + [process_file(p, data_paths, specs, source) for p in sorted(files, key=order)]
