"""The soak's truth (lab/soak/expected_rows.py) against hand-typed records and rows: it must reach the
contract's rows on its own, and refuse exactly the records the contract calls malformed."""

from __future__ import annotations

import pytest

from parmetrics.lab.soak.expected_rows import expected_dossier_row, expected_event_row
from tests.sources.dossier_oracle_records import DOSSIERS, EVENTS, FINISHED_ONLINE, ORACLE_KEY, PERSONAL_FIELDS


@pytest.mark.parametrize(("record", "expected"), DOSSIERS, ids=[r["MaHoSo"] for r, _ in DOSSIERS])
def test_dossier_rows_are_the_typed_out_rows(record, expected):
    assert expected_dossier_row(record, ORACLE_KEY, "b") == {**expected, "_batch_id": "b"}


@pytest.mark.parametrize(("record", "expected"), EVENTS, ids=[f"STT{r['STT']}" for r, _ in EVENTS])
def test_event_rows_are_the_typed_out_rows(record, expected):
    assert expected_event_row(record, "b") == {**expected, "_batch_id": "b"}


BROKEN_DOSSIERS = {
    "a day that does not exist": {"NgayCapNhat": "20240230120000"},
    "a timestamp with separators": {"NgayTiepNhan": "2024-03-15 08:00"},
    "a nested timestamp cut short": {
        "DanhSachHoSoBoSung": [{"NgayYeuCauBoSung": "2024031810", "NgayTiepNhanBoSung": None}]
    },
    "an unknown status": {"TrangThaiHoSo": 11},
    "no status": {"TrangThaiHoSo": None},
    "an unknown channel": {"KenhThucHien": 4},
    "a code as text": {"LoaiDoiTuong": "1"},
    "a flag as a boolean": {"MucDoHaiLong": True},
    "no dossier number": {"MaHoSo": None},
    "a blank dossier number": {"MaHoSo": "  "},
    "no receiving unit": {"MaDonVi": None},
    "no update time": {"NgayCapNhat": None},
    "a fee that is text": {"DanhSachLePhi": [{"MaPhiLePhi": "LP01", "Gia": "50.000"}]},
    "a list that is an object": {"TaiLieuNop": {"MaThanhPhanHoSo": "TP1"}},
}  # fmt: skip


@pytest.mark.parametrize("change", BROKEN_DOSSIERS.values(), ids=BROKEN_DOSSIERS.keys())
def test_a_dossier_breaking_the_contract_has_no_row(change):
    assert expected_dossier_row({**FINISHED_ONLINE, **change}, ORACLE_KEY) is None


@pytest.mark.parametrize("missing", ["MaTTHC", "DanhSachPhieuXinLoi", *PERSONAL_FIELDS])
def test_a_dossier_missing_a_field_has_no_row(missing):
    record = {k: v for k, v in FINISHED_ONLINE.items() if k != missing}
    assert expected_dossier_row(record, ORACLE_KEY) is None


@pytest.mark.parametrize(
    "change",
    [{"STT": None}, {"STT": "4"}, {"TrangThai": 0}, {"ThoiDiemGhiNhan": None}, {"ThoiDiemXuLy": "20241301000000"}],
)
def test_an_event_breaking_the_contract_has_no_row(change):
    record, _ = EVENTS[0]
    assert expected_event_row({**record, **change}) is None
