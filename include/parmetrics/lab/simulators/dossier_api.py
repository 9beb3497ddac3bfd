"""The dossier system's HTTP API (SOURCES.md §1), served from the generated SQLite file.

Responses are assembled by joining the stored JSON payloads, so serving costs one indexed range scan
per page. The cursor is stateless: the last key served, the window's hash (a cursor reused with a
different window is refused) and the first page's ``total`` (repeated on every later page).

Fault injection: a :class:`FaultPlan` sees every request before it is served and may answer it
instead (``429``, ``5xx``, a dropped connection, …). The default plan injects nothing.
:class:`FaultKnobs` configures the standard plan (:class:`KnobFaultPlan`): error, rate-limit, latency,
dropped-connection, duplicate, mutation and malformed-record rates. Every fault that fires is written
to the server's :class:`FaultLog` (``server.fault_log``), the ground truth a test compares landed data
with. A *mutation* really updates the record in the SQLite source (new ``NgayCapNhat``), so the record
moves to a later window exactly as in a live system.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import random
import socket
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from parmetrics.timestamps import format_ts, parse_ts

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Dataset:
    path: str
    table: str
    window_column: str
    key_columns: tuple[str, ...]


DATASETS = {
    "/api/v1/dossiers": Dataset("/api/v1/dossiers", "dossiers", "ngay_cap_nhat", ("ngay_cap_nhat", "ma_ho_so")),
    "/api/v1/dossier-events": Dataset(
        "/api/v1/dossier-events",
        "dossier_events",
        "thoi_diem_ghi_nhan",
        ("thoi_diem_ghi_nhan", "ma_ho_so", "stt"),
    ),
}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class PageRequest:
    dataset: Dataset
    updated_from: str | None
    updated_to: str | None
    limit: int
    cursor: str | None


@dataclass(frozen=True)
class FaultResponse:
    """What a fault plan answers instead of the real page. ``drop`` closes the connection unanswered."""

    status: int = 503
    body: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False
    delay_s: float = 0.0


class FaultPlan:
    """Decides, per authorised request, whether to inject a fault. Subclass and override."""

    def bind(self, store: DossierStore, log: FaultLog) -> None:
        """Called once by the server: the store (for plans that touch the source) and its fault log."""

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        return None

    def transform_page(self, request: PageRequest, payloads: list[bytes]) -> list[bytes]:
        """Lets a plan tamper with a page (duplicate or malformed records) before it is sent."""
        return payloads


VICTIM_LOCAL_TZ = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh, no DST


@dataclass(frozen=True)
class FaultKnobs:
    """Rates of each fault the dossier API simulator injects (all 0: a perfect source).

    Rates are per authorised page request except ``malformed_rate`` (per record served).
    ``error_rate``: answered 500, 502 or 503 (equally likely). ``rate_limit_rate``: answered 429 with
    ``Retry-After: retry_after_s``. ``latency_s``: added before every page. ``drop_rate``: the connection
    is closed without an answer. ``duplicate_rate``: a continuation page (one with a cursor) starts with
    the last record of the previous page again. ``mutate_rate``: before a continuation page of
    ``/api/v1/dossiers`` is read, one not yet read record of the window is updated in the source (its
    ``NgayCapNhat`` becomes ``mutate_at`` or, by default, the later of now (UTC+7) and one second after
    the newest record), so it leaves the window. ``malformed_rate``: a served record is replaced by a
    broken copy (bad timestamp, unknown status or missing ``MaHoSo``); the source keeps the good one.
    """

    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after_s: int = 1
    latency_s: float = 0.0
    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    mutate_rate: float = 0.0
    malformed_rate: float = 0.0
    seed: int = 0
    mutate_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "drop_rate", "duplicate_rate", "mutate_rate", "malformed_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1]")
        if self.error_rate + self.rate_limit_rate + self.drop_rate > 1.0:
            raise ValueError("error_rate + rate_limit_rate + drop_rate must not exceed 1")

    @property
    def active(self) -> bool:
        return bool(
            self.error_rate
            or self.rate_limit_rate
            or self.latency_s
            or self.drop_rate
            or self.duplicate_rate
            or self.mutate_rate
            or self.malformed_rate
        )


FAULT_KINDS = ("error", "rate_limit", "latency", "drop", "duplicate", "mutate", "malformed")


@dataclass(frozen=True)
class FaultEntry:
    """One injected fault. ``detail`` by kind: error {status}; rate_limit {retry_after_s}; latency
    {seconds}; drop {}; duplicate {MaHoSo, key}; mutate {MaHoSo, old_NgayCapNhat, new_NgayCapNhat};
    malformed {MaHoSo, reason} (reason: bad_timestamp, unknown_status, missing_key)."""

    seq: int
    kind: str
    dataset: str  # "dossiers" or "dossier_events"
    detail: dict[str, Any] = field(default_factory=dict)


class FaultLog:
    """Thread-safe record of every fault the server injected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[FaultEntry] = []

    def add(self, kind: str, dataset: str, **detail: Any) -> None:
        with self._lock:
            self._entries.append(FaultEntry(len(self._entries) + 1, kind, dataset, detail))

    @property
    def entries(self) -> list[FaultEntry]:
        with self._lock:
            return list(self._entries)

    def counts(self) -> dict[str, int]:
        """Faults by kind; every kind of ``FAULT_KINDS`` present (0 when it never fired)."""
        counter = Counter(e.kind for e in self.entries)
        return {kind: counter[kind] for kind in FAULT_KINDS}

    def of_kind(self, kind: str) -> list[FaultEntry]:
        return [e for e in self.entries if e.kind == kind]

    def mutated(self) -> dict[str, str]:
        """MaHoSo → its newest ``NgayCapNhat`` after a mutation (the source's ground truth)."""
        return {e.detail["MaHoSo"]: e.detail["new_NgayCapNhat"] for e in self.of_kind("mutate")}

    def malformed(self) -> list[tuple[str, str]]:
        """(MaHoSo of the good record, reason) for every malformed record served."""
        return [(e.detail["MaHoSo"], e.detail["reason"]) for e in self.of_kind("malformed")]

    def to_json(self) -> list[dict[str, Any]]:
        return [{"seq": e.seq, "kind": e.kind, "dataset": e.dataset, **e.detail} for e in self.entries]


MALFORMED_REASONS = ("bad_timestamp", "unknown_status", "missing_key")


def _malform(payload: bytes, reason: str, dataset: str) -> bytes:
    record = json.loads(payload)
    if reason == "bad_timestamp":
        record["NgayHenTra" if dataset == "dossiers" else "ThoiDiemXuLy"] = "2025-13-01"
    elif reason == "unknown_status":
        record["TrangThaiHoSo" if dataset == "dossiers" else "TrangThai"] = 42
    else:
        record.pop("MaHoSo", None)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


class KnobFaultPlan(FaultPlan):
    """The standard fault plan, driven by :class:`FaultKnobs`; deterministic for a request sequence."""

    def __init__(self, knobs: FaultKnobs) -> None:
        self.knobs = knobs
        self._rng = random.Random(knobs.seed)
        self._lock = threading.Lock()
        self.store: DossierStore | None = None
        self.log = FaultLog()

    def bind(self, store: DossierStore, log: FaultLog) -> None:
        self.store = store
        self.log = log

    def _roll(self) -> float:
        with self._lock:
            return self._rng.random()

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        k = self.knobs
        name = request.dataset.table
        delay = 0.0
        if k.latency_s:
            delay = k.latency_s
            self.log.add("latency", name, seconds=k.latency_s)
        roll = self._roll()
        if roll < k.drop_rate:
            self.log.add("drop", name)
            return FaultResponse(drop=True, delay_s=delay)
        roll -= k.drop_rate
        if roll < k.rate_limit_rate:
            self.log.add("rate_limit", name, retry_after_s=k.retry_after_s)
            return FaultResponse(
                429, {"error": "too many requests"}, (("Retry-After", str(k.retry_after_s)),), delay_s=delay
            )
        roll -= k.rate_limit_rate
        if roll < k.error_rate:
            status = (500, 502, 503)[min(2, int(3 * roll / k.error_rate))]
            self.log.add("error", name, status=status)
            return FaultResponse(status, delay_s=delay)
        if delay:
            threading.Event().wait(delay)
        if request.cursor is not None and name == "dossiers" and k.mutate_rate and self._roll() < k.mutate_rate:
            self._mutate_one(request)
        return None

    def _mutate_one(self, request: PageRequest) -> None:
        if self.store is None:
            return
        try:
            state = decode_cursor(request.cursor or "")
            key = [str(v) for v in state["k"]]
        except (ApiError, TypeError):
            return
        with self._lock:
            moved = self.store.touch_next_dossier(key, request.updated_to, self.knobs.mutate_at)
        if moved is not None:
            code, old, new = moved
            self.log.add("mutate", "dossiers", MaHoSo=code, old_NgayCapNhat=old, new_NgayCapNhat=new)

    def transform_page(self, request: PageRequest, payloads: list[bytes]) -> list[bytes]:
        k = self.knobs
        name = request.dataset.table
        out = list(payloads)
        if k.malformed_rate:
            for i, payload in enumerate(out):
                if self._roll() < k.malformed_rate:
                    reason = MALFORMED_REASONS[int(self._roll() * len(MALFORMED_REASONS)) % 3]
                    code = json.loads(payload).get("MaHoSo")
                    out[i] = _malform(payload, reason, name)
                    self.log.add("malformed", name, MaHoSo=code, reason=reason)
        if (
            request.cursor is not None
            and k.duplicate_rate
            and self.store is not None
            and self._roll() < k.duplicate_rate
        ):
            previous = self.store.record_at(request)  # type: ignore[union-attr]
            if previous is not None:
                code = json.loads(previous).get("MaHoSo")
                state = decode_cursor(request.cursor)
                self.log.add("duplicate", name, MaHoSo=code, key=list(state["k"]))
                out.insert(0, previous)
        return out


def as_fault_plan(faults: FaultPlan | FaultKnobs | None) -> FaultPlan:
    if faults is None:
        return FaultPlan()
    if isinstance(faults, FaultKnobs):
        return KnobFaultPlan(faults)
    return faults


def _window_hash(dataset: Dataset, updated_from: str | None, updated_to: str | None) -> str:
    raw = f"{dataset.path}|{updated_from or ''}|{updated_to or ''}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_cursor(key: list[Any], window: str, total: int) -> str:
    raw = json.dumps({"k": key, "w": window, "t": total}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, dict) or not {"k", "w", "t"} <= value.keys():
            raise ValueError("incomplete cursor")
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed cursor") from exc


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, f"parameter {name} given more than once")
    return values[0]


def parse_page_request(dataset: Dataset, query: dict[str, list[str]]) -> PageRequest:
    bounds = {}
    for name in ("updated_from", "updated_to"):
        value = _single(query, name)
        if value is not None:
            try:
                parse_ts(value)
            except ValueError as exc:
                raise ApiError(400, f"{name}: {exc}") from exc
        bounds[name] = value
    raw_limit = _single(query, "limit")
    try:
        limit = DEFAULT_LIMIT if raw_limit is None else int(raw_limit)
    except ValueError as exc:
        raise ApiError(400, f"limit must be an integer 1-{MAX_LIMIT}") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"limit must be an integer 1-{MAX_LIMIT}")
    return PageRequest(dataset, bounds["updated_from"], bounds["updated_to"], limit, _single(query, "cursor"))


class DossierStore:
    """Read access to the generated SQLite file; one connection per request (threads are short-lived)."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        if not self.db_path.exists():
            raise FileNotFoundError(f"dossier API database not found: {self.db_path}")
        self._local = threading.local()

    def _reader(self) -> sqlite3.Connection:
        """This thread's read-only connection, kept for the thread's life (a keep-alive client is served
        by one thread): its page cache and memory map survive from page to page. Each query runs in
        autocommit, so it sees whatever a mutation committed before it."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
            conn.text_factory = bytes
            conn.execute("PRAGMA mmap_size=1073741824")
            conn.execute("PRAGMA cache_size=-32768")
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
        conn.text_factory = bytes
        try:
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def connect_rw(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.db_path, timeout=30, check_same_thread=False)
        try:
            yield conn
        finally:
            conn.close()

    def record_at(self, request: PageRequest) -> bytes | None:
        """The record at the request's cursor key (the last one of the previous page), if it is still there."""
        ds = request.dataset
        state = decode_cursor(request.cursor or "")
        where = " AND ".join(f"{c} = ?" for c in ds.key_columns)
        row = self._reader().execute(f"SELECT payload FROM {ds.table} WHERE {where}", list(state["k"])).fetchone()
        return None if row is None else row[0]

    def touch_next_dossier(
        self, after_key: list[str], updated_to: str | None, at: datetime | None = None
    ) -> tuple[str, str, str] | None:
        """Updates the first dossier after ``after_key`` inside the window, as an office would (it is
        synced to the national portal if it was not, and its ``NgayCapNhat`` moves to ``at`` or to
        now); returns (MaHoSo, old NgayCapNhat, new NgayCapNhat), or None if the window has no record left."""
        with self.connect_rw() as conn:
            params: list[Any] = list(after_key)
            sql = "SELECT ngay_cap_nhat, ma_ho_so, payload FROM dossiers WHERE (ngay_cap_nhat, ma_ho_so) > (?, ?)"
            if updated_to is not None:
                sql += " AND ngay_cap_nhat < ?"
                params.append(updated_to)
            row = conn.execute(sql + " ORDER BY ngay_cap_nhat, ma_ho_so LIMIT 1", params).fetchone()
            if row is None:
                return None
            old, code, payload = row
            newest = conn.execute("SELECT max(ngay_cap_nhat) FROM dossiers").fetchone()[0]
            moment = at or datetime.now(VICTIM_LOCAL_TZ).replace(tzinfo=None, microsecond=0)
            moment = max(moment, (parse_ts(newest) or moment) + timedelta(seconds=1))
            new = format_ts(moment) or ""
            record = json.loads(payload)
            if record.get("NgayTiepNhan") and record.get("NgayDongBoDVCQG") is None:
                record["NgayDongBoDVCQG"] = new
            record["NgayCapNhat"] = new
            body = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            conn.execute(
                "UPDATE dossiers SET ngay_cap_nhat = ?, payload = ? WHERE ngay_cap_nhat = ? AND ma_ho_so = ?",
                (new, body, old, code),
            )
            conn.commit()
        return code, old, new

    def page(self, request: PageRequest) -> tuple[list[bytes], str | None, int]:
        """(payloads, next cursor or None, total) for one page."""
        ds = request.dataset
        window = _window_hash(ds, request.updated_from, request.updated_to)
        where, params = [], []
        if request.updated_from is not None:
            where.append(f"{ds.window_column} >= ?")
            params.append(request.updated_from)
        if request.updated_to is not None:
            where.append(f"{ds.window_column} < ?")
            params.append(request.updated_to)
        conn = self._reader()
        if request.cursor is None:
            clause = " AND ".join(where) or "1"
            total = conn.execute(f"SELECT count(*) FROM {ds.table} WHERE {clause}", params).fetchone()[0]
        else:
            state = decode_cursor(request.cursor)
            if not hmac.compare_digest(str(state["w"]), window):
                raise ApiError(400, "cursor belongs to a different window")
            if not isinstance(state["k"], list) or len(state["k"]) != len(ds.key_columns):
                raise ApiError(400, "malformed cursor")
            total = int(state["t"])
            placeholders = ", ".join("?" * len(ds.key_columns))
            where.append(f"({', '.join(ds.key_columns)}) > ({placeholders})")
            params.extend(state["k"])
        clause = " AND ".join(where) or "1"
        rows = conn.execute(
            f"SELECT {', '.join(ds.key_columns)}, payload FROM {ds.table} WHERE {clause} "
            f"ORDER BY {', '.join(ds.key_columns)} LIMIT ?",
            [*params, request.limit + 1],
        ).fetchall()
        more = len(rows) > request.limit
        rows = rows[: request.limit]
        next_cursor = None
        if more:
            last = rows[-1][:-1]
            key = [v.decode() if isinstance(v, bytes) else v for v in last]
            next_cursor = encode_cursor(key, window, total)
        return [r[-1] for r in rows], next_cursor, total


def render_page(payloads: list[bytes], next_cursor: str | None, total: int) -> bytes:
    cursor = b"null" if next_cursor is None else json.dumps(next_cursor).encode()
    return b'{"data":[' + b",".join(payloads) + b'],"next_cursor":' + cursor + b',"total":%d}' % total


class _Handler(BaseHTTPRequestHandler):
    server: DossierApiServer
    protocol_version = "HTTP/1.1"
    # Headers and body in one buffered write, sent at once: otherwise Nagle's algorithm and the
    # client's delayed ACK stall every keep-alive response by ~40 ms.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, status: int, message: str) -> None:
        self._send(status, json.dumps({"error": message}, ensure_ascii=False).encode())

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/health":
            self._send(200, b'{"status":"ok"}')
            return
        dataset = DATASETS.get(url.path)
        if dataset is None:
            self._send_error(404, f"no such endpoint: {url.path}")
            return
        auth = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.token}"
        if not hmac.compare_digest(auth.encode(), expected.encode()):
            self._send_error(401, "missing or invalid bearer token")
            return
        try:
            request = parse_page_request(dataset, parse_qs(url.query, keep_blank_values=True))
            fault = self.server.faults.before_page(request)
            if fault is not None:
                self._answer_fault(fault)
                return
            payloads, next_cursor, total = self.server.store.page(request)
            payloads = self.server.faults.transform_page(request, payloads)
        except ApiError as exc:
            self._send_error(exc.status, exc.message)
            return
        self._send(200, render_page(payloads, next_cursor, total))

    def _answer_fault(self, fault: FaultResponse) -> None:
        if fault.delay_s:
            threading.Event().wait(fault.delay_s)
        if fault.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        body = json.dumps(fault.body or {"error": HTTPStatus(fault.status).phrase}).encode()
        self._send(fault.status, body, fault.headers)


class DossierApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        store: DossierStore,
        token: str,
        faults: FaultPlan | FaultKnobs | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.token = token
        self.fault_log = FaultLog()
        self.faults = as_fault_plan(faults)
        self.faults.bind(store, self.fault_log)
        self.verbose = verbose

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base_url(self) -> str:
        host = self.server_address[0]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"


def make_server(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = "",
    faults: FaultPlan | FaultKnobs | None = None,
) -> DossierApiServer:
    """A bound, not yet serving, API server; ``port=0`` picks a free port (see ``server.port``)."""
    if not token:
        raise ValueError("the dossier API simulator needs a bearer token")
    return DossierApiServer((host, port), DossierStore(db_path), token, faults)


@contextlib.contextmanager
def serve_in_thread(
    db_path: Path,
    token: str,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultPlan | FaultKnobs | None = None,
) -> Iterator[DossierApiServer]:
    """Serves in a background thread for the duration of the block (tests)."""
    server = make_server(db_path, host, port, token, faults)
    thread = threading.Thread(target=server.serve_forever, name="dossier-api", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = "",
    port_file: Path | None = None,
    faults: FaultPlan | FaultKnobs | None = None,
) -> None:
    """Serves until interrupted. The chosen port is printed and, if asked, written to ``port_file``."""
    server = make_server(db_path, host, port, token, faults)
    if port_file is not None:
        tmp = port_file.with_name(port_file.name + ".tmp")
        tmp.write_text(f"{server.port}\n")
        tmp.replace(port_file)  # a reader polling for the file never sees it half-written
    print(f"dossier API simulator serving {db_path} on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the simulated dossier API (SOURCES.md §1).")
    parser.add_argument("--db", type=Path, required=True, help="dossier_api.sqlite from dossier_data")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    # The token comes from the environment by default: on the command line it shows in `ps`, and a
    # generated token that starts with "-" would be read by argparse as an option.
    token = os.environ.get("PARMETRICS_DOSSIER_API_TOKEN")
    parser.add_argument("--token", default=token, required=not token, help="default: $PARMETRICS_DOSSIER_API_TOKEN")
    parser.add_argument("--port-file", type=Path, default=None, help="write the chosen port here")
    for name in ("error_rate", "rate_limit_rate", "latency_s", "drop_rate", "duplicate_rate", "mutate_rate"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=0.0)
    parser.add_argument("--malformed-rate", type=float, default=0.0)
    parser.add_argument("--retry-after-s", type=int, default=1)
    parser.add_argument("--fault-seed", type=int, default=0)
    args = parser.parse_args(argv)
    knobs = FaultKnobs(
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        retry_after_s=args.retry_after_s,
        latency_s=args.latency_s,
        drop_rate=args.drop_rate,
        duplicate_rate=args.duplicate_rate,
        mutate_rate=args.mutate_rate,
        malformed_rate=args.malformed_rate,
        seed=args.fault_seed,
    )
    serve(args.db, args.host, args.port, args.token, args.port_file, knobs if knobs.active else None)


if __name__ == "__main__":
    main()
