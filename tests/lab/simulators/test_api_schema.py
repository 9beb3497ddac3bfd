"""The simulated dossier API answers as the contract says: every page, error and field of it is
validated against the OpenAPI document in the repository (docs/contracts/dossier_api.openapi.yaml).

Records are read through HTTP, all pages of the default dataset; each exchange (request and response)
goes through ``openapi-core``. The simulator must also use every code the contract lists (a simulator
that never served a withdrawn dossier or an unrated one would leave those paths of the pipeline untested).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from parmetrics.lab.simulators.dossier_api import FaultKnobs, serve_in_thread
from tests.dossier_api_contract import document, record_fields, validate_answer, validate_exchange

from .conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
DATASETS = {"/api/v1/dossiers": "Dossier", "/api/v1/dossier-events": "DossierEvent"}


def _read_all(client: httpx.Client, path: str) -> tuple[list[dict], int]:
    out, cursor, pages = [], None, 0
    while True:
        params = {"limit": 1000, "updated_to": "20991231000000", **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=params, headers=AUTH)
        validate_exchange(response)
        pages += 1
        body = response.json()
        out += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return out, pages


@pytest.fixture(scope="module")
def served(default_db: Path) -> dict[str, list[dict]]:
    with serve_in_thread(default_db, TOKEN) as server, httpx.Client(base_url=server.base_url) as client:
        records = {}
        for path in DATASETS:
            records[path], pages = _read_all(client, path)
            assert pages > 1
        return records


def _enum(schema: str, field: str) -> set:
    spec = document()["components"]["schemas"]
    prop = spec[schema]["properties"][field]
    if "$ref" in prop:
        prop = spec[prop["$ref"].rsplit("/", 1)[1]]
    return set(prop["enum"])


def test_the_document_lists_the_contracts_fields_in_order():
    # Typed out from the contract table (docs/sources.md §1), so that a field dropped from the document
    # is noticed here and not only by the simulator's agreement with it.
    assert record_fields("Dossier") == [
        "MaHoSo", "MaDonVi", "MaTTHC", "KenhThucHien", "LoaiDoiTuong",
        "ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi",
        "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "TrangThaiHoSo",
        "DuocThanhToanTrucTuyen", "DanhSachLePhi", "TaiLieuNop", "DanhSachGiayToKetQua", "DanhSachHoSoBoSung",
        "DanhSachPhieuXinLoi", "MucDoHaiLong", "TaiKhoanDuocXacThucVoiVNeID", "NgayDongBoDVCQG", "NgayCapNhat",
    ]  # fmt: skip
    assert record_fields("DossierEvent") == [
        "MaHoSo", "STT", "TrangThai", "ThoiDiemXuLy", "ThoiDiemGhiNhan", "PhongBanXuLy", "NgayKetThucTheoQuyDinh",
    ]  # fmt: skip
    assert _enum("Dossier", "TrangThaiHoSo") == set(range(1, 11))
    assert _enum("Dossier", "KenhThucHien") == {1, 2, 3, None}


def test_every_page_of_both_endpoints_validates_against_the_document(served: dict[str, list[dict]]):
    # validate_exchange already checked every record of every page; here: in the document's field order
    # (a consumer reading by position would see the same), and the volume really was read.
    for path, schema in DATASETS.items():
        assert len(served[path]) > 1000
        assert all(list(r) == record_fields(schema) for r in served[path])


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        ("Dossier", "KenhThucHien"),
        ("Dossier", "LoaiDoiTuong"),
        ("Dossier", "TrangThaiHoSo"),
        ("Dossier", "DuocThanhToanTrucTuyen"),
        ("Dossier", "MucDoHaiLong"),
        ("Dossier", "TaiKhoanDuocXacThucVoiVNeID"),
        ("DossierEvent", "TrangThai"),
    ],
)
def test_the_simulator_serves_every_code_the_contract_lists(served, schema, field):
    path = next(p for p, s in DATASETS.items() if s == schema)
    observed = {r[field] for r in served[path]}
    expected = _enum(schema, field)
    if field in ("LoaiDoiTuong", "DuocThanhToanTrucTuyen", "TaiKhoanDuocXacThucVoiVNeID"):
        expected -= {None}  # allowed by "null where unknown", not a code the simulator must produce
    assert observed == expected


def test_component_flags_take_both_values(served):
    flags = {
        (p["DuocSoHoa"], p["TaiSuDung"], p["DuocLayTuKhoDMQG"])
        for d in served["/api/v1/dossiers"]
        for p in d["TaiLieuNop"] or []
    }
    assert {v for f in flags for v in f} == {0, 1}


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({"limit": 1}, {"Authorization": "Bearer wrong"}, 401),
        ({"limit": 1}, {}, 401),
        ({"limit": 0}, AUTH, 400),
        ({"limit": 1001}, AUTH, 400),
        ({"updated_from": "2025-01-01"}, AUTH, 400),
        ({"updated_to": "20250230000000"}, AUTH, 400),
    ],
)
def test_errors_answer_as_documented(default_db: Path, params, headers, status):
    with serve_in_thread(default_db, TOKEN) as server, httpx.Client(base_url=server.base_url) as client:
        for path in DATASETS:
            response = client.get(path, params=params, headers=headers)
            assert response.status_code == status, response.text
            # The request itself breaks the contract in most cases: only the answer is checked then.
            validate_answer(response)


def test_a_cursor_reused_with_another_window_is_a_documented_400(default_db: Path):
    with serve_in_thread(default_db, TOKEN) as server, httpx.Client(base_url=server.base_url) as client:
        first = client.get("/api/v1/dossiers", params={"limit": 5}, headers=AUTH)
        validate_exchange(first)
        cursor = first.json()["next_cursor"]
        reused = client.get(
            "/api/v1/dossiers", params={"limit": 5, "cursor": cursor, "updated_from": "20250101000000"}, headers=AUTH
        )
        assert reused.status_code == 400
        validate_exchange(reused)


@pytest.mark.parametrize(
    ("knobs", "statuses"),
    [
        (FaultKnobs(rate_limit_rate=1.0, retry_after_s=3), {429}),
        (FaultKnobs(error_rate=1.0, seed=4), {500, 502, 503}),
    ],
)
def test_injected_faults_answer_as_documented(default_db: Path, knobs, statuses):
    seen = set()
    with (
        serve_in_thread(default_db, TOKEN, faults=knobs) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        for _ in range(30):
            response = client.get("/api/v1/dossier-events", params={"limit": 10}, headers=AUTH)
            validate_exchange(response)
            seen.add(response.status_code)
    assert seen == statuses
    if statuses == {429}:
        assert response.headers["Retry-After"] == "3"
