"""Live mode: the dossier system keeps working after the generated history, and tells Airflow.

Each :meth:`LiveOffice.tick` advances the simulated clock by a step and moves the oldest open
dossiers one step on, as a one-stop office works its backlog: accepted → processing, processing →
processed (finish recorded), supplement requested → processing (the applicant answered), awaiting the
financial obligation → processed, processed → returned; unsynced accepted dossiers are synced to the
national portal. Every change appends a status event and gives the record a new ``NgayCapNhat`` (the
simulated now), in the SQLite file the API serves — so the next extraction window finds it. After a
tick that changed something, the notifier is called: by default it creates the Airflow asset event
the dossier ingestion DAG listens to (``POST /api/v2/assets/events``, SOURCES.md §1).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from parmetrics.lab.simulators.dossier_data import INTAKE_DESK, SPECIALIST_DESK
from parmetrics.timestamps import format_ts, parse_ts

log = logging.getLogger(__name__)

DOSSIER_API_ASSET_URI = "parmetrics://sources/dossier_api"  # orchestration.assets.DOSSIER_API_CHANGES.uri
OPEN_STATUSES = (2, 4, 5, 6, 9)
NEXT_STATUS = {2: 4, 4: 9, 5: 4, 6: 9, 9: 10}

Notifier = Callable[[dict[str, Any]], None]


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class LiveOffice:
    """Advances the dossier source in ``db_path``; ``clock`` starts after its newest change."""

    db_path: Path
    clock: datetime | None = None
    step: timedelta = timedelta(minutes=30)
    changes_per_tick: int = 20
    notify: Notifier | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # one entry per tick that changed records

    def __post_init__(self) -> None:
        with self._connect() as conn:
            newest = conn.execute("SELECT max(ngay_cap_nhat) FROM dossiers").fetchone()[0]
            newest_event = conn.execute("SELECT max(thoi_diem_ghi_nhan) FROM dossier_events").fetchone()[0]
        latest = max(parse_ts(v) for v in (newest, newest_event) if v) if (newest or newest_event) else None
        if self.clock is None:
            self.clock = (latest or datetime(2026, 11, 20)) + timedelta(seconds=1)
        elif latest is not None and self.clock <= latest:
            raise ValueError(f"the live clock {self.clock} must be after the source's newest change {latest}")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.db_path, timeout=30)

    def tick(self) -> list[str]:
        """Advances the clock one step and the oldest open dossiers one state; returns their MaHoSo."""
        assert self.clock is not None
        start = self.clock
        self.clock = start + self.step
        changed: list[str] = []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT ngay_cap_nhat, ma_ho_so, payload FROM dossiers "
                "WHERE json_extract(payload, '$.TrangThaiHoSo') IN (2, 4, 5, 6, 9) "
                "ORDER BY ngay_cap_nhat, ma_ho_so LIMIT ?",
                (self.changes_per_tick,),
            ).fetchall()
            spacing = self.step / (len(rows) + 1)
            for i, (old_key, code, payload) in enumerate(rows, start=1):
                moment = (start + spacing * i).replace(microsecond=0)
                record = json.loads(payload)
                status = NEXT_STATUS[record["TrangThaiHoSo"]]
                now = format_ts(moment)
                if record["TrangThaiHoSo"] == 5:
                    for request in record["DanhSachHoSoBoSung"]:
                        if request["NgayTiepNhanBoSung"] is None:
                            request["NgayTiepNhanBoSung"] = now
                if status == 9 and record["NgayKetThucXuLy"] is None:
                    record["NgayKetThucXuLy"] = now
                if status == 10:
                    record["NgayTra"] = now
                if record["NgayDongBoDVCQG"] is None:
                    record["NgayDongBoDVCQG"] = now
                record["TrangThaiHoSo"] = status
                record["NgayCapNhat"] = now
                stt = conn.execute("SELECT coalesce(max(stt), 0) + 1 FROM dossier_events WHERE ma_ho_so = ?", (code,))
                seq = stt.fetchone()[0]
                event = {
                    "MaHoSo": code,
                    "STT": seq,
                    "TrangThai": status,
                    "ThoiDiemXuLy": now,
                    "ThoiDiemGhiNhan": now,
                    "PhongBanXuLy": INTAKE_DESK if status == 10 else SPECIALIST_DESK,
                    "NgayKetThucTheoQuyDinh": record["NgayHenTra"],
                }
                conn.execute("INSERT INTO dossier_events VALUES (?, ?, ?, ?)", (now, code, seq, _dumps(event)))
                conn.execute(
                    "UPDATE dossiers SET ngay_cap_nhat = ?, payload = ? WHERE ngay_cap_nhat = ? AND ma_ho_so = ?",
                    (now, _dumps(record), old_key, code),
                )
                changed.append(code)
            conn.commit()
        if changed:
            entry = {"clock": format_ts(self.clock), "changed": len(changed), "dossiers": changed}
            self.history.append(entry)
            if self.notify is not None:
                try:
                    self.notify(entry)
                except Exception:  # a notification that fails must not stop the office
                    log.exception("could not notify about %d changed dossiers", len(changed))
        return changed

    def run(self, interval_s: float, stop: threading.Event, ticks: int | None = None) -> None:
        """Ticks every `interval_s` seconds of wall time until `stop` is set (or `ticks` ticks)."""
        done = 0
        while not stop.is_set() and (ticks is None or done < ticks):
            self.tick()
            done += 1
            stop.wait(interval_s)


def airflow_notifier(api: Any, asset_uri: str | None = None) -> Notifier:
    """A notifier creating the asset event of the dossier source through ``AirflowApi``."""
    if asset_uri is None:
        try:
            from parmetrics.orchestration.assets import DOSSIER_API_CHANGES

            asset_uri = DOSSIER_API_CHANGES.uri
        except ImportError:  # Airflow not installed where the simulator runs
            asset_uri = DOSSIER_API_ASSET_URI

    def notify(entry: dict[str, Any]) -> None:
        api.create_asset_event(asset_uri, extra={"changed": entry["changed"], "clock": entry["clock"]})

    return notify


def start_live_thread(office: LiveOffice, interval_s: float) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=office.run, args=(interval_s, stop), name="live-office", daemon=True)
    thread.start()
    return thread, stop
