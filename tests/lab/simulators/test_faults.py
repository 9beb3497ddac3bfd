"""Each fault knob of the dossier API simulator fires, is observable by a client and is in the fault log."""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from parmetrics.lab.simulators.dossier_api import FAULT_KINDS, FaultKnobs, serve_in_thread
from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db

from .conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
WINDOW = {"updated_from": "20240101000000", "updated_to": "20260101000000"}


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dossier_db(tmp_path_factory.mktemp("faults"), DossierDataConfig(seed=3, n_dossiers=300))


@pytest.fixture
def db(small_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / small_db.name
    shutil.copy(small_db, target)
    return target


def _read_window(client: httpx.Client, path: str = "/api/v1/dossiers", limit: int = 50) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        params = {**WINDOW, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=params, headers=AUTH).json()
        pages.append(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_knobs_validate_rates():
    with pytest.raises(ValueError):
        FaultKnobs(error_rate=1.5)
    with pytest.raises(ValueError):
        FaultKnobs(error_rate=0.6, drop_rate=0.6)
    assert not FaultKnobs().active and FaultKnobs(latency_s=0.01).active


def test_no_knobs_no_faults(db: Path):
    with serve_in_thread(db, TOKEN, faults=FaultKnobs()) as server, httpx.Client(base_url=server.base_url) as c:
        _read_window(c)
        assert server.fault_log.counts() == dict.fromkeys(FAULT_KINDS, 0)


def test_errors_are_500_502_503_and_logged(db: Path):
    with serve_in_thread(db, TOKEN, faults=FaultKnobs(error_rate=1.0, seed=1)) as server:
        with httpx.Client(base_url=server.base_url) as c:
            statuses = [c.get("/api/v1/dossiers", headers=AUTH).status_code for _ in range(30)]
        assert set(statuses) == {500, 502, 503}
        log = server.fault_log
        assert log.counts()["error"] == 30
        assert sorted(e.detail["status"] for e in log.of_kind("error")) == sorted(statuses)


def test_rate_limit_is_429_with_retry_after(db: Path):
    with serve_in_thread(db, TOKEN, faults=FaultKnobs(rate_limit_rate=1.0, retry_after_s=7)) as server:
        with httpx.Client(base_url=server.base_url) as c:
            response = c.get("/api/v1/dossier-events", headers=AUTH)
        assert response.status_code == 429 and response.headers["Retry-After"] == "7"
        assert server.fault_log.counts()["rate_limit"] == 1
        assert server.fault_log.entries[0].dataset == "dossier_events"


def test_latency_delays_every_page(db: Path):
    with serve_in_thread(db, TOKEN, faults=FaultKnobs(latency_s=0.3)) as server:
        with httpx.Client(base_url=server.base_url) as c:
            started = datetime.now()
            assert c.get("/api/v1/dossiers", headers=AUTH, params={"limit": 1}).status_code == 200
            assert (datetime.now() - started).total_seconds() >= 0.3
            with pytest.raises(httpx.ReadTimeout):
                c.get("/api/v1/dossiers", headers=AUTH, timeout=0.1)
        assert server.fault_log.counts()["latency"] == 2


def test_dropped_connections(db: Path):
    with serve_in_thread(db, TOKEN, faults=FaultKnobs(drop_rate=1.0)) as server:
        with httpx.Client(base_url=server.base_url) as c, pytest.raises(httpx.TransportError):
            c.get("/api/v1/dossiers", headers=AUTH)
        assert server.fault_log.counts()["drop"] == 1


def test_duplicates_repeat_the_previous_pages_last_record(db: Path):
    with serve_in_thread(db, TOKEN, faults=FaultKnobs(duplicate_rate=1.0)) as server:
        with httpx.Client(base_url=server.base_url) as c:
            pages = _read_window(c)
        assert len(pages) > 2
        for before, page in itertools.pairwise(pages):
            assert page[0] == before[-1]
        duplicates = server.fault_log.of_kind("duplicate")
        assert len(duplicates) == len(pages) - 1
        assert [d.detail["MaHoSo"] for d in duplicates] == [p[-1]["MaHoSo"] for p in pages[:-1]]


def test_mutation_really_moves_the_record_out_of_the_window(db: Path):
    moment = datetime(2026, 11, 25, 9, 0, 0)
    knobs = FaultKnobs(mutate_rate=1.0, mutate_at=moment)
    with serve_in_thread(db, TOKEN, faults=knobs) as server:
        with httpx.Client(base_url=server.base_url) as c:
            first_total = c.get("/api/v1/dossiers", params={**WINDOW, "limit": 1}, headers=AUTH).json()["total"]
            read = [r["MaHoSo"] for page in _read_window(c) for r in page]
            fresh = c.get("/api/v1/dossiers", params={**WINDOW, "limit": 1}, headers=AUTH).json()["total"]
        mutated = server.fault_log.mutated()
    assert mutated and not set(mutated) & set(read)
    assert fresh == first_total - len(mutated) == len(read)
    conn = sqlite3.connect(db)
    for code, new in mutated.items():
        assert new >= "20261125090000"
        (payload,) = conn.execute("SELECT payload FROM dossiers WHERE ma_ho_so = ?", (code,)).fetchone()
        assert json.loads(payload)["NgayCapNhat"] == new
        assert conn.execute("SELECT ngay_cap_nhat FROM dossiers WHERE ma_ho_so = ?", (code,)).fetchone()[0] == new
    conn.close()


def test_malformed_records_are_served_and_logged(db: Path):
    with serve_in_thread(db, TOKEN, faults=FaultKnobs(malformed_rate=0.2, seed=4)) as server:
        with httpx.Client(base_url=server.base_url) as c:
            records = [r for page in _read_window(c) for r in page]
        bad = server.fault_log.malformed()
    reasons = {reason for _, reason in bad}
    assert reasons == {"bad_timestamp", "unknown_status", "missing_key"}
    assert sum("MaHoSo" not in r for r in records) == sum(r == "missing_key" for _, r in bad)
    assert sum(r.get("TrangThaiHoSo") == 42 for r in records) == sum(r == "unknown_status" for _, r in bad)
    assert sum(r["NgayHenTra"] == "2025-13-01" for r in records) == sum(r == "bad_timestamp" for _, r in bad)
    # The source itself stays good.
    conn = sqlite3.connect(db)
    assert all(json.loads(p).get("TrangThaiHoSo") != 42 for (p,) in conn.execute("SELECT payload FROM dossiers"))
    conn.close()


def test_fault_log_json(db: Path):
    with serve_in_thread(db, TOKEN, faults=FaultKnobs(error_rate=1.0)) as server:
        with httpx.Client(base_url=server.base_url) as c:
            c.get("/api/v1/dossiers", headers=AUTH)
        (entry,) = server.fault_log.to_json()
        assert entry["kind"] == "error" and entry["seq"] == 1 and entry["status"] in (500, 502, 503)
