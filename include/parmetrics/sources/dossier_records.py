"""Turning dossier API records into landing rows, or into a one-line reason why they cannot land.

A record that breaks the contract (SOURCES.md §1) is quarantined rather than landed, so nothing
downstream has to guess: every field present, timestamps ``yyyyMMddHHmmss``, integer codes as
integers, a known status, and the key fields set. These are the rules a record must keep to become a
row at all; the catalogue's other contract rules (code domains, the unit, fees) are checked on the
rows (``landing/contract.py``), with the same wording.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from parmetrics import catalogue
from parmetrics.landing.schemas import DOSSIER_PERSONAL_FIELDS
from parmetrics.timestamps import parse_ts

_DOSSIERS = catalogue.dataset("dossier_api", "dossiers")
_EVENTS = catalogue.dataset("dossier_api", "dossier_events")
STATUS_CODES = frozenset(_DOSSIERS.domain("TrangThaiHoSo"))

# Every field of a record, in contract order (personal ones included: a record must carry them all).
DOSSIER_FIELDS = _DOSSIERS.record_fields
EVENT_FIELDS = _EVENTS.record_fields


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


def _int(record: dict[str, Any], name: str, domain: catalogue.Dataset | None = None) -> int | None:
    """An integer field; with ``domain``, its code must be in that dataset's contract domain of it."""
    value = record.get(name)
    if value is None:
        return None
    # bool is an int in Python but never a code in the contract.
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecord(f"{name}: not an integer: {value!r}")
    if domain is not None and value not in domain.domain(name):
        raise MalformedRecord(domain.domain_rule(name).describe({name: value}))
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
        "TrangThaiHoSo": _int(record, "TrangThaiHoSo", _DOSSIERS),
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
        "TrangThai": _int(record, "TrangThai", _EVENTS),
        "ThoiDiemXuLy": _ts(record, "ThoiDiemXuLy"),
        "ThoiDiemGhiNhan": _ts(record, "ThoiDiemGhiNhan", required=True),
        "PhongBanXuLy": _str(record, "PhongBanXuLy"),
        "NgayKetThucTheoQuyDinh": _ts(record, "NgayKetThucTheoQuyDinh"),
        "_batch_id": batch_id,
    }


# ---- The fast path: a whole page decoded and typed in C, then built as Arrow columns -------------------
#
# Per-record Python (a dict per record, a function call per field) capped extraction at a few thousand
# records a second. When msgspec is installed (Airflow requires it), a page is decoded straight into
# typed structs whose types ARE the contract's rules above (every field present, integer codes, known
# status, a non-blank key, ``yyyyMMddHHmmss`` strings), then turned into columns. A page on which any
# record breaks a rule is not decoded this way: the caller falls back to the per-record path above, so
# what is landed or quarantined, and why, is decided by one set of rules. Personal fields other than the
# ID number are not even materialised (the structs do not declare them).

try:
    import msgspec
except ImportError:  # pragma: no cover - msgspec comes with Airflow; without it every page takes the slow path
    msgspec = None

if msgspec is not None:
    import hmac
    from typing import Annotated

    import pyarrow as pa
    import pyarrow.compute as pc

    from parmetrics.landing.schemas import DOSSIER_EVENTS, DOSSIERS

    _Ts = Annotated[str, msgspec.Meta(pattern="^[0-9]{14}$")]
    _Key = Annotated[str, msgspec.Meta(pattern=r"\S")]
    _Status = Annotated[int, msgspec.Meta(ge=1, le=10)]

    class _Fee(msgspec.Struct):
        MaPhiLePhi: str | None = None
        Gia: float | None = None

    class _Component(msgspec.Struct):
        MaThanhPhanHoSo: str | None = None
        DuongDanTaiTepTin: str | None = None
        DuocSoHoa: int | None = None
        TaiSuDung: int | None = None
        DuocLayTuKhoDMQG: int | None = None

    class _Result(msgspec.Struct):
        MaGiayTo: str | None = None
        DuongDanTepTinKetQua: str | None = None

    class _Supplement(msgspec.Struct):
        NgayYeuCauBoSung: _Ts | None = None
        NgayTiepNhanBoSung: _Ts | None = None

    class _Apology(msgspec.Struct):
        NgayXinLoi: _Ts | None = None
        NgayHenTraMoi: _Ts | None = None
        LyDo: str | None = None

    class TypedDossier(msgspec.Struct):
        MaHoSo: _Key
        MaDonVi: str | None
        MaTTHC: str | None
        KenhThucHien: int | None
        LoaiDoiTuong: int | None
        NgayNopHoSo: _Ts | None
        NgayTiepNhan: _Ts | None
        NgayHenTra: _Ts | None
        NgayKetThucXuLy: _Ts | None
        NgayTra: _Ts | None
        TrangThaiHoSo: _Status
        DuocThanhToanTrucTuyen: int | None
        DanhSachLePhi: list[_Fee] | None
        TaiLieuNop: list[_Component] | None
        DanhSachGiayToKetQua: list[_Result] | None
        DanhSachHoSoBoSung: list[_Supplement] | None
        DanhSachPhieuXinLoi: list[_Apology] | None
        MucDoHaiLong: int | None
        TaiKhoanDuocXacThucVoiVNeID: int | None
        NgayDongBoDVCQG: _Ts | None
        NgayCapNhat: _Ts
        # Personal data: only the ID number is read (to be pseudonymised); optional, as in the slow path.
        SoDinhDanh: Any = None

    class TypedEvent(msgspec.Struct):
        MaHoSo: _Key
        STT: int
        TrangThai: _Status
        ThoiDiemXuLy: _Ts | None
        ThoiDiemGhiNhan: _Ts
        PhongBanXuLy: str | None
        NgayKetThucTheoQuyDinh: _Ts | None

    class TypedDossierPage(msgspec.Struct):
        data: list[TypedDossier]
        total: int
        next_cursor: str | None = None

    class TypedEventPage(msgspec.Struct):
        data: list[TypedEvent]
        total: int
        next_cursor: str | None = None

    TYPED_PAGES: dict[str, Any] = {
        "dossiers": msgspec.json.Decoder(TypedDossierPage),
        "dossier_events": msgspec.json.Decoder(TypedEventPage),
    }
    _TS_FORMAT = "%Y%m%d%H%M%S"
    _TS = pa.timestamp("s")

    def applicant_keys(ids: Any, key: bytes) -> list[str | None]:
        """``privacy.applicant_key`` of each ID number, with the one-shot C HMAC (a test holds them equal)."""
        digest = hmac.digest
        return [
            None
            if v is None or (isinstance(v, str) and not v.strip())
            else digest(key, str(v).strip().encode("utf-8"), "sha256").hex()
            for v in ids
        ]

    _astuple = msgspec.structs.astuple

    class _NotACalendarInstant(ValueError):
        pass

    class _Columns:
        """Columns of a page being built. Every timestamp column (nested ones too) is parsed in ONE
        vectorised call at the end: a string that does not round-trip (2025-02-30, month 13) is not an
        instant, and the page goes the per-record way."""

        def __init__(self) -> None:
            self.text: list[str | None] = []
            self.slots: list[tuple[int, int]] = []

        def timestamps(self, values: Any) -> int:
            self.slots.append((len(self.text), len(values)))
            self.text.extend(values)
            return len(self.slots) - 1

        def parse(self) -> list[pa.Array]:
            text = pa.array(self.text, pa.string())
            parsed = pc.strptime(text, format=_TS_FORMAT, unit="s", error_is_null=True)
            if parsed.null_count != text.null_count:
                raise _NotACalendarInstant
            # Back to yyyyMMddHHmmss through a cast (far cheaper than strftime) and compared.
            again = pc.replace_substring_regex(parsed.cast(pa.string()), pattern="[- :]", replacement="")
            if pc.all(pc.equal(again, text)).as_py() is False:
                raise _NotACalendarInstant
            return [parsed.slice(start, n) for start, n in self.slots]

    def _transpose(items: list[Any], struct_type: type) -> list[tuple[Any, ...]]:
        """Field columns of a list of structs: one C call per struct, one transpose for the page."""
        if not items:
            return [() for _ in struct_type.__struct_fields__]
        return list(zip(*map(_astuple, items), strict=True))

    def _build(
        columns: _Columns, fields: list[pa.Field], names: tuple[str, ...], values: list[tuple[Any, ...]]
    ) -> list[Any]:
        """Arrow arrays (or pending timestamp slots, as ints) of ``fields`` from transposed ``values``."""
        out: list[Any] = []
        for f in fields:
            column = values[names.index(f.name)]
            if f.type == _TS:
                out.append(columns.timestamps(column))
            elif pa.types.is_list(f.type):
                offsets, nulls, flat = [0], [], []
                for value in column:
                    nulls.append(value is None)
                    if value:
                        flat.extend(value)
                    offsets.append(len(flat))
                struct = f.type.value_type
                item_type = type(flat[0]) if flat else None
                item_names = item_type.__struct_fields__ if item_type else tuple(c.name for c in struct)
                children = _build(
                    columns, list(struct), item_names, _transpose(flat, item_type) if flat else [() for _ in item_names]
                )
                out.append(("list", f, offsets, nulls, children))
            else:
                out.append(pa.array(column, f.type))
        return out

    def _finish(parsed: list[pa.Array], built: list[Any]) -> list[pa.Array]:
        out = []
        for item in built:
            if isinstance(item, int):
                out.append(parsed[item])
            elif isinstance(item, tuple):
                _, f, offsets, nulls, children = item
                values = pa.StructArray.from_arrays(_finish(parsed, children), fields=list(f.type.value_type))
                out.append(
                    pa.ListArray.from_arrays(
                        pa.array(offsets, pa.int32()), values, type=f.type, mask=pa.array(nulls, pa.bool_())
                    )
                )
            else:
                out.append(item)
        return out

    def _typed_table(records: list[Any], schema: pa.Schema, batch_id: str, key: bytes | None) -> pa.Table:
        struct_type = type(records[0])
        names = struct_type.__struct_fields__
        values = _transpose(records, struct_type)
        fields = [f for f in schema if f.name not in ("_batch_id", "applicant_key")]
        columns = _Columns()
        built = dict(zip((f.name for f in fields), _build(columns, fields, names, values), strict=True))
        parsed = columns.parse()
        arrays = dict(zip(built, _finish(parsed, list(built.values())), strict=True))
        arrays["_batch_id"] = pa.array([batch_id] * len(records), pa.string())
        if "applicant_key" in schema.names:
            ids = values[names.index("SoDinhDanh")]
            arrays["applicant_key"] = pa.array(applicant_keys(ids, key), pa.string())
        return pa.Table.from_arrays([arrays[f.name] for f in schema], schema=schema)

    def typed_page_table(dataset: str, records: list[Any], batch_id: str, key: bytes | None) -> pa.Table | None:
        """The landing rows of a typed page, or None when one of its timestamps is not a real instant
        (or a value does not fit its column): then the page takes the per-record path."""
        if dataset == "dossiers" and not key:
            raise ValueError("pseudonymisation key is empty")
        if not records:
            return pa.Table.from_pylist([], schema=DOSSIERS if dataset == "dossiers" else DOSSIER_EVENTS)
        try:
            return _typed_table(records, DOSSIERS if dataset == "dossiers" else DOSSIER_EVENTS, batch_id, key)
        except (_NotACalendarInstant, pa.ArrowInvalid, OverflowError):
            return None

else:  # pragma: no cover
    TYPED_PAGES = {}

    def typed_page_table(dataset: str, records: list[Any], batch_id: str, key: bytes | None) -> Any:
        return None
