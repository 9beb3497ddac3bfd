"""Live mode: the clock advances, records change in the source as an office would, Airflow is notified."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from parmetrics.lab.simulators.dossier_api import serve_in_thread
from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db
from parmetrics.lab.simulators.live import DOSSIER_API_ASSET_URI, LiveOffice, airflow_notifier, start_live_thread

from .conftest import TOKEN


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dossier_db(tmp_path_factory.mktemp("live"), DossierDataConfig(seed=2, n_dossiers=300))


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / template.name
    shutil.copy(template, target)
    return target


def _records(db: Path) -> dict[str, dict]:
    conn = sqlite3.connect(db)
    try:
        return {json.loads(p)["MaHoSo"]: json.loads(p) for (p,) in conn.execute("SELECT payload FROM dossiers")}
    finally:
        conn.close()


def _events(db: Path, code: str) -> list[dict]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT payload FROM dossier_events WHERE ma_ho_so = ? ORDER BY stt", (code,))
        return [json.loads(p) for (p,) in rows]
    finally:
        conn.close()


def test_a_tick_moves_open_dossiers_on_and_notifies(db: Path):
    before = _records(db)
    newest = max(d["NgayCapNhat"] for d in before.values())
    calls: list[dict] = []
    office = LiveOffice(db, step=timedelta(minutes=10), changes_per_tick=5, notify=calls.append)
    changed = office.tick()
    assert len(changed) == 5 and len(calls) == 1 and calls[0]["dossiers"] == changed
    after = _records(db)
    assert len(after) == len(before)
    for code in changed:
        old, new = before[code], after[code]
        assert new["NgayCapNhat"] > newest and new["NgayCapNhat"] <= calls[0]["clock"]
        assert (old["TrangThaiHoSo"], new["TrangThaiHoSo"]) in {(2, 4), (4, 9), (5, 4), (6, 9), (9, 10)}
        events = _events(db, code)
        assert events[-1]["TrangThai"] == new["TrangThaiHoSo"] and events[-1]["STT"] == len(events)
        assert events[-1]["ThoiDiemGhiNhan"] == new["NgayCapNhat"]
        if new["TrangThaiHoSo"] == 9:
            assert new["NgayKetThucXuLy"] is not None
        if new["TrangThaiHoSo"] == 10:
            assert new["NgayTra"] == new["NgayCapNhat"]
    assert all(before[c] == after[c] for c in before if c not in changed)
    second = office.tick()
    assert len(calls) == 2 and calls[1]["clock"] > calls[0]["clock"] and second


def test_changes_show_up_in_a_later_api_window(db: Path):
    office = LiveOffice(db, changes_per_tick=3)
    start = office.clock
    changed = office.tick()
    window = {"updated_from": start.strftime("%Y%m%d%H%M%S")}
    with serve_in_thread(db, TOKEN) as server, httpx.Client(base_url=server.base_url) as client:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        body = client.get("/api/v1/dossiers", params=window, headers=headers).json()
        events = client.get("/api/v1/dossier-events", params=window, headers=headers).json()
    assert sorted(d["MaHoSo"] for d in body["data"]) == sorted(changed)
    assert sorted(e["MaHoSo"] for e in events["data"]) == sorted(changed)


def test_the_notifier_creates_the_dossier_source_asset_event(db: Path):
    class FakeAirflow:
        def __init__(self) -> None:
            self.events: list[tuple[str, dict]] = []

        def create_asset_event(self, asset_uri: str, extra: dict | None = None) -> dict:
            self.events.append((asset_uri, extra or {}))
            return {"id": len(self.events)}

    api = FakeAirflow()
    office = LiveOffice(db, changes_per_tick=2, notify=airflow_notifier(api, DOSSIER_API_ASSET_URI))
    office.tick()
    assert api.events == [(DOSSIER_API_ASSET_URI, {"changed": 2, "clock": office.history[0]["clock"]})]


def test_a_failing_notifier_does_not_stop_the_office_and_the_thread_runs(db: Path):
    def broken(entry: dict) -> None:
        raise RuntimeError("Airflow is down")

    office = LiveOffice(db, changes_per_tick=1, notify=broken)
    thread, stop = start_live_thread(office, interval_s=0.01)
    try:
        deadline = threading.Event()
        for _ in range(200):
            if len(office.history) >= 3:
                break
            deadline.wait(0.02)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert len(office.history) >= 3


def test_the_clock_must_start_after_the_history(db: Path):
    newest = max(d["NgayCapNhat"] for d in _records(db).values())
    from parmetrics.timestamps import parse_ts

    with pytest.raises(ValueError):
        LiveOffice(db, clock=parse_ts(newest) - timedelta(days=1))
