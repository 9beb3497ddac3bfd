"""Extracting one window of the dossier API (SOURCES.md §1) into a landing batch.

Pages are read with the keyset cursor and streamed into part files, so memory holds one part at a
time. Personal data is removed from each record before it is parsed, landed or quarantined. The
window is then reconciled with a fresh ``total``: records can leave a window while it is read (an
update moves them past ``updated_to``), so a mismatch re-extracts the window once and then fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import httpx
import pyarrow as pa
import tenacity

from parmetrics.config import Paths
from parmetrics.landing.schemas import DOSSIER_EVENTS, DOSSIERS
from parmetrics.landing.writer import BatchWriter
from parmetrics.privacy import pseudonymise_dossier
from parmetrics.quality.landing_gate import landing_gate
from parmetrics.sources.dossier_records import (
    TYPED_PAGES,
    MalformedRecord,
    dossier_row,
    event_row,
    record_label,
    typed_page_table,
)
from parmetrics.timestamps import format_ts

try:  # a C JSON decoder (Airflow requires msgspec): several times faster than json on whole pages
    from msgspec import DecodeError as _DecodeError
    from msgspec.json import decode as _json_decode
except ImportError:  # pragma: no cover
    _DecodeError = ValueError
    _json_decode = json.loads

log = logging.getLogger(__name__)

SOURCE = "dossier_api"
Dataset = Literal["dossiers", "dossier_events"]
ENDPOINTS: dict[str, str] = {"dossiers": "/api/v1/dossiers", "dossier_events": "/api/v1/dossier-events"}
DATASET_OF_PATH = {path: dataset for dataset, path in ENDPOINTS.items()}
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class DossierApiError(RuntimeError):
    """The dossier API answered in a way extraction cannot continue from."""


class DossierApiAuthError(DossierApiError):
    pass


class ReconciliationError(DossierApiError):
    pass


class _RetryableResponse(Exception):
    def __init__(self, status: int, path: str, retry_after: float | None) -> None:
        super().__init__(f"dossier API answered {status} for GET {path}")
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class ApiConnection:
    """Where the dossier API is and how patiently to talk to it. The token never appears in repr."""

    base_url: str
    token: str = field(repr=False)
    timeout: float = 30.0
    max_attempts: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0

    @classmethod
    def from_parts(cls, host: str, port: int | None, schema: str | None, token: str, **options: Any) -> ApiConnection:
        """From an Airflow http connection's fields: ``schema`` is the URL scheme (http/https)."""
        if not host:
            raise ValueError("dossier API connection has no host")
        if "://" in host:  # hosts written as full URLs are common in Airflow http connections
            url = urlsplit(host)
            scheme, host, port = url.scheme, url.hostname or "", port or url.port
        else:
            scheme = (schema or "http").lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"dossier API connection schema must be http or https, not {scheme!r}")
        netloc = f"{host}:{port}" if port else host
        return cls(f"{scheme}://{netloc}", token or "", **options)

    @classmethod
    def from_uri(cls, uri: str, **options: Any) -> ApiConnection:
        """From an Airflow connection URI such as ``http://:TOKEN@host:8080/https``.

        Airflow puts the connection's ``schema`` in the URI path; when it is absent the URI's own
        scheme (``http``/``https``) is used.
        """
        url = urlsplit(uri)
        path_schema = url.path.strip("/") or None
        schema = path_schema or (url.scheme if url.scheme in ("http", "https") else "http")
        token = unquote(url.password or "")
        return cls.from_parts(url.hostname or "", url.port, schema, token, **options)

    @classmethod
    def from_airflow_connection(cls, conn: Any, **options: Any) -> ApiConnection:
        """From an Airflow ``Connection`` (or anything with host/port/schema/password)."""
        return cls.from_parts(conn.host, conn.port, conn.schema, conn.password or "", **options)

    @classmethod
    def from_airflow(cls, conn_id: str = "dossier_api", **options: Any) -> ApiConnection:
        from airflow.sdk import BaseHook  # imported here: the package must import without Airflow

        return cls.from_airflow_connection(BaseHook.get_connection(conn_id), **options)


def batch_id_for_window(updated_from: datetime | None, updated_to: datetime | None) -> str:
    """``<from>_<to>`` as ``yyyyMMddHHmmss``, ``open`` for an open bound: rerunning a window replaces it."""
    return f"{format_ts(updated_from) or 'open'}_{format_ts(updated_to) or 'open'}"


@dataclass(frozen=True)
class Page:
    """One page of the API. ``typed``: every record passed the contract's rules while being decoded
    (``data`` holds typed structs); otherwise ``data`` holds whatever JSON values the page carried."""

    data: list[Any]
    total: int
    next_cursor: str | None
    typed: bool = False
    # The body as received, for a typed page that must be read record by record after all (typed
    # structs hold coerced values, e.g. 50000 read as 50000.0: not what a fingerprint must see).
    raw: bytes | None = field(default=None, repr=False)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class DossierApiClient:
    """GETs pages with retries: backoff on 5xx, timeouts and dropped connections; Retry-After on 429/503."""

    def __init__(self, conn: ApiConnection, http: httpx.Client | None = None) -> None:
        self.conn = conn
        self._http = http or httpx.Client(
            base_url=conn.base_url,
            timeout=conn.timeout,
            headers={"Authorization": f"Bearer {conn.token}", "Accept": "application/json"},
        )
        self._backoff = tenacity.wait_exponential(
            multiplier=conn.backoff_initial, min=conn.backoff_initial, max=conn.backoff_max
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DossierApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse) and exc.retry_after is not None:
            return min(exc.retry_after, self.conn.max_retry_after)
        return self._backoff(state)

    def get_page(self, path: str, params: dict[str, Any]) -> Page:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.conn.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type((_RetryableResponse, httpx.TransportError)),
            before_sleep=lambda s: log.warning(
                "dossier API GET %s failed (%s); retry %d", path, s.outcome.exception(), s.attempt_number
            ),
            reraise=True,
        )
        try:
            return retrying(self._get_once, path, params)
        except _RetryableResponse as exc:
            raise DossierApiError(
                f"dossier API kept answering {exc.status} for GET {path} ({self.conn.max_attempts} attempts)"
            ) from exc
        except httpx.TransportError as exc:
            raise DossierApiError(
                f"dossier API unreachable for GET {path} after {self.conn.max_attempts} attempts: {exc!r}"
            ) from exc

    def _get_once(self, path: str, params: dict[str, Any]) -> Page:
        response = self._http.get(path, params={k: v for k, v in params.items() if v is not None})
        status = response.status_code
        if status == 401:
            raise DossierApiAuthError(f"dossier API rejected the token (401) for GET {path}")
        if status in RETRYABLE_STATUS:
            raise _RetryableResponse(status, path, _retry_after_seconds(response.headers.get("Retry-After")))
        if status != 200:
            try:
                detail = response.json().get("error")
            except ValueError:
                detail = response.text[:200]
            raise DossierApiError(f"dossier API answered {status} for GET {path}: {detail}")
        content = response.content
        typed = TYPED_PAGES.get(DATASET_OF_PATH.get(path, ""))
        if typed is not None:
            try:
                page = typed.decode(content)
                return Page(page.data, page.total, page.next_cursor, typed=True, raw=content)
            except _DecodeError:
                pass  # some record breaks a rule (or the body is cut short): decoded as plain JSON below
        try:
            body = _json_decode(content)
        except (ValueError, _DecodeError) as exc:
            # A 200 with a body cut short is a transport failure in disguise: retry it.
            raise _RetryableResponse(status, path, None) from exc
        if not isinstance(body, dict) or not isinstance(body.get("data"), list) or "total" not in body:
            raise DossierApiError(f"dossier API answered GET {path} with a body that is not a page")
        return Page(body["data"], int(body["total"]), body.get("next_cursor"))

    def iter_pages(
        self, path: str, updated_from: str | None, updated_to: str | None, limit: int, *, read_ahead: bool = True
    ) -> Iterator[Page]:
        """The window's pages in cursor order.

        With ``read_ahead``, page N+1 is requested (and decoded) on a helper thread as soon as page N's
        cursor is known, while the caller turns page N into rows: the wait for the server and the network
        overlaps the client's work instead of adding to it. The client is used by one thread at a time
        (the helper while the iteration runs), requests stay strictly sequential (the cursor of each comes
        from the one before), and an error of the read-ahead page is raised when that page is reached.
        """

        def fetch(cursor: str | None) -> Page:
            params = {"updated_from": updated_from, "updated_to": updated_to, "limit": limit, "cursor": cursor}
            return self.get_page(path, params)

        def next_of(page: Page, cursor: str | None) -> str | None:
            if page.next_cursor is not None and page.next_cursor == cursor:
                raise DossierApiError(f"dossier API returned the same cursor twice for GET {path}")
            return page.next_cursor

        cursor = None
        pending: Future[Page] | None = None
        helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dossier-api-read-ahead") if read_ahead else None
        with helper or nullcontext() as pool:
            if pool is not None:
                pending = pool.submit(fetch, None)
            try:
                while True:
                    page = pending.result() if pending is not None else fetch(cursor)
                    next_cursor = next_of(page, cursor)
                    if pool is not None and next_cursor is not None:
                        pending = pool.submit(fetch, next_cursor)
                    yield page
                    if next_cursor is None:
                        return
                    cursor = next_cursor
            finally:
                # Stopped early (an error in the caller, or a closed generator): the request in
                # flight is left to finish and its page is dropped.
                if pending is not None:
                    pending.cancel()

    def window_total(self, path: str, updated_from: str | None, updated_to: str | None) -> int:
        page = self.get_page(path, {"updated_from": updated_from, "updated_to": updated_to, "limit": 1})
        return page.total


def _fingerprint(record: Any) -> int:
    """Identifies a record whose key is missing: everything else about it."""
    if not isinstance(record, dict):
        return hash(repr(record))
    return hash(json.dumps({k: v for k, v in record.items() if k != "MaHoSo"}, sort_keys=True, default=str))


@dataclass
class _Extraction:
    """Passes over a window: rows streamed to part files, deduplicated by key across pages and passes.

    A record that fails to parse is quarantined, but a record can be served broken once and whole the
    next time (a transient corruption): when a pass quarantined anything, the window is read again and
    a record that reads whole in any pass lands; only what stays broken is quarantined.

    Each page becomes an Arrow table at once: a page whose records all passed the contract's rules while
    being decoded is built column by column (``typed_page_table``); any other page record by record. Only
    the key bookkeeping (duplicates across pages and passes) runs per row.
    """

    dataset: str
    writer: BatchWriter
    key: bytes
    rows_per_part: int
    pages: int = 0
    read: int = 0
    duplicates: int = 0
    passes: int = 0
    fingerprinting: bool = False
    pass_keys: set[Any] = field(default_factory=set)
    pass_quarantine: list[dict[str, Any]] = field(default_factory=list)
    _fingerprints: set[int] = field(default_factory=set)
    # The pages not yet flushed, and for each of their rows (in order) whether it is still the newest.
    _tables: list[pa.Table] = field(default_factory=list)
    _alive: list[bool] = field(default_factory=list)
    # key -> (version in epoch seconds, where): where >= 0 is a flushed part's number, where < 0 the
    # buffered row -(i + 1). Compact on purpose: one entry per distinct record of the window.
    _seen: dict[Any, tuple[int, int]] = field(default_factory=dict)
    _superseded: dict[int, set[tuple[Any, int]]] = field(default_factory=dict)
    _parts: int = 0
    _buffered: int = 0

    def start_pass(self) -> None:
        self.passes += 1
        self.pass_keys = set()
        self.pass_quarantine = []
        # From the second pass on, whole records are fingerprinted to resolve keyless broken ones.
        self.fingerprinting = self.passes > 1

    @property
    def pass_accounted(self) -> int:
        return len(self.pass_keys) + len(self.pass_quarantine)

    @property
    def quarantine(self) -> list[dict[str, Any]]:
        """The last pass's broken records that no pass read whole."""
        out = []
        for entry in self.pass_quarantine:
            key, fp = entry.get("_key"), entry.get("_fp")
            if key is not None and key in self._seen:
                continue
            if key is None and fp is not None and fp in self._fingerprints:
                continue
            out.append({"reason": entry["reason"], "record": entry["record"]})
        return out

    @property
    def _schema(self) -> pa.Schema:
        return DOSSIERS if self.dataset == "dossiers" else DOSSIER_EVENTS

    def add_page(self, page: Page | list[Any]) -> None:
        records, typed = (page.data, page.typed) if isinstance(page, Page) else (page, False)
        self.pages += 1
        self.read += len(records)
        table = None
        # Fingerprints (second pass on) need the records as JSON values: those pages go record by record.
        if typed and not self.fingerprinting:
            table = typed_page_table(self.dataset, records, self.writer.batch_id, self.key)
        if table is None:
            if typed:  # decoded again as the plain JSON values the per-record path expects
                records = _json_decode(page.raw)["data"]
            table = pa.Table.from_pylist([row for raw in records if (row := self._parse(raw))], schema=self._schema)
        self._add_table(table)
        if self._buffered >= self.rows_per_part:
            self._flush()

    def _parse(self, raw: Any) -> dict[str, Any] | None:
        """The landing row of one record; None when it is quarantined (this pass)."""
        if self.dataset == "dossiers":
            record = pseudonymise_dossier(raw, self.key) if isinstance(raw, dict) else raw
            parse = dossier_row
        else:
            record, parse = raw, event_row
        try:
            row = parse(record, self.writer.batch_id)
        except MalformedRecord as exc:
            entry: dict[str, Any] = {"reason": f"{record_label(record, self.dataset)}: {exc}", "record": record}
            code = record.get("MaHoSo") if isinstance(record, dict) else None
            if isinstance(code, str) and code.strip():
                entry["_key"] = code if self.dataset == "dossiers" else (code, record.get("STT"))
            else:
                entry["_fp"] = _fingerprint(record)
            self.pass_quarantine.append(entry)
            return None
        if self.fingerprinting:
            self._fingerprints.add(_fingerprint(record))
        return row

    def _keys(self, table: pa.Table) -> list[Any]:
        codes = table["MaHoSo"].to_pylist()
        if self.dataset == "dossiers":
            return codes
        return list(zip(codes, table["STT"].to_pylist(), strict=True))

    def _versions(self, table: pa.Table) -> list[int]:
        column = "NgayCapNhat" if self.dataset == "dossiers" else "ThoiDiemGhiNhan"
        return table[column].cast(pa.int64()).to_pylist()

    def _add_table(self, table: pa.Table) -> None:
        base = len(self._alive)
        self._alive.extend([True] * table.num_rows)
        self._tables.append(table)
        self._buffered += table.num_rows
        seen, pass_keys, alive = self._seen, self.pass_keys, self._alive
        for i, (key, version) in enumerate(zip(self._keys(table), self._versions(table), strict=True)):
            in_pass = key in pass_keys
            pass_keys.add(key)
            previous = seen.get(key)
            if previous is not None:
                if in_pass:
                    self.duplicates += 1
                old_version, where = previous
                if version <= old_version:
                    alive[base + i] = False
                    self._buffered -= 1
                    continue
                if where < 0:
                    alive[-where - 1] = False
                    self._buffered -= 1
                else:
                    self._superseded.setdefault(where, set()).add((key, old_version))
            seen[key] = (version, -(base + i) - 1)

    def _flush(self) -> None:
        tables, alive = self._tables, self._alive
        self._tables, self._alive, self._buffered = [], [], 0
        if not tables:
            return
        table = pa.concat_tables(tables)
        if not all(alive):
            table = table.filter(pa.array(alive, pa.bool_()))
        if table.num_rows == 0:
            return
        part = self._parts
        self.writer.write_table(table)
        self._parts += 1
        for key in self._keys(table):
            self._seen[key] = (self._seen[key][0], part)

    def finish(self) -> None:
        self._flush()
        for part, stale in self._superseded.items():
            self.writer.rewrite_part(part, lambda table, stale=stale: self._drop_rows(table, stale))

    def _drop_rows(self, table: pa.Table, stale: set[tuple[Any, int]]) -> pa.Table:
        keys = zip(self._keys(table), self._versions(table), strict=True)
        return table.filter(pa.array([k not in stale for k in keys], pa.bool_()))

    @property
    def landed(self) -> int:
        return self.writer.rows


def _write_quarantine(path: Path, entries: list[dict[str, Any]]) -> None:
    """Replace the batch's quarantine file (or remove it when nothing was quarantined this time)."""
    if not entries:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _record_quarantine(
    data_paths: Paths, dataset: str, batch_id: str, file: Path, entries: list[dict[str, Any]]
) -> None:
    """``ops.quarantine`` rows for the batch (replacing those of an earlier run of the same window)."""
    from parmetrics import ops

    records = [
        ops.quarantine_record(SOURCE, dataset, f"{file.name}#{i + 1}", e["reason"], batch_id=batch_id)
        for i, e in enumerate(entries)
    ]
    if records or (data_paths.ops / "quarantine" / f"{SOURCE}__{dataset}" / f"batch={batch_id}").exists():
        ops.replace_batch_records(data_paths, "quarantine", f"{SOURCE}__{dataset}", batch_id, records)


def extract_window(
    conn: ApiConnection,
    dataset: Dataset,
    updated_from: datetime | None,
    updated_to: datetime | None,
    data_paths: Paths,
    key: bytes,
    *,
    page_limit: int = 1000,
    rows_per_part: int = 25_000,
    client: DossierApiClient | None = None,
    max_passes: int = 3,
) -> dict[str, Any]:
    """Land ``[updated_from, updated_to)`` of one dataset as batch ``<from>_<to>``; returns its stats.

    Raises :class:`DossierApiAuthError` on a rejected token and :class:`ReconciliationError` when the
    rows read still disagree with the API's fresh ``total`` after one re-extraction.
    """
    if dataset not in ENDPOINTS:
        raise ValueError(f"unknown dossier API dataset {dataset!r}; expected one of {sorted(ENDPOINTS)}")
    if not 1 <= page_limit <= 1000:
        raise ValueError("page_limit must be 1-1000 (the API's bounds)")
    if updated_from is not None and updated_to is not None and updated_from >= updated_to:
        raise ValueError(f"empty window: updated_from {updated_from} is not before updated_to {updated_to}")
    path = ENDPOINTS[dataset]
    schema = DOSSIERS if dataset == "dossiers" else DOSSIER_EVENTS
    ts_from, ts_to = format_ts(updated_from), format_ts(updated_to)
    batch_id = batch_id_for_window(updated_from, updated_to)
    dataset_dir = data_paths.dataset_landing(SOURCE, dataset)
    quarantine_file = data_paths.quarantine / SOURCE / dataset / f"batch={batch_id}.jsonl"
    window = {"updated_from": ts_from, "updated_to": ts_to}

    started = time.monotonic()
    own_client = client is None
    api = client or DossierApiClient(conn)
    try:
        mismatch = ""
        for attempt in (1, 2):
            gate = landing_gate(data_paths, SOURCE, dataset)
            with BatchWriter(dataset_dir, batch_id, schema, window=window, gate=gate) as writer:
                run = _Extraction(dataset, writer, key, rows_per_part)
                first_total = fresh_total = None
                previous_reasons: list[str] | None = None
                while True:
                    run.start_pass()
                    pass_first_total = None
                    for page in api.iter_pages(path, ts_from, ts_to, page_limit):
                        pass_first_total = page.total if pass_first_total is None else pass_first_total
                        run.add_page(page)
                    first_total = pass_first_total if first_total is None else first_total
                    fresh_total = api.window_total(path, ts_from, ts_to)
                    # Each distinct record of the pass either parsed or was quarantined; duplicates
                    # (the same key read twice) are folded.
                    if run.pass_accounted != fresh_total:
                        break
                    reasons = sorted(e["reason"] for e in run.quarantine)
                    # Re-read while broken records remain, unless they are broken the same way again
                    # (then they are broken in the source, not in transit).
                    if not reasons or reasons == previous_reasons or run.passes >= max_passes:
                        break
                    previous_reasons = reasons
                    log.warning(
                        "dossier API %s %s: %d broken record(s); reading the window again",
                        dataset,
                        batch_id,
                        len(reasons),
                    )
                if run.pass_accounted == fresh_total:
                    run.finish()
                    quarantine = run.quarantine
                    stats = {
                        "source": SOURCE,
                        "dataset": dataset,
                        "batch_id": batch_id,
                        "window": window,
                        "rows": run.landed,
                        "read": run.read,
                        "quarantined": len(quarantine),
                        "duplicates": run.duplicates,
                        "pages": run.pages,
                        "passes": run.passes,
                        "api_total": fresh_total,
                        "first_page_total": first_total,
                        "attempts": attempt,
                    }
                    _write_quarantine(quarantine_file, quarantine)
                    _record_quarantine(data_paths, dataset, batch_id, quarantine_file, quarantine)
                    stats["seconds"] = round(time.monotonic() - started, 3)
                    writer.commit(**{k: v for k, v in stats.items() if k not in ("batch_id", "window")})
                    stats["path"] = str(dataset_dir / f"batch={batch_id}")
                    log.info("landed %s", stats)
                    return stats
                mismatch = (
                    f"read {run.read} records ({len(run.pass_keys)} distinct, {len(run.pass_quarantine)} broken, "
                    f"{run.duplicates} duplicates) but the API now counts {fresh_total}"
                )
                log.warning("dossier API window %s %s, attempt %d: %s", dataset, batch_id, attempt, mismatch)
                writer.abort()
        raise ReconciliationError(
            f"dossier API {dataset} window {batch_id} does not reconcile after a re-extraction: {mismatch}"
        )
    finally:
        if own_client:
            api.close()


def _parse_bound(value: str | None) -> datetime | None:
    return None if not value else datetime.fromisoformat(value)


def main(argv: list[str] | None = None) -> None:
    from parmetrics.config import paths, pseudonymisation_key

    parser = argparse.ArgumentParser(description="Extract one window of the dossier API into landing.")
    parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", default=os.environ.get("DOSSIER_API_TOKEN", ""))
    parser.add_argument("--dataset", choices=sorted(ENDPOINTS), default="dossiers")
    parser.add_argument("--from", dest="updated_from", default=None, help="ISO local time; omitted = open")
    parser.add_argument("--to", dest="updated_to", default=None, help="ISO local time; omitted = open")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--rows-per-part", type=int, default=25_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    conn = ApiConnection.from_parts(args.url, None, None, args.token)
    stats = extract_window(
        conn,
        args.dataset,
        _parse_bound(args.updated_from),
        _parse_bound(args.updated_to),
        paths(),
        pseudonymisation_key(),
        page_limit=args.limit,
        rows_per_part=args.rows_per_part,
    )
    print(json.dumps(stats, ensure_ascii=False))


if __name__ == "__main__":
    main()
