"""The dossier system's HTTP API (SOURCES.md §1), served from the generated SQLite file.

Responses are assembled by joining the stored JSON payloads, so serving costs one indexed range scan
per page. The cursor is stateless: the last key served, the window's hash (a cursor reused with a
different window is refused) and the first page's ``total`` (repeated on every later page).

Fault injection: a :class:`FaultPlan` sees every request before it is served and may answer it
instead (``429``, ``5xx``, a dropped connection, …). The default plan injects nothing.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from parmetrics.timestamps import parse_ts

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

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        return None

    def transform_page(self, request: PageRequest, payloads: list[bytes]) -> list[bytes]:
        """Lets a plan tamper with a page (duplicate or malformed records) before it is sent."""
        return payloads


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

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
        conn.text_factory = bytes
        try:
            yield conn
        finally:
            conn.close()

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
        with self.connect() as conn:
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
        faults: FaultPlan | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.token = token
        self.faults = faults or FaultPlan()
        self.verbose = verbose

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base_url(self) -> str:
        host = self.server_address[0]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"


def make_server(
    db_path: Path, host: str = "127.0.0.1", port: int = 0, token: str = "", faults: FaultPlan | None = None
) -> DossierApiServer:
    """A bound, not yet serving, API server; ``port=0`` picks a free port (see ``server.port``)."""
    if not token:
        raise ValueError("the dossier API simulator needs a bearer token")
    return DossierApiServer((host, port), DossierStore(db_path), token, faults)


@contextlib.contextmanager
def serve_in_thread(
    db_path: Path, token: str, host: str = "127.0.0.1", port: int = 0, faults: FaultPlan | None = None
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
    faults: FaultPlan | None = None,
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
    parser.add_argument("--token", required=True)
    parser.add_argument("--port-file", type=Path, default=None, help="write the chosen port here")
    args = parser.parse_args(argv)
    serve(args.db, args.host, args.port, args.token, args.port_file)


if __name__ == "__main__":
    main()
