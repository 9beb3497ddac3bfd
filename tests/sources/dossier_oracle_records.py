"""A handful of dossier API records and the landing rows they must become, typed out by hand from the
contract (docs/sources.md §1, docs/contracts/dossier_api.openapi.yaml) — never produced by the code.

The applicant keys are HMAC-SHA256 under ``ORACLE_KEY`` of the trimmed ID number, computed outside
Python with ``printf %s 001085012345 | openssl dgst -sha256 -hmac oracle-key``.
"""

from __future__ import annotations

from datetime import datetime

ORACLE_KEY = b"oracle-key"

# The five personal fields the contract names: applicant's name, ID number, phone, e-mail, address.
PERSONAL_FIELDS = ("ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi")

FINISHED_ONLINE = {
    "MaHoSo": "000.00.11.H56-240315-0007",
    "MaDonVi": "000.00.11.H56",
    "MaTTHC": "1.004227",
    "KenhThucHien": 2,
    "LoaiDoiTuong": 1,
    "ChuHoSo": "Nguyễn Văn An",
    "SoDinhDanh": "001085012345",
    "SoDienThoai": "0912345678",
    "Email": "an.nguyen@example.vn",
    "DiaChi": "12 Lê Lợi, phường Bến Thành",
    "NgayNopHoSo": "20240314211502",
    "NgayTiepNhan": "20240315080000",
    "NgayHenTra": "20240322170000",
    "NgayKetThucXuLy": "20240321163010",
    "NgayTra": "20240322090500",
    "TrangThaiHoSo": 10,
    "DuocThanhToanTrucTuyen": 1,
    "DanhSachLePhi": [{"MaPhiLePhi": "LP01", "Gia": 50000}, {"MaPhiLePhi": "LP02", "Gia": 12500.5}],
    "TaiLieuNop": [
        {
            "MaThanhPhanHoSo": "TP1",
            "DuongDanTaiTepTin": "https://dvc.example.vn/f/1.pdf",
            "DuocSoHoa": 1,
            "TaiSuDung": 0,
            "DuocLayTuKhoDMQG": 1,
        },
        {"MaThanhPhanHoSo": "TP2", "DuongDanTaiTepTin": None, "DuocSoHoa": 0, "TaiSuDung": 1, "DuocLayTuKhoDMQG": 0},
    ],
    "DanhSachGiayToKetQua": [{"MaGiayTo": "KQ1", "DuongDanTepTinKetQua": "https://dvc.example.vn/kq/1.pdf"}],
    "DanhSachHoSoBoSung": [{"NgayYeuCauBoSung": "20240318100000", "NgayTiepNhanBoSung": "20240319143000"}],
    "DanhSachPhieuXinLoi": [
        {"NgayXinLoi": "20240321080000", "NgayHenTraMoi": "20240325170000", "LyDo": "Chờ xác minh"}
    ],
    "MucDoHaiLong": 2,
    "TaiKhoanDuocXacThucVoiVNeID": 1,
    "NgayDongBoDVCQG": "20240322091000",
    "NgayCapNhat": "20240322091001",
}

FINISHED_ONLINE_ROW = {
    "MaHoSo": "000.00.11.H56-240315-0007",
    "MaDonVi": "000.00.11.H56",
    "MaTTHC": "1.004227",
    "KenhThucHien": 2,
    "LoaiDoiTuong": 1,
    "applicant_key": "7f8f36c8446a1de6b8ae1f05fbcd129a29766bdb95a51608b22f0ad2fce32f64",
    "NgayNopHoSo": datetime(2024, 3, 14, 21, 15, 2),
    "NgayTiepNhan": datetime(2024, 3, 15, 8, 0, 0),
    "NgayHenTra": datetime(2024, 3, 22, 17, 0, 0),
    "NgayKetThucXuLy": datetime(2024, 3, 21, 16, 30, 10),
    "NgayTra": datetime(2024, 3, 22, 9, 5, 0),
    "TrangThaiHoSo": 10,
    "DuocThanhToanTrucTuyen": 1,
    "DanhSachLePhi": [{"MaPhiLePhi": "LP01", "Gia": 50000.0}, {"MaPhiLePhi": "LP02", "Gia": 12500.5}],
    "TaiLieuNop": [
        {
            "MaThanhPhanHoSo": "TP1",
            "DuongDanTaiTepTin": "https://dvc.example.vn/f/1.pdf",
            "DuocSoHoa": 1,
            "TaiSuDung": 0,
            "DuocLayTuKhoDMQG": 1,
        },
        {"MaThanhPhanHoSo": "TP2", "DuongDanTaiTepTin": None, "DuocSoHoa": 0, "TaiSuDung": 1, "DuocLayTuKhoDMQG": 0},
    ],
    "DanhSachGiayToKetQua": [{"MaGiayTo": "KQ1", "DuongDanTepTinKetQua": "https://dvc.example.vn/kq/1.pdf"}],
    "DanhSachHoSoBoSung": [
        {"NgayYeuCauBoSung": datetime(2024, 3, 18, 10, 0, 0), "NgayTiepNhanBoSung": datetime(2024, 3, 19, 14, 30, 0)}
    ],
    "DanhSachPhieuXinLoi": [
        {
            "NgayXinLoi": datetime(2024, 3, 21, 8, 0, 0),
            "NgayHenTraMoi": datetime(2024, 3, 25, 17, 0, 0),
            "LyDo": "Chờ xác minh",
        }
    ],
    "MucDoHaiLong": 2,
    "TaiKhoanDuocXacThucVoiVNeID": 1,
    "NgayDongBoDVCQG": datetime(2024, 3, 22, 9, 10, 0),
    "NgayCapNhat": datetime(2024, 3, 22, 9, 10, 1),
}

JUST_SUBMITTED = {
    "MaHoSo": "000.00.11.H56-251231-0100",
    "MaDonVi": "000.00.11.H56",
    "MaTTHC": "2.000001",
    "KenhThucHien": None,
    "LoaiDoiTuong": 2,
    "ChuHoSo": "Công ty TNHH Hoa Sen",
    "SoDinhDanh": "  079190000123 ",
    "SoDienThoai": None,
    "Email": None,
    "DiaChi": "Khu công nghiệp Tân Tạo",
    "NgayNopHoSo": "20251231235959",
    "NgayTiepNhan": None,
    "NgayHenTra": None,
    "NgayKetThucXuLy": None,
    "NgayTra": None,
    "TrangThaiHoSo": 1,
    "DuocThanhToanTrucTuyen": 0,
    "DanhSachLePhi": [],
    "TaiLieuNop": [],
    "DanhSachGiayToKetQua": [],
    "DanhSachHoSoBoSung": [],
    "DanhSachPhieuXinLoi": [],
    "MucDoHaiLong": None,
    "TaiKhoanDuocXacThucVoiVNeID": 0,
    "NgayDongBoDVCQG": None,
    "NgayCapNhat": "20260101000000",
}

JUST_SUBMITTED_ROW = {
    "MaHoSo": "000.00.11.H56-251231-0100",
    "MaDonVi": "000.00.11.H56",
    "MaTTHC": "2.000001",
    "KenhThucHien": None,
    "LoaiDoiTuong": 2,
    "applicant_key": "0b94920eb5400ef8c035af37312e51ba5aa57cd7bdc703e794c1aee78d8709c8",
    "NgayNopHoSo": datetime(2025, 12, 31, 23, 59, 59),
    "NgayTiepNhan": None,
    "NgayHenTra": None,
    "NgayKetThucXuLy": None,
    "NgayTra": None,
    "TrangThaiHoSo": 1,
    "DuocThanhToanTrucTuyen": 0,
    "DanhSachLePhi": [],
    "TaiLieuNop": [],
    "DanhSachGiayToKetQua": [],
    "DanhSachHoSoBoSung": [],
    "DanhSachPhieuXinLoi": [],
    "MucDoHaiLong": None,
    "TaiKhoanDuocXacThucVoiVNeID": 0,
    "NgayDongBoDVCQG": None,
    "NgayCapNhat": datetime(2026, 1, 1, 0, 0, 0),
}

REFUSED_WITHOUT_ID = {
    "MaHoSo": "H56.22-190228-0001",
    "MaDonVi": "H56.22",
    "MaTTHC": None,
    "KenhThucHien": 3,
    "LoaiDoiTuong": 1,
    "ChuHoSo": "Trần Thị Bình",
    "SoDinhDanh": None,
    "SoDienThoai": "0987000111",
    "Email": "binh@example.vn",
    "DiaChi": "thôn 3, xã Hoà Bình",
    "NgayNopHoSo": "20190228070000",
    "NgayTiepNhan": None,
    "NgayHenTra": None,
    "NgayKetThucXuLy": None,
    "NgayTra": None,
    "TrangThaiHoSo": 3,
    "DuocThanhToanTrucTuyen": None,
    "DanhSachLePhi": [{"MaPhiLePhi": None, "Gia": 0}],
    "TaiLieuNop": None,
    "DanhSachGiayToKetQua": None,
    "DanhSachHoSoBoSung": [{"NgayYeuCauBoSung": None, "NgayTiepNhanBoSung": None}],
    "DanhSachPhieuXinLoi": None,
    "MucDoHaiLong": 3,
    "TaiKhoanDuocXacThucVoiVNeID": None,
    "NgayDongBoDVCQG": None,
    "NgayCapNhat": "20190301000001",
}

REFUSED_WITHOUT_ID_ROW = {
    "MaHoSo": "H56.22-190228-0001",
    "MaDonVi": "H56.22",
    "MaTTHC": None,
    "KenhThucHien": 3,
    "LoaiDoiTuong": 1,
    "applicant_key": None,
    "NgayNopHoSo": datetime(2019, 2, 28, 7, 0, 0),
    "NgayTiepNhan": None,
    "NgayHenTra": None,
    "NgayKetThucXuLy": None,
    "NgayTra": None,
    "TrangThaiHoSo": 3,
    "DuocThanhToanTrucTuyen": None,
    "DanhSachLePhi": [{"MaPhiLePhi": None, "Gia": 0.0}],
    "TaiLieuNop": None,
    "DanhSachGiayToKetQua": None,
    "DanhSachHoSoBoSung": [{"NgayYeuCauBoSung": None, "NgayTiepNhanBoSung": None}],
    "DanhSachPhieuXinLoi": None,
    "MucDoHaiLong": 3,
    "TaiKhoanDuocXacThucVoiVNeID": None,
    "NgayDongBoDVCQG": None,
    "NgayCapNhat": datetime(2019, 3, 1, 0, 0, 1),
}

DOSSIERS = [
    (FINISHED_ONLINE, FINISHED_ONLINE_ROW),
    (JUST_SUBMITTED, JUST_SUBMITTED_ROW),
    (REFUSED_WITHOUT_ID, REFUSED_WITHOUT_ID_ROW),
]

EVENTS = [
    (
        {
            "MaHoSo": "000.00.11.H56-240315-0007",
            "STT": 1,
            "TrangThai": 2,
            "ThoiDiemXuLy": "20240315080000",
            "ThoiDiemGhiNhan": "20240315080012",
            "PhongBanXuLy": "Bộ phận một cửa",
            "NgayKetThucTheoQuyDinh": "20240315170000",
        },
        {
            "MaHoSo": "000.00.11.H56-240315-0007",
            "STT": 1,
            "TrangThai": 2,
            "ThoiDiemXuLy": datetime(2024, 3, 15, 8, 0, 0),
            "ThoiDiemGhiNhan": datetime(2024, 3, 15, 8, 0, 12),
            "PhongBanXuLy": "Bộ phận một cửa",
            "NgayKetThucTheoQuyDinh": datetime(2024, 3, 15, 17, 0, 0),
        },
    ),
    (
        # A backdated completion: recorded three days after the officer says it happened.
        {
            "MaHoSo": "000.00.11.H56-240315-0007",
            "STT": 4,
            "TrangThai": 9,
            "ThoiDiemXuLy": "20240321163010",
            "ThoiDiemGhiNhan": "20240324091500",
            "PhongBanXuLy": "Phòng Tư pháp",
            "NgayKetThucTheoQuyDinh": None,
        },
        {
            "MaHoSo": "000.00.11.H56-240315-0007",
            "STT": 4,
            "TrangThai": 9,
            "ThoiDiemXuLy": datetime(2024, 3, 21, 16, 30, 10),
            "ThoiDiemGhiNhan": datetime(2024, 3, 24, 9, 15, 0),
            "PhongBanXuLy": "Phòng Tư pháp",
            "NgayKetThucTheoQuyDinh": None,
        },
    ),
    (
        {
            "MaHoSo": "H56.22-190228-0001",
            "STT": 12,
            "TrangThai": 3,
            "ThoiDiemXuLy": "20190228235959",
            "ThoiDiemGhiNhan": "20190301000001",
            "PhongBanXuLy": "",
            "NgayKetThucTheoQuyDinh": "20200229120000",
        },
        {
            "MaHoSo": "H56.22-190228-0001",
            "STT": 12,
            "TrangThai": 3,
            "ThoiDiemXuLy": datetime(2019, 2, 28, 23, 59, 59),
            "ThoiDiemGhiNhan": datetime(2019, 3, 1, 0, 0, 1),
            "PhongBanXuLy": "",
            "NgayKetThucTheoQuyDinh": datetime(2020, 2, 29, 12, 0, 0),
        },
    ),
]
