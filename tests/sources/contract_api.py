"""A dossier API written from SOURCES.md §1 alone, for tests: not the project's simulator.

It honours the contract and nothing more: ``Authorization: Bearer <token>`` (else 401); ``GET
/api/v1/dossiers`` and ``/api/v1/dossier-events`` with ``updated_from``/``updated_to``
(inclusive-exclusive, ``yyyyMMddHHmmss``, both optional), ``limit`` (1–1000, default 500) and an opaque
keyset ``cursor``; ``400`` with a JSON ``error`` for a bad limit, a malformed timestamp or a cursor reused
with another window; ``{"data": [...], "next_cursor": ..., "total": n}`` ordered by the window column
then the key. Records are whatever the test puts in ``records`` — served as they are, broken or not.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TS = re.compile(r"^\d{14}$")
ORDER = {
    "/api/v1/dossiers": ("NgayCapNhat", ("MaHoSo",)),
    "/api/v1/dossier-events": ("ThoiDiemGhiNhan", ("MaHoSo", "STT")),
}


@dataclass
class ContractApi:
    token: str
    records: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"/api/v1/dossiers": [], "/api/v1/dossier-events": []}
    )
    requests: int = 0

    def page(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        column, key = ORDER[path]
        lo, hi = query.get("updated_from"), query.get("updated_to")
        for bound in (lo, hi):
            if bound is not None and not TS.match(bound):
                return 400, {"error": f"malformed timestamp {bound!r}"}
        try:
            limit = int(query.get("limit", "500"))
        except ValueError:
            return 400, {"error": "limit is not a number"}
        if not 1 <= limit <= 1000:
            return 400, {"error": "limit must be 1-1000"}

        def sort_key(r: dict[str, Any]) -> tuple:
            return (str(r.get(column) or ""), *(str(r.get(k) or "") for k in key))

        window = sorted(
            (
                r
                for r in self.records[path]
                if (lo is None or str(r.get(column)) >= lo) and (hi is None or str(r.get(column)) < hi)
            ),
            key=sort_key,
        )
        after = None
        if "cursor" in query:
            try:
                state = json.loads(base64.urlsafe_b64decode(query["cursor"]))
            except ValueError:
                return 400, {"error": "malformed cursor"}
            if state["w"] != [lo, hi]:
                return 400, {"error": "cursor reused with another window"}
            after = tuple(state["k"])
        rest = [r for r in window if after is None or sort_key(r) > after]
        data = rest[:limit]
        next_cursor = None
        if len(rest) > limit:
            state = {"k": list(sort_key(data[-1])), "w": [lo, hi]}
            next_cursor = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
        return 200, {"data": data, "next_cursor": next_cursor, "total": len(window)}


def _handler(api: ContractApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            api.requests += 1
            url = urlsplit(self.path)
            if self.headers.get("Authorization") != f"Bearer {api.token}":
                return self._send(401, {"error": "unauthorised"})
            if url.path not in ORDER:
                return self._send(404, {"error": "not found"})
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            self._send(*api.page(url.path, query))

    return Handler


@dataclass
class Served:
    api: ContractApi
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dossiers(self) -> list[dict[str, Any]]:
        return self.api.records["/api/v1/dossiers"]

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.api.records["/api/v1/dossier-events"]


@contextmanager
def serve(token: str) -> Iterator[Served]:
    """Serve a :class:`ContractApi` on a free localhost port in a thread."""
    api = ContractApi(token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(api, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def dossier(code: str, updated: str, **fields: Any) -> dict[str, Any]:
    """A complete dossier record of SOURCES.md §1 (every field present), with personal data."""
    record = {
        "MaHoSo": code,
        "MaDonVi": "T01.SO1",
        "MaTTHC": "1.000001",
        "KenhThucHien": 2,
        "LoaiDoiTuong": 1,
        "ChuHoSo": f"Nguyễn Văn {code}",
        "SoDinhDanh": f"0012{code[-6:]:0>8}",
        "SoDienThoai": f"0912{code[-6:]:0>6}",
        "Email": f"{code.lower()}@example.vn",
        "DiaChi": f"Số {code[-3:]} đường Lê Lợi",
        "NgayNopHoSo": updated[:8] + "080000",
        "NgayTiepNhan": updated[:8] + "083000",
        "NgayHenTra": updated[:8] + "170000",
        "NgayKetThucXuLy": None,
        "NgayTra": None,
        "TrangThaiHoSo": 4,
        "DuocThanhToanTrucTuyen": 0,
        "DanhSachLePhi": [{"MaPhiLePhi": "LP01", "Gia": 50000}],
        "TaiLieuNop": [],
        "DanhSachGiayToKetQua": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachPhieuXinLoi": [],
        "MucDoHaiLong": None,
        "TaiKhoanDuocXacThucVoiVNeID": 0,
        "NgayDongBoDVCQG": None,
        "NgayCapNhat": updated,
    }
    record.update(fields)
    return record


def event(code: str, stt: int, recorded: str, status: int = 2, **fields: Any) -> dict[str, Any]:
    record = {
        "MaHoSo": code,
        "STT": stt,
        "TrangThai": status,
        "ThoiDiemXuLy": recorded,
        "ThoiDiemGhiNhan": recorded,
        "PhongBanXuLy": "Bộ phận một cửa",
        "NgayKetThucTheoQuyDinh": None,
    }
    record.update(fields)
    return record
