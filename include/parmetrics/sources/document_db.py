"""Extracting the document-management database (SOURCES.md §2): PostgreSQL or SQLite, four tables.

Each run lands one window ``[updated_from, updated_to)`` of ``updated_at`` per table as batch
``<from>_<to>``, read in chunks by one ordered statement (a server-side cursor on PostgreSQL) and
written part by part as it goes; a crash leaves hidden debris that the rerun of the window removes.
Soft-deleted rows land with ``deleted_at`` set, so staging can drop them. A row whose values break
the contract (a value of the wrong type, a missing key, an unknown code — the catalogue's rules) is
quarantined on its own (``quarantine/document_db/<table>/batch=<id>.jsonl`` + ``ops.quarantine``) with
a one-line reason naming its id and the rule; the others land. When the source corrects the row, a
later window lands it and records the resolution. The tables hold no personal data.

The connection is the Airflow connection ``document_db`` (``AIRFLOW_CONN_DOCUMENT_DB``): a
``postgresql://user:password@host:port/db`` URI (psycopg), or a SQLite file (``sqlite:////abs/path``);
without one, the embedded default ``<data>/sim/document_db.sqlite``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from parmetrics import catalogue
from parmetrics.config import Paths, paths
from parmetrics.landing import quarantine as q
from parmetrics.landing.contract import ContractChecker
from parmetrics.landing.writer import DEFAULT_LOCK_TIMEOUT, BatchWriter, Gate
from parmetrics.timestamps import format_ts

log = logging.getLogger(__name__)

SOURCE = "document_db"
TABLES: dict[str, pa.Schema] = {d.name: d.schema for d in catalogue.datasets_of(SOURCE)}
DEFAULT_SQLITE_NAME = "document_db.sqlite"


class MalformedRow(ValueError):
    pass


# ---- connection ---------------------------------------------------------------------------------


def sqlalchemy_url(uri: str) -> str:
    """An Airflow connection (URI or JSON form) → a SQLAlchemy URL (psycopg 3 for PostgreSQL)."""
    from urllib.parse import unquote

    uri = uri.strip()
    if uri.startswith("{"):  # AIRFLOW_CONN_* in JSON form
        conn = json.loads(uri)
        kind = (conn.get("conn_type") or "").lower()
        if kind == "sqlite":
            return f"sqlite:///{conn['host']}"
        if kind not in ("postgres", "postgresql"):
            raise ValueError(f"document_db connection type must be postgres or sqlite, not {kind!r}")
        url = sa.engine.URL.create(
            "postgresql+psycopg",
            username=conn.get("login") or None,
            password=conn.get("password") or None,
            host=conn.get("host") or "localhost",
            port=int(conn["port"]) if conn.get("port") else None,
            database=conn.get("schema") or None,
        )
        return url.render_as_string(hide_password=False)
    scheme, _, rest = uri.partition("://")
    scheme = scheme.lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        # SQLAlchemy style sqlite:///<path> (sqlite:////abs/path), or Airflow's sqlite://<url-encoded path>.
        return "sqlite:///" + unquote(rest[1:] if rest.startswith("/") else rest)
    raise ValueError(f"document_db connection must be postgresql:// or sqlite://, not {scheme}://")


def document_db_url(data_paths: Paths | None = None) -> str:
    """``AIRFLOW_CONN_DOCUMENT_DB`` (or the Airflow connection) when set, else the embedded SQLite file."""
    value = os.environ.get("AIRFLOW_CONN_DOCUMENT_DB")
    if value:
        return sqlalchemy_url(value)
    with_airflow = os.environ.get("PARMETRICS_CONN_FROM_AIRFLOW") == "1"
    if with_airflow:  # a connection kept in Airflow's metadata database
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection("document_db")
        if conn.conn_type == "sqlite":
            return f"sqlite:///{conn.host}"
        return sqlalchemy_url(conn.get_uri())
    return f"sqlite:///{(data_paths or paths()).sim / DEFAULT_SQLITE_NAME}"


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if not Path(path).exists():
            raise FileNotFoundError(f"document database not found: {path}")
        # Read-only: the extractor never writes to a source.
        return sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    return sa.create_engine(url, connect_args={"connect_timeout": 30})


# ---- values -------------------------------------------------------------------------------------


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0) if value.tzinfo is None else _aware_to_local(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise MalformedRow(f"not a timestamp: {value!r}") from None
        return _timestamp(parsed)
    raise MalformedRow(f"not a timestamp: {value!r}")


def _aware_to_local(value: datetime) -> datetime:
    from parmetrics.windows import to_local_naive

    return to_local_naive(value).replace(microsecond=0)


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise MalformedRow(f"not a date: {value!r}") from None
    raise MalformedRow(f"not a date: {value!r}")


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false", "t", "f"):
        return value.strip().lower() in ("1", "true", "t")
    raise MalformedRow(f"not a boolean: {value!r}")


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedRow(f"not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise MalformedRow(f"not an integer: {value!r}")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _converter(field_type: pa.DataType) -> Callable[[Any], Any]:
    if pa.types.is_timestamp(field_type):
        return _timestamp
    if pa.types.is_date(field_type):
        return _date
    if pa.types.is_boolean(field_type):
        return _bool
    if pa.types.is_integer(field_type):
        return _int
    return _str


def row_to_landing(table: str, schema: pa.Schema, row: dict[str, Any], batch_id: str) -> dict[str, Any]:
    """A landing row of the right types, or :class:`MalformedRow`. The catalogue's contract rules (code
    domains, required values) are checked on whole chunks afterwards (``landing/contract.py``)."""
    out: dict[str, Any] = {}
    for f in schema:
        if f.name == "_batch_id":
            continue
        try:
            value = _converter(f.type)(row.get(f.name))
        except MalformedRow as exc:
            raise MalformedRow(f"{f.name}: {exc}") from None
        if value is None and not f.nullable:
            raise MalformedRow(f"{f.name} is missing")
        out[f.name] = value
    out["_batch_id"] = batch_id
    return out


def _version(row: dict[str, Any]) -> str | None:
    """A row's ``updated_at`` as ``YYYY-MM-DD HH:MM:SS`` (how versions compare), None when unreadable."""
    try:
        value = _timestamp(row.get("updated_at"))
    except MalformedRow:
        return None
    return value.isoformat(sep=" ") if value else None


# ---- extraction ---------------------------------------------------------------------------------


@dataclass
class TableExtraction:
    table: str
    rows: int = 0
    read: int = 0
    quarantine: list[q.Quarantined] = field(default_factory=list)
    max_updated_at: datetime | None = None
    # Versions landed of keys that were quarantined in earlier batches (they may be corrections).
    corrections: list[tuple[str, str | None]] = field(default_factory=list)

    def set_aside(self, raw: dict[str, Any], problem: str, rule: str) -> None:
        key = raw.get("id")
        self.quarantine.append(
            q.Quarantined(
                key=None if key is None else str(key),
                reason=f"{self.table} record id={key!r}: {problem}",
                rule=rule,
                record=raw,
                version=_version(raw),
            )
        )


def _select(engine: sa.Engine, table: str, schema: pa.Schema, lo: datetime | None, hi: datetime) -> sa.TextClause:
    columns = [f.name for f in schema if f.name != "_batch_id"]
    ts = "updated_at"
    if engine.dialect.name == "sqlite":
        # SQLite keeps timestamps as text ('YYYY-MM-DD HH:MM:SS' or ISO with 'T'); datetime() makes both comparable.
        ts = "datetime(updated_at)"
    where = [f"{ts} < :hi"]
    if lo is not None:
        where.append(f"{ts} >= :lo")
    cols = ", ".join(columns)
    return sa.text(f"SELECT {cols} FROM {table} WHERE {' AND '.join(where)} ORDER BY {ts}, id")


def _bound(engine: sa.Engine, value: datetime | None) -> Any:
    if value is None:
        return None
    return value.isoformat(sep=" ") if engine.dialect.name == "sqlite" else value


def iter_chunks(
    engine: sa.Engine, table: str, lo: datetime | None, hi: datetime, chunk_rows: int
) -> Iterator[list[dict[str, Any]]]:
    """The window's rows of ``table`` in ``(updated_at, id)`` order, ``chunk_rows`` at a time."""
    schema = TABLES[table]
    stmt = _select(engine, table, schema, lo, hi)
    params = {"hi": _bound(engine, hi)}
    if lo is not None:
        params["lo"] = _bound(engine, lo)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(stmt, params)
        for partition in result.mappings().partitions(chunk_rows):
            yield [dict(r) for r in partition]


def batch_id_for_window(lo: datetime | None, hi: datetime) -> str:
    return f"{format_ts(lo) or 'open'}_{format_ts(hi)}"


def _land_chunk(
    run: TableExtraction,
    chunk: list[dict[str, Any]],
    schema: pa.Schema,
    batch_id: str,
    checker: ContractChecker,
    open_keys: dict[str, Any],
) -> pa.Table:
    """The chunk's rows that keep the contract, as a table; the others are set aside with their reason."""
    good, originals = [], []
    for raw in chunk:
        run.read += 1
        try:
            good.append(row_to_landing(run.table, schema, raw, batch_id))
            originals.append(raw)
        except MalformedRow as exc:
            run.set_aside(raw, str(exc), "parse")
    table, violations = checker.split(pa.Table.from_pylist(good, schema=schema))
    broken = {v.row for v in violations}
    for v in violations:
        run.set_aside(originals[v.row], v.reason(), v.rule.rule_id)
    for i, row in enumerate(good):
        if i in broken:
            continue
        if run.max_updated_at is None or row["updated_at"] > run.max_updated_at:
            run.max_updated_at = row["updated_at"]
        if open_keys and str(row["id"]) in open_keys:
            run.corrections.append((str(row["id"]), row["updated_at"].isoformat(sep=" ")))
    return table


def extract_table(
    engine: sa.Engine,
    table: str,
    updated_from: datetime | None,
    updated_to: datetime,
    data_paths: Paths,
    *,
    chunk_rows: int = 50_000,
    after_chunk: Callable[[int], None] | None = None,
    gate: Gate | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> dict[str, Any]:
    """Land ``[updated_from, updated_to)`` of one table as batch ``<from>_<to>``; returns its stats.

    ``gate`` (the landing gate orchestration hands over) validates the batch before it is swapped in.
    """
    if table not in TABLES:
        raise ValueError(f"unknown document_db table {table!r}; expected one of {sorted(TABLES)}")
    if updated_from is not None and updated_from >= updated_to:
        raise ValueError(f"empty window: {updated_from} is not before {updated_to}")
    schema = TABLES[table]
    batch_id = batch_id_for_window(updated_from, updated_to)
    window = {"updated_from": format_ts(updated_from), "updated_to": format_ts(updated_to)}
    started = time.monotonic()
    run = TableExtraction(table)
    dataset_dir = data_paths.dataset_landing(SOURCE, table)
    with (
        BatchWriter(dataset_dir, batch_id, schema, window=window, gate=gate, lock_timeout=lock_timeout) as writer,
        ContractChecker(catalogue.dataset(SOURCE, table)) as checker,
    ):
        open_keys = q.open_keys(data_paths, SOURCE, table, batch_id)
        for n, chunk in enumerate(iter_chunks(engine, table, updated_from, updated_to, chunk_rows)):
            writer.write_table(_land_chunk(run, chunk, schema, batch_id, checker, open_keys))
            if after_chunk is not None:
                after_chunk(n)
        run.rows = writer.rows
        resolved = q.record_resolutions(data_paths, SOURCE, table, batch_id, open_keys, run.corrections)
        stats = {
            "source": SOURCE,
            "dataset": table,
            "batch_id": batch_id,
            "rows": run.rows,
            "read": run.read,
            "quarantined": len(run.quarantine),
            "resolved": resolved,
            "max_updated_at": run.max_updated_at.isoformat(sep=" ") if run.max_updated_at else None,
            "seconds": round(time.monotonic() - started, 3),
        }
        q.record_batch_quarantine(data_paths, SOURCE, table, batch_id, run.quarantine)
        for entry in run.quarantine:
            log.warning("quarantined %s", entry.reason)
        writer.commit(**{k: v for k, v in stats.items() if k != "batch_id"})
    log.info("landed %s", stats)
    return stats


def extract_all(
    url: str,
    updated_from: datetime | None,
    updated_to: datetime,
    data_paths: Paths,
    *,
    gates: Callable[[str, str], Gate] | None = None,
    **options: Any,
) -> dict[str, dict[str, Any]]:
    """Every table's window; ``gates(source, table)`` gives each table's landing gate."""
    engine = make_engine(url)
    try:
        return {
            t: extract_table(
                engine, t, updated_from, updated_to, data_paths, gate=gates(SOURCE, t) if gates else None, **options
            )
            for t in TABLES
        }
    finally:
        engine.dispose()
