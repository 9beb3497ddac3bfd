"""The document-management database (SOURCES.md §2) of the simulated province.

Four tables — outgoing documents, incoming documents, work files and tasks assigned by the
provincial People's Committee — generated unit by unit and year by year from each unit's habits
(size, digital habit, lateness), as the source would show them at ``end``: rows change after they are
created (an incoming document is processed, a task completed, a work file closed: ``updated_at``
moves on), and a few are soft-deleted (``deleted_at`` set, ``updated_at`` = that moment). Rows are
never hard-deleted.

Written to SQLite by default (``<sim>/document_db.sqlite``; timestamps ``YYYY-MM-DD HH:MM:SS``, dates
ISO, booleans 0/1) or to PostgreSQL given a DSN (same tables, native types, loaded with COPY).
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from parmetrics.lab.simulators.dossier_data import adoption, digitisation
from parmetrics.lab.simulators.fastcal import add_working_days, is_working_day, next_working_day
from parmetrics.lab.simulators.province import UNITS, Unit, unit_profiles

DEFAULT_SQLITE_NAME = "document_db.sqlite"

# (table, [(column, SQLite type, PostgreSQL type)])
TABLES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "van_ban_di": (
        ("id", "INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY"),
        ("ma_don_vi", "TEXT NOT NULL", "TEXT NOT NULL"),
        ("so_ky_hieu", "TEXT", "TEXT"),
        ("loai_van_ban", "TEXT", "TEXT"),
        ("ngay_ban_hanh", "DATE", "DATE"),
        ("do_mat", "TEXT", "TEXT"),
        ("phat_hanh_dien_tu", "BOOLEAN", "BOOLEAN"),
        ("ky_so", "BOOLEAN", "BOOLEAN"),
        ("gui_qua_truc", "BOOLEAN", "BOOLEAN"),
        ("noi_nhan_ngoai", "INTEGER", "INTEGER"),
        ("updated_at", "TIMESTAMP NOT NULL", "TIMESTAMP NOT NULL"),
        ("deleted_at", "TIMESTAMP", "TIMESTAMP"),
    ),
    "van_ban_den": (
        ("id", "INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY"),
        ("ma_don_vi", "TEXT NOT NULL", "TEXT NOT NULL"),
        ("ngay_den", "DATE", "DATE"),
        ("nhan_qua", "TEXT", "TEXT"),
        ("han_xu_ly", "DATE", "DATE"),
        ("ngay_xu_ly_xong", "DATE", "DATE"),
        ("trang_thai", "TEXT", "TEXT"),
        ("updated_at", "TIMESTAMP NOT NULL", "TIMESTAMP NOT NULL"),
        ("deleted_at", "TIMESTAMP", "TIMESTAMP"),
    ),
    "ho_so_cong_viec": (
        ("id", "INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY"),
        ("ma_don_vi", "TEXT NOT NULL", "TEXT NOT NULL"),
        ("ngay_mo", "DATE", "DATE"),
        ("ngay_dong", "DATE", "DATE"),
        ("xu_ly_tren_mang", "BOOLEAN", "BOOLEAN"),
        ("updated_at", "TIMESTAMP NOT NULL", "TIMESTAMP NOT NULL"),
        ("deleted_at", "TIMESTAMP", "TIMESTAMP"),
    ),
    "nhiem_vu": (
        ("id", "INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY"),
        ("ma_don_vi", "TEXT NOT NULL", "TEXT NOT NULL"),
        ("so_van_ban_giao", "TEXT", "TEXT"),
        ("ngay_giao", "DATE", "DATE"),
        ("han_hoan_thanh", "DATE", "DATE"),
        ("ngay_hoan_thanh", "DATE", "DATE"),
        ("trang_thai", "TEXT", "TEXT"),
        ("updated_at", "TIMESTAMP NOT NULL", "TIMESTAMP NOT NULL"),
        ("deleted_at", "TIMESTAMP", "TIMESTAMP"),
    ),
}
COLUMNS = {table: tuple(c for c, _, _ in spec) for table, spec in TABLES.items()}

# Yearly volume per unit of each level (before the unit's size factor and the scale).
OUTGOING_PER_YEAR = {"tinh": 400, "so": 150, "huyen": 120, "xa": 40}
TASKS_PER_YEAR = {"tinh": 0, "so": 24, "huyen": 18, "xa": 5}
DOC_TYPES = (("CV", 0.55), ("QĐ", 0.2), ("BC", 0.12), ("TB", 0.08), ("KH", 0.05))
DOC_TYPE_NAMES = {"CV": "Công văn", "QĐ": "Quyết định", "BC": "Báo cáo", "TB": "Thông báo", "KH": "Kế hoạch"}


@dataclass(frozen=True)
class DocumentDbConfig:
    seed: int = 766
    start: date = date(2019, 1, 1)
    end: datetime = datetime(2026, 11, 20)  # the source as it is at this instant
    scale: float = 1.0  # multiplies every volume
    soft_delete_rate: float = 0.006


def _office_time(day: date, rng: random.Random) -> datetime:
    day = next_working_day(day)
    return datetime.combine(day, time(7, 30)) + timedelta(seconds=rng.randrange(9 * 3600))


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(sep=" ")


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class _Ids:
    def __init__(self) -> None:
        self.next = dict.fromkeys(TABLES, 1)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] += 1
        return value


def generate_document_rows(config: DocumentDbConfig) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) in id order per table, month by month; every row as the source shows it at `end`."""
    profiles = unit_profiles(config.seed)
    ids = _Ids()
    end = config.end
    last_day = (end - timedelta(seconds=1)).date()
    month = date(config.start.year, config.start.month, 1)
    doc_numbers: dict[tuple[str, int], int] = {}
    while month <= last_day:
        next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days = [d for d in _days(month, min(last_day, next_month - timedelta(days=1))) if is_working_day(d)]
        for unit in UNITS:
            valid_days = [d for d in days if unit.valid_on(d)]
            if not valid_days:
                continue
            rng = random.Random(f"{config.seed}/docs/{unit.code}/{month:%Y%m}")
            profile = profiles[unit.code]
            factor = config.scale * profile.size**0.5 * len(valid_days) / 21.5
            yield from _unit_month(unit, valid_days, rng, factor, profile, ids, doc_numbers, config)
        month = next_month


def _count(rng: random.Random, mean: float) -> int:
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


def _cut(row: dict[str, Any], changes: list[tuple[datetime, dict[str, Any]]], end: datetime) -> dict[str, Any]:
    """Applies the row's later changes that happened before `end`; sets updated_at to the last one."""
    for moment, change in changes:
        if moment >= end:
            break
        row.update(change)
        row["updated_at"] = _ts(moment)
    return row


def _maybe_delete(
    row: dict[str, Any], rng: random.Random, config: DocumentDbConfig, created: datetime
) -> dict[str, Any]:
    if rng.random() < config.soft_delete_rate:
        deleted = created + timedelta(days=rng.randint(1, 60), seconds=rng.randrange(36000))
        if deleted < config.end:
            row["deleted_at"] = _ts(deleted)
            row["updated_at"] = _ts(max(deleted, datetime.fromisoformat(row["updated_at"])))
    return row


def _unit_month(
    unit: Unit,
    days: list[date],
    rng: random.Random,
    factor: float,
    profile: Any,
    ids: _Ids,
    doc_numbers: dict[tuple[str, int], int],
    config: DocumentDbConfig,
) -> Iterator[tuple[str, dict[str, Any]]]:
    end = config.end
    day0 = days[0]
    digital = min(1.0, max(0.0, 0.35 + 0.6 * adoption(day0) + profile.digital_habit))
    axis = min(1.0, max(0.0, 0.3 + 0.65 * digitisation(day0) + profile.digital_habit))
    online_files = min(1.0, max(0.0, 0.1 + 0.8 * digitisation(day0) + profile.digital_habit))
    level_code = {"tinh": "UBND", "so": "S", "huyen": "UBND", "xa": "UBND"}[unit.level]

    def stamp(day: date) -> datetime:
        return _office_time(day, rng)

    # Outgoing documents.
    for _ in range(_count(rng, OUTGOING_PER_YEAR[unit.level] / 12 * factor)):
        day = rng.choice(days)
        issued = stamp(day)
        if issued >= end:
            continue
        kind = rng.choices([k for k, _ in DOC_TYPES], weights=[w for _, w in DOC_TYPES])[0]
        key = (unit.code, day.year)
        doc_numbers[key] = doc_numbers.get(key, 0) + 1
        secret = rng.choices(("thuong", "mat", "toi_mat", "tuyet_mat"), weights=(96, 3, 0.8, 0.2))[0]
        electronic = secret == "thuong" and rng.random() < digital
        external = rng.choice((0, 0, 1, 2, 3, 5, 12)) if rng.random() > 0.01 else None
        row = {
            "id": ids.take("van_ban_di"),
            "ma_don_vi": unit.code,
            "so_ky_hieu": f"{doc_numbers[key]}/{kind}-{level_code}",
            "loai_van_ban": DOC_TYPE_NAMES[kind],
            "ngay_ban_hanh": day.isoformat(),
            "do_mat": secret,
            "phat_hanh_dien_tu": electronic,
            "ky_so": electronic and rng.random() < 0.97,
            "gui_qua_truc": electronic and bool(external) and rng.random() < axis,
            "noi_nhan_ngoai": external,
            "updated_at": _ts(issued),
            "deleted_at": None,
        }
        changes = []
        if rng.random() < 0.05:  # corrected after issue (e.g. signed or sent over the axis later)
            changes.append((issued + timedelta(days=rng.randint(1, 20)), {"ky_so": row["phat_hanh_dien_tu"]}))
        yield "van_ban_di", _maybe_delete(_cut(row, changes, end), rng, config, issued)

    # Incoming documents.
    for _ in range(_count(rng, 1.5 * OUTGOING_PER_YEAR[unit.level] / 12 * factor)):
        day = rng.choice(days)
        arrived = stamp(day)
        if arrived >= end:
            continue
        channel = rng.choices(("truc_lien_thong", "thu_dien_tu", "giay"), weights=(axis, 0.15, 1.0 - axis + 0.05))[0]
        deadline = add_working_days(day, rng.choice((3, 5, 7, 10, 15))) if rng.random() < 0.6 else None
        row = {
            "id": ids.take("van_ban_den"),
            "ma_don_vi": unit.code,
            "ngay_den": day.isoformat(),
            "nhan_qua": channel,
            "han_xu_ly": deadline.isoformat() if deadline else None,
            "ngay_xu_ly_xong": None,
            "trang_thai": "cho_xu_ly",
            "updated_at": _ts(arrived),
            "deleted_at": None,
        }
        started = stamp(add_working_days(day, rng.randint(0, 1)))
        late = rng.random() < min(0.6, 0.06 * profile.late_factor)
        base = deadline or add_working_days(day, 10)
        done_day = add_working_days(base, rng.randint(1, 8)) if late else add_working_days(day, rng.randint(0, 4))
        if deadline and not late and done_day > deadline:
            done_day = deadline
        done = stamp(done_day)
        changes = [(started, {"trang_thai": "dang_xu_ly"})]
        if rng.random() > 0.01:  # a few are never closed
            changes.append((max(done, started + timedelta(minutes=5)), {"trang_thai": "da_xu_ly"}))
            changes[-1][1]["ngay_xu_ly_xong"] = changes[-1][0].date().isoformat()
        yield "van_ban_den", _maybe_delete(_cut(row, changes, end), rng, config, arrived)

    # Work files.
    for _ in range(_count(rng, 0.3 * OUTGOING_PER_YEAR[unit.level] / 12 * factor)):
        day = rng.choice(days)
        opened = stamp(day)
        if opened >= end:
            continue
        row = {
            "id": ids.take("ho_so_cong_viec"),
            "ma_don_vi": unit.code,
            "ngay_mo": day.isoformat(),
            "ngay_dong": None,
            "xu_ly_tren_mang": False,
            "updated_at": _ts(opened),
            "deleted_at": None,
        }
        closed = stamp(add_working_days(day, rng.randint(5, 120)))
        changes = [(closed, {"ngay_dong": closed.date().isoformat(), "xu_ly_tren_mang": rng.random() < online_files})]
        yield "ho_so_cong_viec", _maybe_delete(_cut(row, changes, end), rng, config, opened)

    # Tasks assigned by the provincial People's Committee.
    for _ in range(_count(rng, TASKS_PER_YEAR[unit.level] / 12 * factor)):
        day = rng.choice(days)
        assigned = stamp(day)
        if assigned >= end:
            continue
        deadline = add_working_days(day, rng.choice((5, 10, 15, 20, 30, 60)))
        row = {
            "id": ids.take("nhiem_vu"),
            "ma_don_vi": unit.code,
            "so_van_ban_giao": f"{rng.randint(1, 3000)}/UBND-{rng.choice(('KGVX', 'KTN', 'NC', 'TH'))}",
            "ngay_giao": day.isoformat(),
            "han_hoan_thanh": deadline.isoformat(),
            "ngay_hoan_thanh": None,
            "trang_thai": "dang_thuc_hien",
            "updated_at": _ts(assigned),
            "deleted_at": None,
        }
        late = rng.random() < min(0.7, 0.08 * profile.late_factor)
        done_day = add_working_days(deadline, rng.randint(1, 25)) if late else add_working_days(day, rng.randint(1, 5))
        if not late and done_day > deadline:
            done_day = deadline
        overdue_mark = datetime.combine(deadline + timedelta(days=1), time(0, 5))
        changes = []
        if late:
            changes.append((overdue_mark, {"trang_thai": "qua_han"}))
        done = stamp(done_day)
        if rng.random() > 0.02:
            # Some officers leave the status at 'qua_han' after finishing late: the dates win (METRICS §6).
            status = "qua_han" if late and rng.random() < 0.2 else "hoan_thanh"
            changes.append((max(done, assigned + timedelta(hours=1)), {"trang_thai": status}))
            changes[-1][1]["ngay_hoan_thanh"] = changes[-1][0].date().isoformat()
        changes.sort(key=lambda c: c[0])
        yield "nhiem_vu", _maybe_delete(_cut(row, changes, end), rng, config, assigned)


# --- writers -------------------------------------------------------------------------------------


def _create_sql(table: str, dialect: str) -> str:
    cols = ", ".join(
        f"{c} {sqlite_type if dialect == 'sqlite' else pg_type}" for c, sqlite_type, pg_type in TABLES[table]
    )
    return f"CREATE TABLE {table} ({cols})"


def _index_sql(table: str) -> str:
    return f"CREATE INDEX {table}_updated_at ON {table} (updated_at, id)"


def write_document_db(out_dir: Path, config: DocumentDbConfig | None = None, dsn: str | None = None) -> Path | str:
    """Generates the document database: into ``<out_dir>/document_db.sqlite`` (replaced atomically;
    returns its path), or, given a PostgreSQL ``dsn``, into that database's tables (dropped and
    re-created in one transaction; returns the DSN). Returns where it went."""
    config = config or DocumentDbConfig()
    if dsn:
        _write_postgres(dsn, config)
        return dsn
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / DEFAULT_SQLITE_NAME
    tmp = out_dir / f".{DEFAULT_SQLITE_NAME}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        for table in TABLES:
            conn.execute(_create_sql(table, "sqlite"))
        buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}

        def flush(table: str) -> None:
            marks = ", ".join("?" * len(COLUMNS[table]))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", buffers[table])
            buffers[table].clear()

        for table, row in generate_document_rows(config):
            buffers[table].append(tuple(_sqlite_value(row[c]) for c in COLUMNS[table]))
            if len(buffers[table]) >= 5000:
                flush(table)
        for table in TABLES:
            flush(table)
            conn.execute(_index_sql(table))
        conn.commit()
    finally:
        conn.close()
    os.replace(tmp, final)
    return final


def _sqlite_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _write_postgres(dsn: str, config: DocumentDbConfig) -> None:
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(_create_sql(table, "postgres"))
        copies: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        for table, row in generate_document_rows(config):
            copies[table].append(tuple(row[c] for c in COLUMNS[table]))
            if len(copies[table]) >= 20000:
                _copy(cur, table, copies[table])
        for table in TABLES:
            _copy(cur, table, copies[table])
            cur.execute(_index_sql(table))
        conn.commit()


def _copy(cur: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    rows.clear()
