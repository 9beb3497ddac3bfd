from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from parmetrics.lab.demo import simulator
from parmetrics.lab.simulators.dossier_api import serve_in_thread
from tests.processes import processes_with_module

from .conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def api(default_db: Path):
    with serve_in_thread(default_db, TOKEN) as server, httpx.Client(base_url=server.base_url) as client:
        yield client


def _count(db: Path, table: str, column: str, lo: str | None, hi: str | None) -> int:
    conn = sqlite3.connect(db)
    sql, params = f"SELECT count(*) FROM {table} WHERE 1", []
    if lo:
        sql, params = sql + f" AND {column} >= ?", [*params, lo]
    if hi:
        sql, params = sql + f" AND {column} < ?", [*params, hi]
    n = conn.execute(sql, params).fetchone()[0]
    conn.close()
    return n


def test_health_needs_no_token(api: httpx.Client):
    assert api.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_missing_or_wrong_token_is_401_with_json_error(api: httpx.Client, headers: dict):
    for path in ("/api/v1/dossiers", "/api/v1/dossier-events"):
        response = api.get(path, headers=headers)
        assert response.status_code == 401
        assert "error" in response.json()


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"updated_from": "2024-01-01"},
        {"updated_to": "20241301000000"},
        {"cursor": "not-a-cursor"},
    ],
)
def test_bad_parameters_are_400_with_json_error(api: httpx.Client, params: dict):
    response = api.get("/api/v1/dossiers", params=params, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]


def test_cursor_reused_with_another_window_is_400(api: httpx.Client):
    window = {"updated_from": "20240101000000", "updated_to": "20250101000000", "limit": 5}
    cursor = api.get("/api/v1/dossiers", params=window, headers=AUTH).json()["next_cursor"]
    other = {**window, "updated_to": "20250201000000", "cursor": cursor}
    response = api.get("/api/v1/dossiers", params=other, headers=AUTH)
    assert response.status_code == 400 and "window" in response.json()["error"]
    response = api.get("/api/v1/dossier-events", params={**window, "cursor": cursor}, headers=AUTH)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "table", "column", "key"),
    [
        ("/api/v1/dossiers", "dossiers", "ngay_cap_nhat", ("NgayCapNhat", "MaHoSo")),
        ("/api/v1/dossier-events", "dossier_events", "thoi_diem_ghi_nhan", ("ThoiDiemGhiNhan", "MaHoSo", "STT")),
    ],
)
def test_keyset_paging_returns_the_window_once_in_order_with_a_stable_total(
    api: httpx.Client, default_db: Path, path: str, table: str, column: str, key: tuple
):
    lo, hi = "20250301000000", "20250401000000"
    expected = _count(default_db, table, column, lo, hi)
    assert expected > 20
    params = {"updated_from": lo, "updated_to": hi, "limit": 7}
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get(path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=AUTH)
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == expected
        # The same request answers the same bytes: the cursor is a pure function of the key.
        assert api.get(path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=AUTH).content == (
            response.content
        )
        seen += [tuple(r[k] for k in key) for r in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == expected == len(set(seen))
    assert seen == sorted(seen)
    assert all(lo <= k[0] < hi for k in seen)
    assert pages == -(-expected // 7)


def test_last_page_exactly_full_has_no_next_cursor(api: httpx.Client, default_db: Path):
    lo, hi = "20250301000000", "20250401000000"
    total = _count(default_db, "dossiers", "ngay_cap_nhat", lo, hi)
    body = api.get("/api/v1/dossiers", params={"updated_from": lo, "updated_to": hi, "limit": total}, headers=AUTH)
    assert len(body.json()["data"]) == total and body.json()["next_cursor"] is None


def test_open_bounds_and_default_limit(api: httpx.Client, default_db: Path):
    body = api.get("/api/v1/dossiers", headers=AUTH).json()
    assert body["total"] == _count(default_db, "dossiers", "ngay_cap_nhat", None, None)
    assert len(body["data"]) == 500
    only_from = api.get("/api/v1/dossiers", params={"updated_from": "20260101000000"}, headers=AUTH).json()
    assert only_from["total"] == _count(default_db, "dossiers", "ngay_cap_nhat", "20260101000000", None)


def test_empty_window(api: httpx.Client):
    params = {"updated_from": "20300101000000", "updated_to": "20300102000000"}
    body = api.get("/api/v1/dossier-events", params=params, headers=AUTH).json()
    assert body == {"data": [], "next_cursor": None, "total": 0}


def test_the_simulator_process_takes_any_generated_token_and_keeps_it_off_the_command_line(
    default_db: Path, tmp_path: Path
):
    # secrets.token_urlsafe can start with "-": on the command line argparse read such a token as an
    # option and the simulator process exited (a CI run of make test-celery failed on one).
    token = "-83Klal2dmgRVangvIEg4N8uf4S-JQwE"
    with simulator(default_db, token, tmp_path) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        ok = client.get("/api/v1/dossiers", params={"limit": 1}, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200, ok.text
        assert client.get("/api/v1/dossiers", headers={"Authorization": "Bearer other"}).status_code == 401
        server = processes_with_module("parmetrics.lab.simulators.dossier_api")
        assert server and all(token not in " ".join(p.info["cmdline"]) for p in server)
