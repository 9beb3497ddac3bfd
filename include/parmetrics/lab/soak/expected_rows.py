"""The landing row a source record should become, written from the contract alone (docs/sources.md §1).

The soak's truth, and the extractor tests, judge what landed against these rows, so nothing here comes
from the extractor (``sources.dossier_records``, ``privacy``, ``timestamps``, ``landing.schemas``): the
personal fields are typed out from the contract, timestamps are read digit by digit, and the ID number
is hashed here. Two independent readings of the same text that agree on thousands of records are the
check; a record that breaks the contract has no row (``None``): it must be quarantined, never landed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

# The contract's personal data: applicant's name, ID number, phone, e-mail, address.
PERSONAL = ("ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi")
STATUSES = range(1, 11)
CHANNELS = (1, 2, 3)
_DIGITS = re.compile(r"[0-9]{14}")

# Field → kind, in the contract's order (personal fields apart). Kinds: key and unit (a non-blank string,
# never null), str, int, int! (never null), channel, status (never null), number, ts, ts! (never null), or
# {item field: kind} for a list of objects.
_DOSSIER = {
    "MaHoSo": "key",
    "MaDonVi": "unit",
    "MaTTHC": "str",
    "KenhThucHien": "channel",
    "LoaiDoiTuong": "int",
    "NgayNopHoSo": "ts",
    "NgayTiepNhan": "ts",
    "NgayHenTra": "ts",
    "NgayKetThucXuLy": "ts",
    "NgayTra": "ts",
    "TrangThaiHoSo": "status",
    "DuocThanhToanTrucTuyen": "int",
    "DanhSachLePhi": {"MaPhiLePhi": "str", "Gia": "number"},
    "TaiLieuNop": {
        "MaThanhPhanHoSo": "str",
        "DuongDanTaiTepTin": "str",
        "DuocSoHoa": "int",
        "TaiSuDung": "int",
        "DuocLayTuKhoDMQG": "int",
    },
    "DanhSachGiayToKetQua": {"MaGiayTo": "str", "DuongDanTepTinKetQua": "str"},
    "DanhSachHoSoBoSung": {"NgayYeuCauBoSung": "ts", "NgayTiepNhanBoSung": "ts"},
    "DanhSachPhieuXinLoi": {"NgayXinLoi": "ts", "NgayHenTraMoi": "ts", "LyDo": "str"},
    "MucDoHaiLong": "int",
    "TaiKhoanDuocXacThucVoiVNeID": "int",
    "NgayDongBoDVCQG": "ts",
    "NgayCapNhat": "ts!",
}
_EVENT = {
    "MaHoSo": "key",
    "STT": "int!",
    "TrangThai": "status",
    "ThoiDiemXuLy": "ts",
    "ThoiDiemGhiNhan": "ts!",
    "PhongBanXuLy": "str",
    "NgayKetThucTheoQuyDinh": "ts",
}


class _Broken(Exception):
    pass


def local_instant(text: Any) -> datetime:
    """``yyyyMMddHHmmss`` → naive local datetime; anything else (or a day that does not exist) breaks."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        raise _Broken
    parts = (text[0:4], text[4:6], text[6:8], text[8:10], text[10:12], text[12:14])
    try:
        return datetime(*(int(p) for p in parts))
    except ValueError:
        raise _Broken from None


def _value(kind: str, value: Any) -> Any:
    if kind in ("key", "unit"):
        if not isinstance(value, str) or not value.strip():
            raise _Broken
        return value
    if kind == "ts!":
        return local_instant(value)
    if value is None:
        if kind in ("status", "int!"):
            raise _Broken
        return None
    if kind == "str":
        if not isinstance(value, str):
            raise _Broken
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Broken
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Broken
    if (kind == "status" and value not in STATUSES) or (kind == "channel" and value not in CHANNELS):
        raise _Broken
    return value


def _field(kind: str | dict[str, str], value: Any) -> Any:
    if isinstance(kind, dict):
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise _Broken
        return [{name: _field(k, item.get(name)) for name, k in kind.items()} for item in value]
    if kind == "ts":
        return None if value is None else local_instant(value)
    return _value(kind, value)


def _row(record: Any, kinds: dict[str, Any], batch_id: str) -> dict[str, Any]:
    if not isinstance(record, dict) or any(name not in record for name in kinds):
        raise _Broken
    row = {name: _field(kind, record[name]) for name, kind in kinds.items()}
    row["_batch_id"] = batch_id
    return row


def applicant_hash(id_number: Any, key: bytes) -> str | None:
    """HMAC-SHA256 of the ID number (trimmed) under the pseudonymisation key; none without an ID."""
    if id_number is None:
        return None
    text = str(id_number).strip()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest() if text else None


def expected_dossier_row(record: Any, key: bytes, batch_id: str = "truth") -> dict[str, Any] | None:
    """The landing row of a raw dossier record (personal data still in it), or None if it must be
    quarantined."""
    try:
        if not isinstance(record, dict) or any(name not in record for name in PERSONAL):
            raise _Broken
        row = _row(record, _DOSSIER, batch_id)
    except _Broken:
        return None
    row["applicant_key"] = applicant_hash(record["SoDinhDanh"], key)
    return row


def expected_event_row(record: Any, batch_id: str = "truth") -> dict[str, Any] | None:
    """The landing row of a dossier-event record, or None if it must be quarantined."""
    try:
        return _row(record, _EVENT, batch_id)
    except _Broken:
        return None
