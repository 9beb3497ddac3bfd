"""Turning dossier API records into landing rows, or into a one-line reason why they cannot land.

A record that breaks the contract (SOURCES.md §1) is quarantined rather than landed, so nothing
downstream has to guess: every field present, timestamps ``yyyyMMddHHmmss``, integer codes as
integers, a known status, and the key fields set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from parmetrics.landing.schemas import DOSSIER_PERSONAL_FIELDS
from parmetrics.timestamps import parse_ts

STATUS_CODES = frozenset(range(1, 11))

DOSSIER_FIELDS = (
    "MaHoSo",
    "MaDonVi",
    "MaTTHC",
    "KenhThucHien",
    "LoaiDoiTuong",
    *DOSSIER_PERSONAL_FIELDS,
    "NgayNopHoSo",
    "NgayTiepNhan",
    "NgayHenTra",
    "NgayKetThucXuLy",
    "NgayTra",
    "TrangThaiHoSo",
    "DuocThanhToanTrucTuyen",
    "DanhSachLePhi",
    "TaiLieuNop",
    "DanhSachGiayToKetQua",
    "DanhSachHoSoBoSung",
    "DanhSachPhieuXinLoi",
    "MucDoHaiLong",
    "TaiKhoanDuocXacThucVoiVNeID",
    "NgayDongBoDVCQG",
    "NgayCapNhat",
)
EVENT_FIELDS = (
    "MaHoSo",
    "STT",
    "TrangThai",
    "ThoiDiemXuLy",
    "ThoiDiemGhiNhan",
    "PhongBanXuLy",
    "NgayKetThucTheoQuyDinh",
)


class MalformedRecord(ValueError):
    """The record breaks the contract; the message is the rule it broke."""


def _ts(record: dict[str, Any], name: str, required: bool = False) -> datetime | None:
    value = record.get(name)
    if value is None:
        if required:
            raise MalformedRecord(f"{name} is missing")
        return None
    try:
        return parse_ts(value)
    except ValueError as exc:
        raise MalformedRecord(f"{name}: {exc}") from None


def _int(record: dict[str, Any], name: str, domain: frozenset[int] | None = None) -> int | None:
    value = record.get(name)
    if value is None:
        return None
    # bool is an int in Python but never a code in the contract.
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecord(f"{name}: not an integer: {value!r}")
    if domain is not None and value not in domain:
        raise MalformedRecord(f"{name}: unknown code {value!r}")
    return value


def _str(record: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = record.get(name)
    if value is None or (required and isinstance(value, str) and not value.strip()):
        if required:
            raise MalformedRecord(f"{name} is missing")
        return None
    if not isinstance(value, str):
        raise MalformedRecord(f"{name}: not a string: {value!r}")
    return value


def _number(record: dict[str, Any], name: str) -> float | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedRecord(f"{name}: not a number: {value!r}")
    return float(value)


def _items(
    record: dict[str, Any], name: str, parse_item: Callable[[dict[str, Any]], dict[str, Any]]
) -> list[dict[str, Any]] | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise MalformedRecord(f"{name}: not a list")
    parsed = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise MalformedRecord(f"{name}[{i}]: not an object")
        try:
            parsed.append(parse_item(item))
        except MalformedRecord as exc:
            raise MalformedRecord(f"{name}[{i}].{exc}") from None
    return parsed


def _require_fields(record: dict[str, Any], fields: tuple[str, ...]) -> None:
    missing = [f for f in fields if f not in record]
    if missing:
        raise MalformedRecord(f"missing field(s) {', '.join(missing)}")


def record_label(record: Any, dataset: str) -> str:
    """How a reason names the record: its key, whatever state the record is in."""
    if not isinstance(record, dict):
        return f"{dataset} record (not an object)"
    label = f"{dataset} record MaHoSo={record.get('MaHoSo')!r}"
    if dataset == "dossier_events":
        label += f" STT={record.get('STT')!r}"
    return label


def dossier_row(record: Any, batch_id: str) -> dict[str, Any]:
    """A landing row from a pseudonymised dossier record; raises :class:`MalformedRecord`."""
    if not isinstance(record, dict):
        raise MalformedRecord("not a JSON object")
    _str(record, "MaHoSo", required=True)
    # Personal fields were removed before parsing; applicant_key stands in for them.
    _require_fields(record, tuple(f for f in DOSSIER_FIELDS if f not in DOSSIER_PERSONAL_FIELDS))
    status = record.get("TrangThaiHoSo")
    if status is None:
        raise MalformedRecord("TrangThaiHoSo is missing")
    return {
        "MaHoSo": record["MaHoSo"],
        "MaDonVi": _str(record, "MaDonVi"),
        "MaTTHC": _str(record, "MaTTHC"),
        "KenhThucHien": _int(record, "KenhThucHien"),
        "LoaiDoiTuong": _int(record, "LoaiDoiTuong"),
        "applicant_key": _str(record, "applicant_key"),
        "NgayNopHoSo": _ts(record, "NgayNopHoSo"),
        "NgayTiepNhan": _ts(record, "NgayTiepNhan"),
        "NgayHenTra": _ts(record, "NgayHenTra"),
        "NgayKetThucXuLy": _ts(record, "NgayKetThucXuLy"),
        "NgayTra": _ts(record, "NgayTra"),
        "TrangThaiHoSo": _int(record, "TrangThaiHoSo", STATUS_CODES),
        "DuocThanhToanTrucTuyen": _int(record, "DuocThanhToanTrucTuyen"),
        "DanhSachLePhi": _items(
            record,
            "DanhSachLePhi",
            lambda i: {"MaPhiLePhi": _str(i, "MaPhiLePhi"), "Gia": _number(i, "Gia")},
        ),
        "TaiLieuNop": _items(
            record,
            "TaiLieuNop",
            lambda i: {
                "MaThanhPhanHoSo": _str(i, "MaThanhPhanHoSo"),
                "DuongDanTaiTepTin": _str(i, "DuongDanTaiTepTin"),
                "DuocSoHoa": _int(i, "DuocSoHoa"),
                "TaiSuDung": _int(i, "TaiSuDung"),
                "DuocLayTuKhoDMQG": _int(i, "DuocLayTuKhoDMQG"),
            },
        ),
        "DanhSachGiayToKetQua": _items(
            record,
            "DanhSachGiayToKetQua",
            lambda i: {
                "MaGiayTo": _str(i, "MaGiayTo"),
                "DuongDanTepTinKetQua": _str(i, "DuongDanTepTinKetQua"),
            },
        ),
        "DanhSachHoSoBoSung": _items(
            record,
            "DanhSachHoSoBoSung",
            lambda i: {
                "NgayYeuCauBoSung": _ts(i, "NgayYeuCauBoSung"),
                "NgayTiepNhanBoSung": _ts(i, "NgayTiepNhanBoSung"),
            },
        ),
        "DanhSachPhieuXinLoi": _items(
            record,
            "DanhSachPhieuXinLoi",
            lambda i: {
                "NgayXinLoi": _ts(i, "NgayXinLoi"),
                "NgayHenTraMoi": _ts(i, "NgayHenTraMoi"),
                "LyDo": _str(i, "LyDo"),
            },
        ),
        "MucDoHaiLong": _int(record, "MucDoHaiLong"),
        "TaiKhoanDuocXacThucVoiVNeID": _int(record, "TaiKhoanDuocXacThucVoiVNeID"),
        "NgayDongBoDVCQG": _ts(record, "NgayDongBoDVCQG"),
        "NgayCapNhat": _ts(record, "NgayCapNhat", required=True),
        "_batch_id": batch_id,
    }


def event_row(record: Any, batch_id: str) -> dict[str, Any]:
    """A landing row from a dossier-event record; raises :class:`MalformedRecord`."""
    if not isinstance(record, dict):
        raise MalformedRecord("not a JSON object")
    _str(record, "MaHoSo", required=True)
    _require_fields(record, EVENT_FIELDS)
    stt = _int(record, "STT")
    if stt is None:
        raise MalformedRecord("STT is missing")
    if record.get("TrangThai") is None:
        raise MalformedRecord("TrangThai is missing")
    return {
        "MaHoSo": record["MaHoSo"],
        "STT": stt,
        "TrangThai": _int(record, "TrangThai", STATUS_CODES),
        "ThoiDiemXuLy": _ts(record, "ThoiDiemXuLy"),
        "ThoiDiemGhiNhan": _ts(record, "ThoiDiemGhiNhan", required=True),
        "PhongBanXuLy": _str(record, "PhongBanXuLy"),
        "NgayKetThucTheoQuyDinh": _ts(record, "NgayKetThucTheoQuyDinh"),
        "_batch_id": batch_id,
    }
