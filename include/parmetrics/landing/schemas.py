"""Arrow schemas of the landed datasets.

Landing keeps the source's field names (SOURCES.md; renamed to English in dbt staging and nowhere
else), with personal fields removed and the ID number replaced by ``applicant_key``. Timestamps are
naive local time (Asia/Ho_Chi_Minh), parsed from ``yyyyMMddHHmmss`` at extraction so that a
malformed one is caught (and quarantined) before anything lands.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("s")

# Fields of a dossier record that are personal data: never written anywhere (ARCHITECTURE.md).
DOSSIER_PERSONAL_FIELDS = ("ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi")

DOSSIER_TIMESTAMP_FIELDS = (
    "NgayNopHoSo",
    "NgayTiepNhan",
    "NgayHenTra",
    "NgayKetThucXuLy",
    "NgayTra",
    "NgayDongBoDVCQG",
    "NgayCapNhat",
)

DOSSIERS = pa.schema(
    [
        pa.field("MaHoSo", pa.string(), nullable=False),
        pa.field("MaDonVi", pa.string()),
        pa.field("MaTTHC", pa.string()),
        pa.field("KenhThucHien", pa.int32()),
        pa.field("LoaiDoiTuong", pa.int32()),
        pa.field("applicant_key", pa.string()),
        pa.field("NgayNopHoSo", TS),
        pa.field("NgayTiepNhan", TS),
        pa.field("NgayHenTra", TS),
        pa.field("NgayKetThucXuLy", TS),
        pa.field("NgayTra", TS),
        pa.field("TrangThaiHoSo", pa.int32()),
        pa.field("DuocThanhToanTrucTuyen", pa.int32()),
        pa.field(
            "DanhSachLePhi",
            pa.list_(pa.struct([("MaPhiLePhi", pa.string()), ("Gia", pa.float64())])),
        ),
        pa.field(
            "TaiLieuNop",
            pa.list_(
                pa.struct(
                    [
                        ("MaThanhPhanHoSo", pa.string()),
                        ("DuongDanTaiTepTin", pa.string()),
                        ("DuocSoHoa", pa.int32()),
                        ("TaiSuDung", pa.int32()),
                        ("DuocLayTuKhoDMQG", pa.int32()),
                    ]
                )
            ),
        ),
        pa.field(
            "DanhSachGiayToKetQua",
            pa.list_(pa.struct([("MaGiayTo", pa.string()), ("DuongDanTepTinKetQua", pa.string())])),
        ),
        pa.field(
            "DanhSachHoSoBoSung",
            pa.list_(pa.struct([("NgayYeuCauBoSung", TS), ("NgayTiepNhanBoSung", TS)])),
        ),
        pa.field(
            "DanhSachPhieuXinLoi",
            pa.list_(pa.struct([("NgayXinLoi", TS), ("NgayHenTraMoi", TS), ("LyDo", pa.string())])),
        ),
        pa.field("MucDoHaiLong", pa.int32()),
        pa.field("TaiKhoanDuocXacThucVoiVNeID", pa.int32()),
        pa.field("NgayDongBoDVCQG", TS),
        pa.field("NgayCapNhat", TS, nullable=False),
        # Lineage: the landing batch the row came from (deterministic from the window).
        pa.field("_batch_id", pa.string(), nullable=False),
    ]
)

DOSSIER_EVENTS = pa.schema(
    [
        pa.field("MaHoSo", pa.string(), nullable=False),
        pa.field("STT", pa.int32(), nullable=False),
        pa.field("TrangThai", pa.int32()),
        pa.field("ThoiDiemXuLy", TS),
        pa.field("ThoiDiemGhiNhan", TS, nullable=False),
        pa.field("PhongBanXuLy", pa.string()),
        pa.field("NgayKetThucTheoQuyDinh", TS),
        pa.field("_batch_id", pa.string(), nullable=False),
    ]
)

UNITS = pa.schema(
    [
        pa.field("ma_don_vi", pa.string(), nullable=False),
        pa.field("ten_don_vi", pa.string()),
        pa.field("cap", pa.string()),
        pa.field("ma_don_vi_cha", pa.string()),
        pa.field("hieu_luc_tu", pa.date32()),
        pa.field("hieu_luc_den", pa.date32()),
        pa.field("ma_don_vi_ke_thua", pa.string()),
        # The snapshot month (YYYYMM) from the file name, and the file it came from.
        pa.field("_snapshot_month", pa.string(), nullable=False),
        pa.field("_source_file", pa.string(), nullable=False),
    ]
)

# (source, dataset) -> schema. Landing paths are landing/<source>/<dataset>/batch=<id>/part-NNNNN.parquet.
LANDING_SCHEMAS: dict[tuple[str, str], pa.Schema] = {
    ("dossier_api", "dossiers"): DOSSIERS,
    ("dossier_api", "dossier_events"): DOSSIER_EVENTS,
    ("reference", "don_vi"): UNITS,
}
