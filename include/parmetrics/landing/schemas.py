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


def _with_lineage(fields: list[pa.Field], *lineage: pa.Field) -> pa.Schema:
    return pa.schema([*fields, *lineage])


# --- Document database (SOURCES.md §2): incremental on updated_at; soft deletes via deleted_at. ---
_DOC_LINEAGE = (
    pa.field("updated_at", TS, nullable=False),
    pa.field("deleted_at", TS),
    pa.field("_batch_id", pa.string(), nullable=False),
)
OUTGOING_DOCUMENTS = _with_lineage(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("ma_don_vi", pa.string()),
        pa.field("so_ky_hieu", pa.string()),
        pa.field("loai_van_ban", pa.string()),
        pa.field("ngay_ban_hanh", pa.date32()),
        pa.field("do_mat", pa.string()),
        pa.field("phat_hanh_dien_tu", pa.bool_()),
        pa.field("ky_so", pa.bool_()),
        pa.field("gui_qua_truc", pa.bool_()),
        pa.field("noi_nhan_ngoai", pa.int32()),
    ],
    *_DOC_LINEAGE,
)
INCOMING_DOCUMENTS = _with_lineage(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("ma_don_vi", pa.string()),
        pa.field("ngay_den", pa.date32()),
        pa.field("nhan_qua", pa.string()),
        pa.field("han_xu_ly", pa.date32()),
        pa.field("ngay_xu_ly_xong", pa.date32()),
        pa.field("trang_thai", pa.string()),
    ],
    *_DOC_LINEAGE,
)
WORK_FILES = _with_lineage(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("ma_don_vi", pa.string()),
        pa.field("ngay_mo", pa.date32()),
        pa.field("ngay_dong", pa.date32()),
        pa.field("xu_ly_tren_mang", pa.bool_()),
    ],
    *_DOC_LINEAGE,
)
ASSIGNED_TASKS = _with_lineage(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("ma_don_vi", pa.string()),
        pa.field("so_van_ban_giao", pa.string()),
        pa.field("ngay_giao", pa.date32()),
        pa.field("han_hoan_thanh", pa.date32()),
        pa.field("ngay_hoan_thanh", pa.date32()),
        pa.field("trang_thai", pa.string()),
    ],
    *_DOC_LINEAGE,
)

# --- File drops (SOURCES.md §3, §4): one batch per period (finance) or snapshot month (reference). ---
# _period: YYYYMM from the file name; _version: N of a `_v<N>` re-send (0 for the first send);
# _source_file: the file's name. A later version replaces the batch of its period.
_FILE_LINEAGE = (
    pa.field("_period", pa.string(), nullable=False),
    pa.field("_version", pa.int32(), nullable=False),
    pa.field("_source_file", pa.string(), nullable=False),
)
BUDGET_REVENUE = _with_lineage(
    [
        pa.field("ky_bao_cao", pa.string(), nullable=False),
        pa.field("ma_khu_vuc", pa.string(), nullable=False),
        pa.field("ten_khu_vuc", pa.string()),
        pa.field("du_toan_nam", pa.float64()),
        pa.field("thuc_hien_luy_ke", pa.float64()),
    ],
    *_FILE_LINEAGE,
)
PUBLIC_INVESTMENT = _with_lineage(
    [
        pa.field("ky_bao_cao", pa.string(), nullable=False),
        pa.field("ma_don_vi", pa.string(), nullable=False),
        pa.field("ma_du_an", pa.string(), nullable=False),
        pa.field("ten_du_an", pa.string()),
        pa.field("ke_hoach_von_nam", pa.float64()),
        pa.field("giai_ngan_luy_ke", pa.float64()),
    ],
    *_FILE_LINEAGE,
)
ENTERPRISE_REGISTRATIONS = _with_lineage(
    [
        pa.field("ky_bao_cao", pa.string(), nullable=False),
        pa.field("ma_don_vi_hanh_chinh", pa.string(), nullable=False),
        pa.field("so_dn_thanh_lap_moi", pa.int64()),
        pa.field("von_dang_ky", pa.float64()),
        pa.field("so_du_an_moi", pa.int64()),
        pa.field("von_dau_tu_dang_ky", pa.float64()),
    ],
    *_FILE_LINEAGE,
)
PROCEDURES = pa.schema(
    [
        pa.field("ma_tthc", pa.string(), nullable=False),
        pa.field("ten_tthc", pa.string()),
        pa.field("cap_thuc_hien", pa.string()),
        pa.field("linh_vuc", pa.string()),
        pa.field("thoi_han_ngay_lam_viec", pa.int32()),
        pa.field("muc_do_dvc", pa.string()),
        pa.field("du_dieu_kien_toan_trinh", pa.bool_()),
        pa.field("co_phi_le_phi", pa.bool_()),
        pa.field("ket_qua_la_giay_to", pa.bool_()),
        pa.field("ngay_qd_cong_bo", pa.date32()),
        pa.field("ngay_hieu_luc", pa.date32()),
        pa.field("ngay_het_hieu_luc", pa.date32()),
        pa.field("ngay_cong_khai_csdl", pa.date32()),
        pa.field("day_du_bo_phan", pa.bool_()),
        pa.field("_snapshot_month", pa.string(), nullable=False),
        pa.field("_source_file", pa.string(), nullable=False),
    ]
)
WEBSITE_LISTINGS = pa.schema(
    [
        pa.field("ma_don_vi", pa.string(), nullable=False),
        pa.field("ma_tthc", pa.string(), nullable=False),
        pa.field("ngay_kiem_tra", pa.date32()),
        pa.field("_snapshot_month", pa.string(), nullable=False),
        pa.field("_source_file", pa.string(), nullable=False),
    ]
)

# (source, dataset) -> schema. Landing paths are landing/<source>/<dataset>/batch=<id>/part-NNNNN.parquet.
LANDING_SCHEMAS: dict[tuple[str, str], pa.Schema] = {
    ("dossier_api", "dossiers"): DOSSIERS,
    ("dossier_api", "dossier_events"): DOSSIER_EVENTS,
    ("reference", "don_vi"): UNITS,
    ("reference", "thu_tuc_hanh_chinh"): PROCEDURES,
    ("reference", "niem_yet_website"): WEBSITE_LISTINGS,
    ("document_db", "van_ban_di"): OUTGOING_DOCUMENTS,
    ("document_db", "van_ban_den"): INCOMING_DOCUMENTS,
    ("document_db", "ho_so_cong_viec"): WORK_FILES,
    ("document_db", "nhiem_vu"): ASSIGNED_TASKS,
    ("finance", "thu_ngan_sach"): BUDGET_REVENUE,
    ("finance", "giai_ngan_dau_tu_cong"): PUBLIC_INVESTMENT,
    ("finance", "dang_ky_doanh_nghiep"): ENTERPRISE_REGISTRATIONS,
}
