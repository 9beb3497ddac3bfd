"""The extractor holds to the dossier API's OpenAPI document (docs/contracts/dossier_api.openapi.yaml):
every request it sends is one the document allows (bearer token, window bounds as ``yyyyMMddHHmmss``,
``limit`` within 1–1000, the cursor it was given), and the fields it reads are the document's fields."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from parmetrics.lab.simulators.dossier_api import serve_in_thread
from parmetrics.sources.dossier_api import ApiConnection, DossierApiAuthError, extract_window
from parmetrics.sources.dossier_records import DOSSIER_FIELDS, EVENT_FIELDS, dossier_row, event_row
from tests.dossier_api_contract import record_fields, schema_validator, validate_exchange

from .conftest import KEY, TOKEN


@pytest.fixture
def exchanges(monkeypatch) -> list[httpx.Response]:
    """Every response the extractor's HTTP client receives (with the request it answers)."""
    seen: list[httpx.Response] = []
    original = httpx.Client

    class Recording(original):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("event_hooks", {}).setdefault("response", []).append(seen.append)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", Recording)
    return seen


@pytest.mark.parametrize("dataset", ["dossiers", "dossier_events"])
@pytest.mark.parametrize(
    ("lo", "hi"), [(None, None), (datetime(2025, 1, 1), datetime(2025, 4, 1)), (datetime(2026, 11, 1), None)]
)
def test_every_request_the_extractor_sends_is_one_the_document_allows(
    source_db: Path, data_paths, exchanges, dataset, lo, hi
):
    with serve_in_thread(source_db, TOKEN) as server:
        conn = ApiConnection(server.base_url, TOKEN, timeout=5)
        stats = extract_window(conn, dataset, lo, hi, data_paths, KEY, page_limit=50)
    assert stats["rows"] > 0
    assert len(exchanges) == stats["pages"] + 1  # the pages, then the fresh total (limit=1)
    for response in exchanges:
        assert response.status_code == 200
        validate_exchange(response)
    sent = [dict(r.request.url.params) for r in exchanges]
    window = {
        **({"updated_from": lo.strftime("%Y%m%d%H%M%S")} if lo else {}),
        **({"updated_to": hi.strftime("%Y%m%d%H%M%S")} if hi else {}),
    }
    assert sent[0] == {**window, "limit": "50"}
    for i in range(1, len(sent) - 1):
        assert sent[i] == {**window, "limit": "50", "cursor": exchanges[i - 1].json()["next_cursor"]}
    assert sent[-1] == {**window, "limit": "1"}


def test_a_rejected_token_is_sent_as_a_bearer_and_read_as_401(source_db: Path, data_paths, exchanges):
    with serve_in_thread(source_db, TOKEN) as server:
        conn = ApiConnection(server.base_url, "wrong", timeout=5)
        with pytest.raises(DossierApiAuthError):
            extract_window(conn, "dossiers", None, None, data_paths, KEY)
    [response] = exchanges
    assert response.request.headers["Authorization"] == "Bearer wrong"
    validate_exchange(response)


def test_the_fields_the_extractor_reads_are_the_documents():
    assert list(DOSSIER_FIELDS) == record_fields("Dossier")
    assert list(EVENT_FIELDS) == record_fields("DossierEvent")


def _sparsest_dossier() -> dict:
    """The least a conforming system may send: every nullable field null, every list null."""
    return {
        "MaHoSo": "000.00.01.H99-250101-0001",
        "MaDonVi": "000.00.01.H99",
        "MaTTHC": None,
        "KenhThucHien": None,
        "LoaiDoiTuong": None,
        "ChuHoSo": None,
        "SoDinhDanh": None,
        "SoDienThoai": None,
        "Email": None,
        "DiaChi": None,
        "NgayNopHoSo": None,
        "NgayTiepNhan": None,
        "NgayHenTra": None,
        "NgayKetThucXuLy": None,
        "NgayTra": None,
        "TrangThaiHoSo": 1,
        "DuocThanhToanTrucTuyen": None,
        "DanhSachLePhi": None,
        "TaiLieuNop": None,
        "DanhSachGiayToKetQua": None,
        "DanhSachHoSoBoSung": None,
        "DanhSachPhieuXinLoi": None,
        "MucDoHaiLong": None,
        "TaiKhoanDuocXacThucVoiVNeID": None,
        "NgayDongBoDVCQG": None,
        "NgayCapNhat": "20250101080000",
    }


def test_the_sparsest_conforming_records_land():
    dossier = _sparsest_dossier()
    assert not list(schema_validator("Dossier").iter_errors(dossier))
    personal = ("ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi")
    row = dossier_row({k: v for k, v in dossier.items() if k not in personal} | {"applicant_key": None}, "b")
    assert row["MaHoSo"] == "000.00.01.H99-250101-0001"
    assert row["NgayCapNhat"] == datetime(2025, 1, 1, 8, 0, 0)
    assert row["TaiLieuNop"] is None and row["KenhThucHien"] is None
    event = {
        "MaHoSo": "000.00.01.H99-250101-0001",
        "STT": 1,
        "TrangThai": 1,
        "ThoiDiemXuLy": "20250101080000",
        "ThoiDiemGhiNhan": "20250101080005",
        "PhongBanXuLy": "",
        "NgayKetThucTheoQuyDinh": None,
    }
    assert not list(schema_validator("DossierEvent").iter_errors(event))
    assert event_row(event, "b")["ThoiDiemGhiNhan"] == datetime(2025, 1, 1, 8, 0, 5)
