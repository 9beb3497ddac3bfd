"""Every landing dataset, declared once (SOURCES.md is the contract these rules come from).

Adding a dataset or a field starts here: see ``docs/recipes/adding-a-dataset.md``. After a change, run
``python -m parmetrics.catalogue --write`` to regenerate the landing suites' generated part and dbt's
``_landing__sources.yml``; ``tests/landing/test_catalogue.py`` fails while they disagree.
"""

from __future__ import annotations

import pyarrow as pa

from parmetrics.catalogue.model import (
    AtLeast,
    Check,
    Dataset,
    Field,
    InSet,
    NotEmpty,
    NotNull,
    Source,
    Suite,
    Unique,
)

TS = pa.timestamp("s")
TEXT = pa.string()
INT = pa.int32()
BIGINT = pa.int64()
NUMBER = pa.float64()
DATE = pa.date32()
BOOL = pa.bool_()

DOSSIER_API = Source("dossier_api", "The one-stop dossier system's HTTP JSON API (SOURCES.md §1).", "records")
DOCUMENT_DB = Source("document_db", "The document-management SQL database (SOURCES.md §2).", "records")
FINANCE = Source("finance", "The finance systems' file drops (SOURCES.md §3).", "files")
REFERENCE = Source(
    "reference", "Reference data file drops, a `reference` folder beside the finance inbox (§4).", "files"
)
SOURCES = (DOSSIER_API, DOCUMENT_DB, FINANCE, REFERENCE)

STATUS_CODES = tuple(range(1, 11))
UNIT_KNOWN_WHY = (
    "Anomaly: SOURCES.md §1 says a unit code the reference data does not know yet is a warning, not a "
    "rejection (the reference snapshot may lag a new unit)."
)
WHY_DOMAIN = "Contract: SOURCES.md lists this field's codes; any other code is a malformed record."
WHY_AMOUNT = "Contract: amounts and counts are never negative (docs/sources.md, Two kinds of rules)."
WHY_KEY_UNIQUE = "Contract: the key identifies one record; extraction folds repeats to the newest version."
WHY_PERIOD = "Contract: SOURCES.md §3 refuses a file whose rows are for another period than its name's."
WHY_DATE_ORDER = (
    "Anomaly: SOURCES.md states no order between these dates; a date before the other is a data-entry slip "
    "that stays legal data (and a share over one window would make the outcome depend on batching)."
)


def _unit_known(column: str) -> Check:
    return Check(
        why=UNIT_KNOWN_WHY,
        name="unit_known",
        passes=(
            f'batch."{column}" in (select ma_don_vi from landing_reference_don_vi) '
            "or not exists (select 1 from landing_reference_don_vi)"
        ),
        message=f"{column} {{{column}!r}} is not in the don_vi reference data",
        reads=(column,),
        subject=f'"{column}"',
    )


# ---- §1 dossier API --------------------------------------------------------------------------------

_FEES = pa.list_(pa.struct([("MaPhiLePhi", TEXT), ("Gia", NUMBER)]))
_COMPONENTS = pa.list_(
    pa.struct(
        [
            ("MaThanhPhanHoSo", TEXT),
            ("DuongDanTaiTepTin", TEXT),
            ("DuocSoHoa", INT),
            ("TaiSuDung", INT),
            ("DuocLayTuKhoDMQG", INT),
        ]
    )
)
_RESULTS = pa.list_(pa.struct([("MaGiayTo", TEXT), ("DuongDanTepTinKetQua", TEXT)]))
_SUPPLEMENTS = pa.list_(pa.struct([("NgayYeuCauBoSung", TS), ("NgayTiepNhanBoSung", TS)]))
_APOLOGIES = pa.list_(pa.struct([("NgayXinLoi", TS), ("NgayHenTraMoi", TS), ("LyDo", TEXT)]))
_BATCH_ID = Field(
    "_batch_id", TEXT, "The landing batch the row came from (deterministic from the window).", False, "lineage"
)

DOSSIERS = Dataset(
    source=DOSSIER_API,
    name="dossiers",
    description="Dossiers (GET /api/v1/dossiers), one record per version; personal fields removed.",
    fields=(
        Field("MaHoSo", TEXT, "Dossier number, unique across the system.", nullable=False),
        Field("MaDonVi", TEXT, "Code of the receiving and handling unit (never null by contract)."),
        Field("MaTTHC", TEXT, "National procedure code."),
        Field("KenhThucHien", INT, "Channel: 1 in person, 2 online, 3 postal service; null counts as 1."),
        Field("LoaiDoiTuong", INT, "Applicant type: 1 citizen, 2 organisation."),
        Field("applicant_key", TEXT, "HMAC-SHA256 of the applicant's ID number (SoDinhDanh).", origin="derived"),
        Field("NgayNopHoSo", TS, "Submitted."),
        Field("NgayTiepNhan", TS, "Accepted by the one-stop desk."),
        Field("NgayHenTra", TS, "Promised return (due)."),
        Field("NgayKetThucXuLy", TS, "Processing finished."),
        Field("NgayTra", TS, "Result handed to the applicant."),
        Field("TrangThaiHoSo", INT, "Status 1–10."),
        Field("DuocThanhToanTrucTuyen", INT, "Paid online: 0 no, 1 national platform, 2 provincial gateway."),
        Field("DanhSachLePhi", _FEES, "Fees (VND)."),
        Field("TaiLieuNop", _COMPONENTS, "Submitted components."),
        Field("DanhSachGiayToKetQua", _RESULTS, "Results."),
        Field("DanhSachHoSoBoSung", _SUPPLEMENTS, "Supplement requests."),
        Field("DanhSachPhieuXinLoi", _APOLOGIES, "Apology letters."),
        Field("MucDoHaiLong", INT, "Rating: 1 very satisfied, 2 satisfied, 3 dissatisfied."),
        Field("TaiKhoanDuocXacThucVoiVNeID", INT, "1 if the applicant's account was authenticated with VNeID."),
        Field("NgayDongBoDVCQG", TS, "Synced to the national portal."),
        Field("NgayCapNhat", TS, "Last change of the record in the source (the window's column).", nullable=False),
        _BATCH_ID,
    ),
    key=("MaHoSo",),
    version_column="NgayCapNhat",
    personal_fields=("ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi"),
    pseudonymised={"SoDinhDanh": "applicant_key"},
    contract=(
        NotNull(
            why="Contract: SOURCES.md §1 — a dossier always has its receiving unit; a record without one is malformed.",
            column="MaDonVi",
        ),
        NotNull(why="Contract: every dossier has a status (SOURCES.md §1).", column="TrangThaiHoSo"),
        InSet(why=WHY_DOMAIN, column="TrangThaiHoSo", values=STATUS_CODES),
        InSet(why=WHY_DOMAIN, column="KenhThucHien", values=(1, 2, 3)),
        InSet(why=WHY_DOMAIN, column="LoaiDoiTuong", values=(1, 2)),
        InSet(why=WHY_DOMAIN, column="DuocThanhToanTrucTuyen", values=(0, 1, 2)),
        InSet(why=WHY_DOMAIN, column="MucDoHaiLong", values=(1, 2, 3)),
        AtLeast(why=WHY_AMOUNT, column="DanhSachLePhi", item="Gia", minimum=0),
        Unique(why=WHY_KEY_UNIQUE, key=("MaHoSo",)),
    ),
    anomalies=(
        Check(
            why=WHY_DATE_ORDER,
            name="due_not_before_received",
            passes='batch."NgayHenTra" is null or batch."NgayTiepNhan" is null '
            'or batch."NgayHenTra" >= batch."NgayTiepNhan"',
            message="NgayHenTra is before NgayTiepNhan",
            reads=("NgayTiepNhan", "NgayHenTra"),
        ),
        _unit_known("MaDonVi"),
        Check(
            why="Anomaly: SOURCES.md does not say a dossier's receiving unit never changes; a record naming "
            "another unit than the landed version of the same dossier is surprising, and the newest version wins.",
            name="unit_consistent",
            passes='not exists (select 1 from landing_dossier_api_dossiers as landed where landed."MaHoSo" = '
            'batch."MaHoSo" and landed."MaDonVi" is distinct from batch."MaDonVi")',
            message="MaDonVi differs from the landed version of the dossier",
            reads=("MaDonVi",),
        ),
    ),
    suites=(
        Suite(
            "reconciliation",
            "contract",
            "Contract: SOURCES.md §1 — the rows read reconcile with a fresh `total` of the window.",
        ),
    ),
    notes="Record-based: a record breaking the contract is quarantined on its own (personal fields removed "
    "first) and its neighbours land.",
)

DOSSIER_EVENTS = Dataset(
    source=DOSSIER_API,
    name="dossier_events",
    description="Status changes of dossiers (GET /api/v1/dossier-events), one record per change.",
    fields=(
        Field("MaHoSo", TEXT, "Dossier number.", nullable=False),
        Field("STT", INT, "Sequence within the dossier.", nullable=False),
        Field("TrangThai", INT, "Status 1–10."),
        Field("ThoiDiemXuLy", TS, "When the officer says it happened."),
        Field("ThoiDiemGhiNhan", TS, "When it was recorded (the window's column).", nullable=False),
        Field("PhongBanXuLy", TEXT, "Handling department."),
        Field("NgayKetThucTheoQuyDinh", TS, "Step deadline."),
        _BATCH_ID,
    ),
    key=("MaHoSo", "STT"),
    version_column="ThoiDiemGhiNhan",
    contract=(
        NotNull(why="Contract: every event has a status (SOURCES.md §1).", column="TrangThai"),
        InSet(why=WHY_DOMAIN, column="TrangThai", values=STATUS_CODES),
        Unique(why=WHY_KEY_UNIQUE, key=("MaHoSo", "STT")),
    ),
    suites=(
        Suite(
            "reconciliation",
            "contract",
            "Contract: SOURCES.md §1 — the rows read reconcile with a fresh `total` of the window.",
        ),
    ),
    notes="Record-based, like dossiers. The gap between ThoiDiemXuLy and ThoiDiemGhiNhan is data (backdated "
    "completions), not an anomaly of the source.",
)

# ---- §2 document DB ----------------------------------------------------------------------------------

_DOC_LINEAGE = (
    Field("updated_at", TS, "Last change in the source (the incremental extraction key).", nullable=False),
    Field("deleted_at", TS, "Soft delete: set when the row was deleted in the source."),
    _BATCH_ID,
)
_ID = Field("id", BIGINT, "Primary key.", nullable=False)
_UNIT = Field("ma_don_vi", TEXT, "Unit code.")
WHY_DOC_NOT_NULL = "Contract: SOURCES.md §2 marks the nullable columns `null`; this one is not."


def _document(name: str, description: str, fields: tuple[Field, ...], **rules) -> Dataset:
    return Dataset(
        source=DOCUMENT_DB,
        name=name,
        description=description,
        fields=(_ID, _UNIT, *fields, *_DOC_LINEAGE),
        key=("id",),
        version_column="updated_at",
        notes="Record-based: a row breaking the contract is quarantined on its own, the others land. Unit codes "
        "are not checked against the reference here (the dossier suite warns about unknown units).",
        **rules,
    )


OUTGOING_DOCUMENTS = _document(
    "van_ban_di",
    "Outgoing documents.",
    (
        Field("so_ky_hieu", TEXT, "Document number."),
        Field("loai_van_ban", TEXT, "Document type."),
        Field("ngay_ban_hanh", DATE, "Issued on."),
        Field("do_mat", TEXT, "Secrecy: thuong, mat, toi_mat, tuyet_mat."),
        Field("phat_hanh_dien_tu", BOOL, "Issued electronically."),
        Field("ky_so", BOOL, "Digitally signed."),
        Field("gui_qua_truc", BOOL, "Sent via the national exchange axis."),
        Field("noi_nhan_ngoai", INT, "External recipients."),
    ),
    contract=(
        NotNull(why=WHY_DOC_NOT_NULL, column="ngay_ban_hanh"),
        InSet(why=WHY_DOMAIN, column="do_mat", values=("thuong", "mat", "toi_mat", "tuyet_mat")),
        AtLeast(why=WHY_AMOUNT, column="noi_nhan_ngoai", minimum=0),
        Unique(why=WHY_KEY_UNIQUE, key=("id",)),
    ),
)
INCOMING_DOCUMENTS = _document(
    "van_ban_den",
    "Incoming documents.",
    (
        Field("ngay_den", DATE, "Arrived on."),
        Field("nhan_qua", TEXT, "Received via: truc_lien_thong, thu_dien_tu, giay."),
        Field("han_xu_ly", DATE, "Handling deadline."),
        Field("ngay_xu_ly_xong", DATE, "Handled on."),
        Field("trang_thai", TEXT, "Status: cho_xu_ly, dang_xu_ly, da_xu_ly."),
    ),
    contract=(
        InSet(why=WHY_DOMAIN, column="nhan_qua", values=("truc_lien_thong", "thu_dien_tu", "giay")),
        InSet(why=WHY_DOMAIN, column="trang_thai", values=("cho_xu_ly", "dang_xu_ly", "da_xu_ly")),
        Unique(why=WHY_KEY_UNIQUE, key=("id",)),
    ),
    anomalies=(
        Check(
            why=WHY_DATE_ORDER,
            name="deadline_not_before_arrival",
            passes="batch.han_xu_ly is null or batch.ngay_den is null or batch.han_xu_ly >= batch.ngay_den",
            message="han_xu_ly is before ngay_den",
            reads=("ngay_den", "han_xu_ly"),
        ),
    ),
)
WORK_FILES = _document(
    "ho_so_cong_viec",
    "Work files.",
    (
        Field("ngay_mo", DATE, "Opened on."),
        Field("ngay_dong", DATE, "Closed on."),
        Field("xu_ly_tren_mang", BOOL, "Handled fully online."),
    ),
    contract=(
        NotNull(why=WHY_DOC_NOT_NULL, column="ngay_mo"),
        Unique(why=WHY_KEY_UNIQUE, key=("id",)),
    ),
    anomalies=(
        Check(
            why=WHY_DATE_ORDER,
            name="closed_not_before_opened",
            passes="batch.ngay_dong is null or batch.ngay_dong >= batch.ngay_mo",
            message="ngay_dong is before ngay_mo",
            reads=("ngay_mo", "ngay_dong"),
        ),
    ),
)
ASSIGNED_TASKS = _document(
    "nhiem_vu",
    "Tasks assigned by the provincial People's Committee.",
    (
        Field("so_van_ban_giao", TEXT, "Number of the assigning document."),
        Field("ngay_giao", DATE, "Assigned on."),
        Field("han_hoan_thanh", DATE, "Deadline."),
        Field("ngay_hoan_thanh", DATE, "Completed on."),
        Field("trang_thai", TEXT, "Status: dang_thuc_hien, hoan_thanh, qua_han."),
    ),
    contract=(
        NotNull(why=WHY_DOC_NOT_NULL, column="han_hoan_thanh"),
        InSet(why=WHY_DOMAIN, column="trang_thai", values=("dang_thuc_hien", "hoan_thanh", "qua_han")),
        Unique(why=WHY_KEY_UNIQUE, key=("id",)),
    ),
    anomalies=(
        Check(
            why=WHY_DATE_ORDER + " A deadline before the assignment once rejected a whole 10-row window.",
            name="deadline_not_before_assignment",
            passes="batch.han_hoan_thanh >= batch.ngay_giao or batch.ngay_giao is null",
            message="han_hoan_thanh is before ngay_giao",
            reads=("ngay_giao", "han_hoan_thanh"),
        ),
    ),
)

# ---- §3 finance -----------------------------------------------------------------------------------------

_FILE_LINEAGE = (
    Field("_period", TEXT, "YYYYMM from the file name.", False, "lineage"),
    Field("_version", INT, "N of a `_v<N>` re-send (0 for the first send).", False, "lineage"),
    Field("_source_file", TEXT, "The file's name.", False, "lineage"),
)
_PERIOD = Field("ky_bao_cao", TEXT, "Report period YYYY-MM.", nullable=False)


def _period_matches_file() -> Check:
    return Check(
        why=WHY_PERIOD,
        name="period_matches_file",
        passes="replace(batch.ky_bao_cao, '-', '') = batch._period",
        message="ky_bao_cao {ky_bao_cao!r} is not the period of the file name ({_period})",
        reads=("ky_bao_cao", "_period"),
        subject="ky_bao_cao",
        label="period does not match the file name",
    )


def _amount(name: str, description: str, whole: bool = False) -> Field:
    return Field(name, BIGINT if whole else NUMBER, description, summed=True)


def _finance(name: str, description: str, fields: tuple[Field, ...], key: tuple[str, ...], **rules) -> Dataset:
    amounts = tuple(AtLeast(why=WHY_AMOUNT, column=f.name, minimum=0) for f in fields if f.summed)
    contract = rules.pop("contract", ())
    return Dataset(
        source=FINANCE,
        name=name,
        description=description,
        fields=(_PERIOD, *fields, *_FILE_LINEAGE),
        key=key,
        version_column="_version",
        contract=(*contract, *amounts, _period_matches_file(), Unique(why=WHY_KEY_UNIQUE, key=key)),
        notes="A file drop: a file breaking the contract is quarantined whole (its rows only make sense "
        "together); its anomaly checks warn. One batch per period; a later `_v<N>` replaces it.",
        **rules,
    )


BUDGET_REVENUE = _finance(
    "thu_ngan_sach",
    "Budget revenue, year to date, per sector.",
    (
        Field("ma_khu_vuc", TEXT, "Sector code.", nullable=False),
        Field("ten_khu_vuc", TEXT, "Sector name."),
        _amount("du_toan_nam", "Annual estimate (million VND)."),
        _amount("thuc_hien_luy_ke", "Actual, year to date (million VND)."),
    ),
    ("ma_khu_vuc",),
    contract=(
        InSet(
            why=WHY_DOMAIN,
            column="ma_khu_vuc",
            values=("DNNN_TW", "DNNN_DP", "FDI", "NQD", "TNCN", "LPTB", "TIEN_SD_DAT", "XO_SO", "KHAC"),
        ),
    ),
    suites=(
        Suite(
            "month_on_month",
            "anomaly",
            "Anomaly: a month's revenue far below the previous month's is surprising but legal (a sector can "
            "collect little in one month); SOURCES.md has no such rule.",
        ),
    ),
)
PUBLIC_INVESTMENT = _finance(
    "giai_ngan_dau_tu_cong",
    "Public investment disbursement, year to date, per project.",
    (
        Field("ma_don_vi", TEXT, "Investor unit.", nullable=False),
        Field("ma_du_an", TEXT, "Project code.", nullable=False),
        Field("ten_du_an", TEXT, "Project name."),
        _amount("ke_hoach_von_nam", "Annual capital plan (million VND)."),
        _amount("giai_ngan_luy_ke", "Disbursed, year to date (million VND)."),
    ),
    ("ma_don_vi", "ma_du_an"),
)
ENTERPRISE_REGISTRATIONS = _finance(
    "dang_ky_doanh_nghiep",
    "Enterprise registrations and investment projects per district or commune.",
    (
        Field("ma_don_vi_hanh_chinh", TEXT, "District or commune code.", nullable=False),
        _amount("so_dn_thanh_lap_moi", "New enterprises in the month.", whole=True),
        _amount("von_dang_ky", "Registered capital (billion VND)."),
        _amount("so_du_an_moi", "New investment projects.", whole=True),
        _amount("von_dau_tu_dang_ky", "Registered investment (billion VND)."),
    ),
    ("ma_don_vi_hanh_chinh",),
)

# ---- §4 reference ------------------------------------------------------------------------------------------

_SNAPSHOT_LINEAGE = (
    Field("_snapshot_month", TEXT, "The snapshot month (YYYYMM) from the file name.", False, "lineage"),
    Field("_source_file", TEXT, "The file's name.", False, "lineage"),
)
WHY_SNAPSHOT = "Contract: SOURCES.md §4 — each file is a complete snapshot, so never empty."
WHY_VALIDITY = (
    "Anomaly: SOURCES.md states no order between the validity dates; an end before the start is surprising "
    "(the unit or procedure is then never in force) but legal data."
)


def _reference(name: str, description: str, fields: tuple[Field, ...], key: tuple[str, ...], **rules) -> Dataset:
    contract = rules.pop("contract", ())
    return Dataset(
        source=REFERENCE,
        name=name,
        description=description,
        fields=(*fields, *_SNAPSHOT_LINEAGE),
        key=key,
        version_column="_snapshot_month",
        contract=(*contract, Unique(why=WHY_KEY_UNIQUE, key=key)),
        notes="A file drop (a complete snapshot per month): a file breaking the contract is quarantined whole; "
        "anomaly checks warn.",
        **rules,
    )


UNITS = _reference(
    "don_vi",
    "Administrative units with their validity dates and successors.",
    (
        Field("ma_don_vi", TEXT, "Unit code.", nullable=False),
        Field("ten_don_vi", TEXT, "Unit name."),
        Field("cap", TEXT, "Level: tinh, so, huyen, xa."),
        Field("ma_don_vi_cha", TEXT, "Parent unit."),
        Field("hieu_luc_tu", DATE, "Valid from."),
        Field("hieu_luc_den", DATE, "Valid until (null: still in force)."),
        Field("ma_don_vi_ke_thua", TEXT, "Successor after a merger."),
    ),
    ("ma_don_vi",),
    contract=(InSet(why=WHY_DOMAIN, column="cap", values=("tinh", "so", "huyen", "xa")), NotEmpty(why=WHY_SNAPSHOT)),
    anomalies=(
        Check(
            why=WHY_VALIDITY,
            name="validity_in_order",
            passes="batch.hieu_luc_den is null or batch.hieu_luc_tu is null or batch.hieu_luc_den >= batch.hieu_luc_tu",
            message="hieu_luc_den is before hieu_luc_tu",
            reads=("hieu_luc_tu", "hieu_luc_den"),
        ),
        Check(
            why="Anomaly: a unit named as its own successor is surprising; SOURCES.md does not forbid it.",
            name="successor_not_self",
            passes="batch.ma_don_vi_ke_thua is null or batch.ma_don_vi_ke_thua != batch.ma_don_vi",
            message="ma_don_vi_ke_thua is the unit itself",
            reads=("ma_don_vi_ke_thua",),
        ),
    ),
)
PROCEDURES = _reference(
    "thu_tuc_hanh_chinh",
    "The administrative procedure catalogue (read as of the time it describes).",
    (
        Field("ma_tthc", TEXT, "Procedure code.", nullable=False),
        Field("ten_tthc", TEXT, "Procedure name."),
        Field("cap_thuc_hien", TEXT, "Level: tinh, huyen, xa."),
        Field("linh_vuc", TEXT, "Field."),
        Field("thoi_han_ngay_lam_viec", INT, "Time limit in working days."),
        Field("muc_do_dvc", TEXT, "Online service level: toan_trinh, mot_phan, khong."),
        Field("du_dieu_kien_toan_trinh", BOOL, "Eligible for a fully online service."),
        Field("co_phi_le_phi", BOOL, "Has fees."),
        Field("ket_qua_la_giay_to", BOOL, "The result is a paper document."),
        Field("ngay_qd_cong_bo", DATE, "Date of the announcing decision."),
        Field("ngay_hieu_luc", DATE, "In force from."),
        Field("ngay_het_hieu_luc", DATE, "In force until."),
        Field("ngay_cong_khai_csdl", DATE, "Published in the national database on."),
        Field("day_du_bo_phan", BOOL, "All mandatory parts published."),
    ),
    ("ma_tthc",),
    contract=(
        InSet(why=WHY_DOMAIN, column="cap_thuc_hien", values=("tinh", "huyen", "xa")),
        InSet(why=WHY_DOMAIN, column="muc_do_dvc", values=("toan_trinh", "mot_phan", "khong")),
        AtLeast(why="Contract: a time limit in days is never negative.", column="thoi_han_ngay_lam_viec", minimum=0),
        NotEmpty(why=WHY_SNAPSHOT),
    ),
    anomalies=(
        Check(
            why=WHY_VALIDITY,
            name="validity_in_order",
            passes="batch.ngay_het_hieu_luc is null or batch.ngay_hieu_luc is null "
            "or batch.ngay_het_hieu_luc >= batch.ngay_hieu_luc",
            message="ngay_het_hieu_luc is before ngay_hieu_luc",
            reads=("ngay_hieu_luc", "ngay_het_hieu_luc"),
        ),
    ),
)
WEBSITE_LISTINGS = _reference(
    "niem_yet_website",
    "Procedures listed on each unit's website, with the check date.",
    (
        Field("ma_don_vi", TEXT, "Unit code.", nullable=False),
        Field("ma_tthc", TEXT, "Procedure code.", nullable=False),
        Field("ngay_kiem_tra", DATE, "Checked on."),
    ),
    ("ma_don_vi", "ma_tthc"),
    contract=(NotNull(why="Contract: SOURCES.md §4 — a listing carries its check date.", column="ngay_kiem_tra"),),
)

DATASETS: tuple[Dataset, ...] = (
    DOSSIERS,
    DOSSIER_EVENTS,
    UNITS,
    PROCEDURES,
    WEBSITE_LISTINGS,
    OUTGOING_DOCUMENTS,
    INCOMING_DOCUMENTS,
    WORK_FILES,
    ASSIGNED_TASKS,
    BUDGET_REVENUE,
    PUBLIC_INVESTMENT,
    ENTERPRISE_REGISTRATIONS,
)
