from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import datetime
from itertools import islice
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parmetrics.config import Paths
from parmetrics.lab.simulators.dossier_api import FaultPlan, FaultResponse, PageRequest, serve_in_thread
from parmetrics.lab.soak.expected_rows import applicant_hash, expected_dossier_row, expected_event_row
from parmetrics.landing.schemas import DOSSIER_EVENTS, DOSSIERS
from parmetrics.landing.writer import read_manifest
from parmetrics.sources.dossier_api import (
    ApiConnection,
    DossierApiAuthError,
    ReconciliationError,
    batch_id_for_window,
    extract_window,
)
from parmetrics.timestamps import format_ts

from .conftest import KEY, TOKEN
from .dossier_oracle_records import PERSONAL_FIELDS

TABLES = {
    "dossiers": ("dossiers", "ngay_cap_nhat", ("MaHoSo",)),
    "dossier_events": ("dossier_events", "thoi_diem_ghi_nhan", ("MaHoSo", "STT")),
}


def _source_rows(db: Path, dataset: str, lo: datetime | None, hi: datetime | None) -> list[dict]:
    """Ground truth: the SQLite's records of the window, as the landing rows the contract implies (built
    without the extractor's conversions; PII removed)."""
    table, column, _ = TABLES[dataset]
    conn = sqlite3.connect(db)
    sql, params = f"SELECT payload FROM {table} WHERE 1", []
    if lo:
        sql, params = sql + f" AND {column} >= ?", [*params, format_ts(lo)]
    if hi:
        sql, params = sql + f" AND {column} < ?", [*params, format_ts(hi)]
    payloads = [json.loads(p) for (p,) in conn.execute(sql, params)]
    conn.close()
    batch = batch_id_for_window(lo, hi)
    if dataset == "dossiers":
        return [expected_dossier_row(p, KEY, batch) for p in payloads]
    return [expected_event_row(p, batch) for p in payloads]


def _landed(paths: Paths, dataset: str, batch_id: str) -> list[dict]:
    batch = paths.dataset_landing("dossier_api", dataset) / f"batch={batch_id}"
    schema = DOSSIERS if dataset == "dossiers" else DOSSIER_EVENTS
    return pq.read_table(batch, schema=schema).to_pylist()


def _by_key(rows: list[dict], dataset: str) -> dict:
    fields = TABLES[dataset][2]
    return {tuple(r[f] for f in fields): r for r in rows}


@pytest.fixture
def server(source_db: Path):
    with serve_in_thread(source_db, TOKEN) as srv:
        yield srv


@pytest.fixture
def conn(server) -> ApiConnection:
    return ApiConnection(server.base_url, TOKEN, timeout=5, backoff_initial=0.01, backoff_max=0.05)


WINDOWS = [
    (None, None),
    (datetime(2025, 1, 1), datetime(2025, 4, 1)),
    (datetime(2026, 11, 1), None),
    (None, datetime(2024, 3, 1)),
]


@pytest.mark.parametrize("dataset", ["dossiers", "dossier_events"])
@pytest.mark.parametrize(("lo", "hi"), WINDOWS)
def test_every_record_lands_once_equal_to_the_source(conn, source_db, data_paths, dataset, lo, hi):
    stats = extract_window(conn, dataset, lo, hi, data_paths, KEY, page_limit=7, rows_per_part=50)
    expected = _by_key(_source_rows(source_db, dataset, lo, hi), dataset)
    landed = _landed(data_paths, dataset, stats["batch_id"])
    assert len(landed) == len(expected) == stats["rows"] == stats["api_total"]
    assert _by_key(landed, dataset) == expected
    assert stats["quarantined"] == stats["duplicates"] == 0
    assert stats["pages"] == max(1, -(-len(expected) // 7))
    manifest = read_manifest(Path(stats["path"]))
    assert manifest["row_count"] == len(expected)
    assert manifest["window"] == {"updated_from": format_ts(lo), "updated_to": format_ts(hi)}
    if len(expected) > 50:
        assert len(manifest["files"]) > 1  # streamed into several part files


@pytest.mark.parametrize("limit", [1, 1000, "total", "half_total"])
def test_page_sizes_including_boundaries_exactly_at_the_total(conn, source_db, data_paths, limit):
    lo, hi = datetime(2025, 6, 1), datetime(2025, 8, 1)
    expected = _by_key(_source_rows(source_db, "dossiers", lo, hi), "dossiers")
    total = len(expected)
    page_limit = {"total": total, "half_total": -(-total // 2)}.get(limit, limit)
    stats = extract_window(conn, "dossiers", lo, hi, data_paths, KEY, page_limit=page_limit)
    assert _by_key(_landed(data_paths, "dossiers", stats["batch_id"]), "dossiers") == expected
    assert stats["pages"] == -(-total // page_limit)


def test_adjacent_windows_land_the_same_union(conn, data_paths):
    whole = extract_window(conn, "dossiers", datetime(2024, 6, 1), datetime(2025, 6, 1), data_paths, KEY)
    first = extract_window(conn, "dossiers", datetime(2024, 6, 1), datetime(2024, 11, 7, 13), data_paths, KEY)
    second = extract_window(conn, "dossiers", datetime(2024, 11, 7, 13), datetime(2025, 6, 1), data_paths, KEY)
    union = _landed(data_paths, "dossiers", first["batch_id"]) + _landed(data_paths, "dossiers", second["batch_id"])
    strip = [{k: v for k, v in r.items() if k != "_batch_id"} for r in union]
    expected = [
        {k: v for k, v in r.items() if k != "_batch_id"} for r in _landed(data_paths, "dossiers", whole["batch_id"])
    ]
    assert first["rows"] and second["rows"]
    assert sorted(strip, key=lambda r: r["MaHoSo"]) == sorted(expected, key=lambda r: r["MaHoSo"])


def test_rerunning_a_window_replaces_its_batch(conn, data_paths):
    lo, hi = datetime(2025, 1, 1), datetime(2025, 2, 1)
    a = extract_window(conn, "dossiers", lo, hi, data_paths, KEY)
    b = extract_window(conn, "dossiers", lo, hi, data_paths, KEY)
    batches = list(data_paths.dataset_landing("dossier_api", "dossiers").iterdir())
    assert [p.name for p in batches] == [f"batch={a['batch_id']}"]
    assert a["rows"] == b["rows"] == len(_landed(data_paths, "dossiers", a["batch_id"]))
    assert a["batch_id"] == "20250101000000_20250201000000"


def test_rejected_token_fails_at_once_with_a_clear_error(server, data_paths):
    bad = ApiConnection(server.base_url, "wrong-token", max_attempts=5, backoff_initial=5)
    with pytest.raises(DossierApiAuthError, match=r"dossier API rejected the token \(401\) for GET /api/v1/dossiers"):
        extract_window(bad, "dossiers", None, None, data_paths, KEY)
    assert not list(data_paths.landing.rglob("*.parquet"))


def _all_landed_text(paths: Paths) -> str:
    chunks = []
    for part in paths.root.rglob("*.parquet"):
        chunks.append(json.dumps(pq.read_table(part).to_pylist(), default=str, ensure_ascii=False))
    for file in paths.root.rglob("*.json*"):
        chunks.append(file.read_text(encoding="utf-8"))
    return "\n".join(chunks)


def test_no_personal_data_reaches_landing_or_quarantine(conn, source_db, data_paths):
    _insert_bad_dossiers(source_db)
    for dataset in ("dossiers", "dossier_events"):
        extract_window(conn, dataset, None, None, data_paths, KEY)
    text = _all_landed_text(data_paths)
    db = sqlite3.connect(source_db)
    payloads = [json.loads(p) for (p,) in db.execute("SELECT payload FROM dossiers")]
    db.close()
    values = {p[f] for p in payloads for f in PERSONAL_FIELDS if p.get(f)}
    assert len(values) > 500
    leaked = sorted(v for v in values if v in text)
    assert not leaked, leaked[:5]
    columns = pq.read_schema(next(data_paths.landing.rglob("*.parquet"))).names
    assert not set(columns) & set(PERSONAL_FIELDS)


def _insert_bad_dossiers(db_path: Path) -> list[dict]:
    conn = sqlite3.connect(db_path)
    good = json.loads(conn.execute("SELECT payload FROM dossiers ORDER BY ngay_cap_nhat LIMIT 1").fetchone()[0])
    bad_ts = {**good, "MaHoSo": "BAD-TS", "NgayHenTra": "2025-13-01", "NgayCapNhat": "20250115100000"}
    bad_status = {**good, "MaHoSo": "BAD-STATUS", "TrangThaiHoSo": 42, "NgayCapNhat": "20250115100001"}
    no_key = {k: v for k, v in good.items() if k != "MaHoSo"} | {"NgayCapNhat": "20250115100002"}
    rows = [
        (r["NgayCapNhat"], r.get("MaHoSo", "MISSING-KEY"), json.dumps(r, ensure_ascii=False))
        for r in (bad_ts, bad_status, no_key)
    ]
    conn.executemany("INSERT INTO dossiers VALUES (?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return [bad_ts, bad_status, no_key]


def test_malformed_records_are_quarantined_with_a_reason_and_the_good_ones_land(conn, source_db, data_paths):
    bad = _insert_bad_dossiers(source_db)
    lo, hi = datetime(2025, 1, 1), datetime(2025, 2, 1)
    stats = extract_window(conn, "dossiers", lo, hi, data_paths, KEY, page_limit=7)
    expected_good = [r for r in _source_rows_skipping_bad(source_db, lo, hi)]
    landed = _landed(data_paths, "dossiers", stats["batch_id"])
    assert _by_key(landed, "dossiers") == _by_key(expected_good, "dossiers")
    assert stats["quarantined"] == 3 and stats["rows"] == len(expected_good)
    assert stats["api_total"] == len(expected_good) + 3
    file = data_paths.quarantine / "dossier_api" / "dossiers" / f"batch={stats['batch_id']}.jsonl"
    entries = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    reasons = sorted(e["reason"] for e in entries)
    assert reasons == [
        "dossiers record MaHoSo='BAD-STATUS': TrangThaiHoSo: unknown code 42 (expected one of 1, 2, 3, 4, 5, 6, 7, 8, "
        "9, 10)",
        "dossiers record MaHoSo='BAD-TS': NgayHenTra: not a yyyyMMddHHmmss timestamp: '2025-13-01'",
        "dossiers record MaHoSo=None: MaHoSo is missing",
    ]
    for entry in entries:
        assert not set(entry["record"]) & set(PERSONAL_FIELDS)
        assert entry["record"]["applicant_key"] == applicant_hash(bad[0]["SoDinhDanh"], KEY)
    # A clean rerun of the window clears its quarantine file.
    conn_db = sqlite3.connect(source_db)
    conn_db.execute("DELETE FROM dossiers WHERE ma_ho_so IN ('BAD-TS', 'BAD-STATUS', 'MISSING-KEY')")
    conn_db.commit()
    conn_db.close()
    extract_window(conn, "dossiers", lo, hi, data_paths, KEY)
    assert not file.exists()


def _source_rows_skipping_bad(db: Path, lo: datetime, hi: datetime) -> list[dict]:
    conn = sqlite3.connect(db)
    payloads = [
        json.loads(p)
        for (p,) in conn.execute(
            "SELECT payload FROM dossiers WHERE ngay_cap_nhat >= ? AND ngay_cap_nhat < ? "
            "AND ma_ho_so NOT IN ('BAD-TS', 'BAD-STATUS', 'MISSING-KEY')",
            (format_ts(lo), format_ts(hi)),
        )
    ]
    conn.close()
    batch = batch_id_for_window(lo, hi)
    return [expected_dossier_row(p, KEY, batch) for p in payloads]


class _Flaky(FaultPlan):
    """503 with Retry-After, then 500, then a dropped connection, then a duplicate on every page."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        with self.lock:
            self.calls += 1
            n = self.calls
        if n == 1:
            return FaultResponse(503, headers=(("Retry-After", "0"),))
        if n == 2:
            return FaultResponse(500)
        if n == 3:
            return FaultResponse(drop=True)
        return None

    def transform_page(self, request: PageRequest, payloads: list[bytes]) -> list[bytes]:
        # The same record served again on the next page (first row repeated).
        return payloads + payloads[:1] if request.cursor else payloads


def test_retries_transient_failures_and_dedupes_repeated_records(source_db, data_paths):
    faults = _Flaky()
    with serve_in_thread(source_db, TOKEN, faults=faults) as srv:
        conn = ApiConnection(srv.base_url, TOKEN, timeout=5, backoff_initial=0.01, backoff_max=0.05)
        lo, hi = datetime(2025, 1, 1), datetime(2025, 4, 1)
        stats = extract_window(conn, "dossiers", lo, hi, data_paths, KEY, page_limit=10, rows_per_part=20)
    expected = _by_key(_source_rows(source_db, "dossiers", lo, hi), "dossiers")
    assert _by_key(_landed(data_paths, "dossiers", stats["batch_id"]), "dossiers") == expected
    assert stats["duplicates"] == stats["pages"] - 1 > 0
    assert stats["rows"] == len(expected) == stats["api_total"]


class _MovesARecordOut(FaultPlan):
    """While the first attempt reads the window, one record is updated past its end (once)."""

    def __init__(self, db: Path, victim: str) -> None:
        self.db, self.victim, self.done = db, victim, False

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        if request.cursor and not self.done:
            self.done = True
            conn = sqlite3.connect(self.db)
            conn.execute("UPDATE dossiers SET ngay_cap_nhat = '20261119000000' WHERE ma_ho_so = ?", (self.victim,))
            conn.commit()
            conn.close()
        return None


def test_a_record_leaving_the_window_is_reconciled_by_a_re_extraction(source_db, data_paths):
    lo, hi = datetime(2025, 1, 1), datetime(2025, 4, 1)
    first = sorted(_source_rows(source_db, "dossiers", lo, hi), key=lambda r: (r["NgayCapNhat"], r["MaHoSo"]))
    victim = first[0]["MaHoSo"]
    with serve_in_thread(source_db, TOKEN, faults=_MovesARecordOut(source_db, victim)) as srv:
        conn = ApiConnection(srv.base_url, TOKEN, timeout=5)
        stats = extract_window(conn, "dossiers", lo, hi, data_paths, KEY, page_limit=10)
    assert stats["attempts"] == 2
    landed = _by_key(_landed(data_paths, "dossiers", stats["batch_id"]), "dossiers")
    assert (victim,) not in landed and len(landed) == len(first) - 1


def test_a_window_that_never_reconciles_fails_loudly(source_db, data_paths):
    class DropsOne(FaultPlan):
        def transform_page(self, request: PageRequest, payloads: list[bytes]) -> list[bytes]:
            return payloads[1:] if request.cursor is None and request.limit > 1 else payloads

    with serve_in_thread(source_db, TOKEN, faults=DropsOne()) as srv:
        conn = ApiConnection(srv.base_url, TOKEN, timeout=5)
        with pytest.raises(ReconciliationError, match="does not reconcile after a re-extraction"):
            extract_window(conn, "dossiers", datetime(2025, 1, 1), datetime(2025, 4, 1), data_paths, KEY, page_limit=10)
    assert not list(data_paths.landing.rglob("*.parquet"))


def test_connection_from_airflow_style_values():
    assert ApiConnection.from_uri("http://:s3cret@dossiers.local:8443/https").base_url == "https://dossiers.local:8443"
    conn = ApiConnection.from_uri("http://:tok%2Fen@127.0.0.1:8080")
    assert (conn.base_url, conn.token) == ("http://127.0.0.1:8080", "tok/en")
    assert "tok" not in repr(conn)

    class AirflowConn:
        host, port, schema, password = "api.example.vn", None, "https", "t"

    assert ApiConnection.from_airflow_connection(AirflowConn()).base_url == "https://api.example.vn"
    assert ApiConnection.from_parts("https://x.vn", 9000, None, "t").base_url == "https://x.vn:9000"


class _RecordsRequests(FaultPlan):
    """Remembers when each page was asked for; the fourth page is refused for good (a 400)."""

    def __init__(self) -> None:
        self.requested: list[tuple[float, str | None]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.requested.append((time.monotonic(), request.cursor))
        time.sleep(0.05)  # a slow server: the time the read-ahead hides
        self.in_flight -= 1
        if len(self.requested) == 4:
            return FaultResponse(status=400, body={"error": "refused on purpose"})
        return None


def test_the_next_page_is_read_while_the_caller_works_on_this_one_and_errors_keep_their_place(source_db):
    from parmetrics.sources.dossier_api import DossierApiClient, DossierApiError

    plan = _RecordsRequests()
    with serve_in_thread(source_db, TOKEN, faults=plan) as srv:
        conn = ApiConnection(srv.base_url, TOKEN, timeout=5)
        with DossierApiClient(conn) as client:
            pages = client.iter_pages("/api/v1/dossiers", None, None, 10)
            got, handed_over = [], []
            with pytest.raises(DossierApiError, match="answered 400"):
                for page in pages:
                    handed_over.append(time.monotonic())
                    got.append(page)
                    time.sleep(0.5)  # the caller's work on the page
            with DossierApiClient(conn) as plain:
                sequential = list(islice(plain.iter_pages("/api/v1/dossiers", None, None, 10, read_ahead=False), 3))
    # The three good pages arrive in order, equal to sequential reading; the fourth page's error is
    # raised only after the caller had the third.
    assert [p.data for p in got] == [p.data for p in sequential]
    assert len(got) == 3
    # Page 2 was asked for while the caller still worked on page 1 (within its 0.5 s), never in parallel
    # with another request, and each request carries the cursor of the page before it.
    assert plan.requested[1][0] < handed_over[0] + 0.4
    assert plan.max_in_flight == 1
    assert [c for _, c in plan.requested[1:3]] == [got[0].next_cursor, got[1].next_cursor]
