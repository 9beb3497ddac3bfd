"""Independent oracles for the file-drop parsers (docs/sources.md §3, §4): files typed out byte by byte
(or cell by cell) in the contract's dialects, and the landing rows they must become, typed out by hand.

CSV: UTF-8 with or without a BOM, ``;``, Vietnamese numbers (``1.234.567,89``), an empty field = null,
booleans ``true``/``false``. XLSX: the first sheet, title rows before the header, a last ``Tổng cộng`` row
that is not data but must reconcile. Every finance and reference dataset has at least one file here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parmetrics.config import Paths
from parmetrics.sources.finance_files import land_finance_inbox
from parmetrics.sources.reference_files import land_reference_inbox_files

BOM = b"\xef\xbb\xbf"


def _landed(paths: Paths, source: str, dataset: str, batch: str) -> list[dict]:
    folder = paths.dataset_landing(source, dataset) / f"batch={batch}"
    return pq.read_table(folder).to_pylist()


def _xlsx(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.create_sheet("Ghi chú").append(["not read: only the first sheet is the report"])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _land_finance(tmp_path: Path, name: str, content: bytes | list[list]) -> tuple[Paths, dict]:
    inbox, paths = tmp_path / "inbox", Paths(tmp_path / "data")
    inbox.mkdir()
    if isinstance(content, bytes):
        (inbox / name).write_bytes(content)
    else:
        _xlsx(inbox / name, content)
    [outcome] = land_finance_inbox(inbox, paths)
    assert outcome["status"] == "landed", outcome
    return paths, outcome


def test_budget_revenue_csv_with_a_bom_and_vietnamese_numbers(tmp_path: Path):
    content = (
        BOM
        + (
            "ky_bao_cao;ma_khu_vuc;ten_khu_vuc;du_toan_nam;thuc_hien_luy_ke\r\n"
            "2026-03;FDI;Khu vực có vốn đầu tư nước ngoài;1.234.567,89;765.432,1\r\n"
            "2026-03;TNCN;Thuế thu nhập cá nhân;98.000;0\r\n"
            "2026-03;XO_SO;Xổ số kiến thiết;12,5;3\r\n"
            "2026-03;KHAC;;7;\r\n"
        ).encode()
    )
    paths, _ = _land_finance(tmp_path, "thu_ngan_sach_202603.csv", content)
    lineage = {"_period": "202603", "_version": 0, "_source_file": "thu_ngan_sach_202603.csv"}
    assert _landed(paths, "finance", "thu_ngan_sach", "202603") == [
        {"ky_bao_cao": "2026-03", "ma_khu_vuc": "FDI", "ten_khu_vuc": "Khu vực có vốn đầu tư nước ngoài",
         "du_toan_nam": 1234567.89, "thuc_hien_luy_ke": 765432.1, **lineage},
        {"ky_bao_cao": "2026-03", "ma_khu_vuc": "TNCN", "ten_khu_vuc": "Thuế thu nhập cá nhân",
         "du_toan_nam": 98000.0, "thuc_hien_luy_ke": 0.0, **lineage},
        {"ky_bao_cao": "2026-03", "ma_khu_vuc": "XO_SO", "ten_khu_vuc": "Xổ số kiến thiết",
         "du_toan_nam": 12.5, "thuc_hien_luy_ke": 3.0, **lineage},
        {"ky_bao_cao": "2026-03", "ma_khu_vuc": "KHAC", "ten_khu_vuc": None,
         "du_toan_nam": 7.0, "thuc_hien_luy_ke": None, **lineage},
    ]  # fmt: skip


def test_public_investment_xlsx_with_title_rows_and_a_total_row(tmp_path: Path):
    rows = [
        ["UBND TỈNH HÒA BÌNH"],
        ["BÁO CÁO GIẢI NGÂN VỐN ĐẦU TƯ CÔNG"],
        ["Đơn vị: triệu đồng"],
        ["ky_bao_cao", "ma_don_vi", "ma_du_an", "ten_du_an", "ke_hoach_von_nam", "giai_ngan_luy_ke"],
        ["2026-12", "H30.03", "DA-001", "Đường liên xã Ân Nghĩa", 15000.5, 14250.25],
        ["2026-12", "H30.03", "DA-002", "Trường mầm non Tân Lạc", "2.500,75", "2.000"],
        ["2026-12", "H30.20", "DA-001", "Kè suối Cái", 800, 0],
        ["Tổng cộng", None, None, None, "18.301,25", 16250.25],
    ]
    paths, _ = _land_finance(tmp_path, "giai_ngan_dau_tu_cong_202612.xlsx", rows)
    lineage = {"_period": "202612", "_version": 0, "_source_file": "giai_ngan_dau_tu_cong_202612.xlsx"}
    assert _landed(paths, "finance", "giai_ngan_dau_tu_cong", "202612") == [
        {"ky_bao_cao": "2026-12", "ma_don_vi": "H30.03", "ma_du_an": "DA-001", "ten_du_an": "Đường liên xã Ân Nghĩa",
         "ke_hoach_von_nam": 15000.5, "giai_ngan_luy_ke": 14250.25, **lineage},
        {"ky_bao_cao": "2026-12", "ma_don_vi": "H30.03", "ma_du_an": "DA-002", "ten_du_an": "Trường mầm non Tân Lạc",
         "ke_hoach_von_nam": 2500.75, "giai_ngan_luy_ke": 2000.0, **lineage},
        {"ky_bao_cao": "2026-12", "ma_don_vi": "H30.20", "ma_du_an": "DA-001", "ten_du_an": "Kè suối Cái",
         "ke_hoach_von_nam": 800.0, "giai_ngan_luy_ke": 0.0, **lineage},
    ]  # fmt: skip


def test_public_investment_xlsx_whose_total_does_not_reconcile_is_refused(tmp_path: Path):
    inbox, paths = tmp_path / "inbox", Paths(tmp_path / "data")
    _xlsx(
        inbox / "giai_ngan_dau_tu_cong_202612.xlsx",
        [
            ["BÁO CÁO"],
            ["ky_bao_cao", "ma_don_vi", "ma_du_an", "ten_du_an", "ke_hoach_von_nam", "giai_ngan_luy_ke"],
            ["2026-12", "H30.03", "DA-001", "Đường", 100, 50],
            ["2026-12", "H30.03", "DA-002", "Trường", 200, 60],
            ["Tổng cộng", None, None, None, 300, 111],
        ],
    )
    [outcome] = land_finance_inbox(inbox, paths)
    assert outcome["status"] == "quarantined"
    assert outcome["reason"].startswith("giai_ngan_dau_tu_cong_202612.xlsx: totals do not reconcile")
    assert "giai_ngan_luy_ke" in outcome["reason"]


def test_enterprise_registrations_resend_csv_without_a_bom(tmp_path: Path):
    content = (
        b"ky_bao_cao;ma_don_vi_hanh_chinh;so_dn_thanh_lap_moi;von_dang_ky;so_du_an_moi;von_dau_tu_dang_ky\n"
        b"2026-05;H30;1.204;3.456,7;12;1.000,05\n"
        b"2026-05;H30.50;3;0,25;0;0\n"
    )
    paths, _ = _land_finance(tmp_path, "dang_ky_doanh_nghiep_202605_v2.csv", content)
    lineage = {"_period": "202605", "_version": 2, "_source_file": "dang_ky_doanh_nghiep_202605_v2.csv"}
    assert _landed(paths, "finance", "dang_ky_doanh_nghiep", "202605") == [
        {"ky_bao_cao": "2026-05", "ma_don_vi_hanh_chinh": "H30", "so_dn_thanh_lap_moi": 1204, "von_dang_ky": 3456.7,
         "so_du_an_moi": 12, "von_dau_tu_dang_ky": 1000.05, **lineage},
        {"ky_bao_cao": "2026-05", "ma_don_vi_hanh_chinh": "H30.50", "so_dn_thanh_lap_moi": 3, "von_dang_ky": 0.25,
         "so_du_an_moi": 0, "von_dau_tu_dang_ky": 0.0, **lineage},
    ]  # fmt: skip


def _land_reference(tmp_path: Path, name: str, content: bytes) -> Paths:
    inbox, paths = tmp_path / "reference", Paths(tmp_path / "data")
    inbox.mkdir()
    (inbox / name).write_bytes(content)
    [outcome] = land_reference_inbox_files(inbox, paths)
    assert outcome["status"] == "landed", outcome
    return paths


def test_units_csv(tmp_path: Path):
    content = (
        BOM
        + (
            "ma_don_vi;ten_don_vi;cap;ma_don_vi_cha;hieu_luc_tu;hieu_luc_den;ma_don_vi_ke_thua\n"
            "H30;UBND tỉnh Hòa Bình;tinh;;1991-10-01;;\n"
            "H30.20;UBND huyện Lạc Sơn;huyen;H30;1991-10-01;2025-06-30;\n"
            "H30.20.01;UBND xã Ân Nghĩa;xa;H30.20;1991-10-01;2025-06-30;H30.50\n"
            "H30.50;UBND xã Ân Nghĩa mới;xa;H30;2025-07-01;;\n"
        ).encode()
    )
    paths = _land_reference(tmp_path, "don_vi_202611.csv", content)
    lineage = {"_snapshot_month": "202611", "_source_file": "don_vi_202611.csv"}
    assert _landed(paths, "reference", "don_vi", "202611") == [
        {"ma_don_vi": "H30", "ten_don_vi": "UBND tỉnh Hòa Bình", "cap": "tinh", "ma_don_vi_cha": None,
         "hieu_luc_tu": date(1991, 10, 1), "hieu_luc_den": None, "ma_don_vi_ke_thua": None, **lineage},
        {"ma_don_vi": "H30.20", "ten_don_vi": "UBND huyện Lạc Sơn", "cap": "huyen", "ma_don_vi_cha": "H30",
         "hieu_luc_tu": date(1991, 10, 1), "hieu_luc_den": date(2025, 6, 30), "ma_don_vi_ke_thua": None, **lineage},
        {"ma_don_vi": "H30.20.01", "ten_don_vi": "UBND xã Ân Nghĩa", "cap": "xa", "ma_don_vi_cha": "H30.20",
         "hieu_luc_tu": date(1991, 10, 1), "hieu_luc_den": date(2025, 6, 30), "ma_don_vi_ke_thua": "H30.50",
         **lineage},
        {"ma_don_vi": "H30.50", "ten_don_vi": "UBND xã Ân Nghĩa mới", "cap": "xa", "ma_don_vi_cha": "H30",
         "hieu_luc_tu": date(2025, 7, 1), "hieu_luc_den": None, "ma_don_vi_ke_thua": None, **lineage},
    ]  # fmt: skip


def test_procedure_catalogue_csv_with_booleans_and_nulls(tmp_path: Path):
    header = (
        "ma_tthc;ten_tthc;cap_thuc_hien;linh_vuc;thoi_han_ngay_lam_viec;muc_do_dvc;du_dieu_kien_toan_trinh;"
        "co_phi_le_phi;ket_qua_la_giay_to;ngay_qd_cong_bo;ngay_hieu_luc;ngay_het_hieu_luc;ngay_cong_khai_csdl;"
        "day_du_bo_phan"
    )
    content = (
        BOM
        + (
            header + "\n"
            "1.004227;Đăng ký khai sinh;xa;Hộ tịch;1;toan_trinh;true;false;true;2024-01-02;2024-01-15;;"
            "2024-01-05;true\n"
            "2.000001;Cấp giấy phép xây dựng;huyen;Xây dựng;15;mot_phan;false;true;true;2019-03-01;2019-03-20;"
            "2025-06-30;;false\n"
            "3.000123;Thẩm định dự án;tinh;Đầu tư;;khong;;;false;;;;;\n"
        ).encode()
    )
    paths = _land_reference(tmp_path, "thu_tuc_hanh_chinh_202501_v3.csv", content)
    lineage = {"_snapshot_month": "202501", "_source_file": "thu_tuc_hanh_chinh_202501_v3.csv"}
    assert _landed(paths, "reference", "thu_tuc_hanh_chinh", "202501") == [
        {"ma_tthc": "1.004227", "ten_tthc": "Đăng ký khai sinh", "cap_thuc_hien": "xa", "linh_vuc": "Hộ tịch",
         "thoi_han_ngay_lam_viec": 1, "muc_do_dvc": "toan_trinh", "du_dieu_kien_toan_trinh": True,
         "co_phi_le_phi": False, "ket_qua_la_giay_to": True, "ngay_qd_cong_bo": date(2024, 1, 2),
         "ngay_hieu_luc": date(2024, 1, 15), "ngay_het_hieu_luc": None, "ngay_cong_khai_csdl": date(2024, 1, 5),
         "day_du_bo_phan": True, **lineage},
        {"ma_tthc": "2.000001", "ten_tthc": "Cấp giấy phép xây dựng", "cap_thuc_hien": "huyen",
         "linh_vuc": "Xây dựng", "thoi_han_ngay_lam_viec": 15, "muc_do_dvc": "mot_phan",
         "du_dieu_kien_toan_trinh": False, "co_phi_le_phi": True, "ket_qua_la_giay_to": True,
         "ngay_qd_cong_bo": date(2019, 3, 1), "ngay_hieu_luc": date(2019, 3, 20),
         "ngay_het_hieu_luc": date(2025, 6, 30), "ngay_cong_khai_csdl": None, "day_du_bo_phan": False, **lineage},
        {"ma_tthc": "3.000123", "ten_tthc": "Thẩm định dự án", "cap_thuc_hien": "tinh", "linh_vuc": "Đầu tư",
         "thoi_han_ngay_lam_viec": None, "muc_do_dvc": "khong", "du_dieu_kien_toan_trinh": None,
         "co_phi_le_phi": None, "ket_qua_la_giay_to": False, "ngay_qd_cong_bo": None, "ngay_hieu_luc": None,
         "ngay_het_hieu_luc": None, "ngay_cong_khai_csdl": None, "day_du_bo_phan": None, **lineage},
    ]  # fmt: skip


def test_website_listings_csv(tmp_path: Path):
    content = (
        b"ma_don_vi;ma_tthc;ngay_kiem_tra\r\n"
        b"H30.20;1.004227;2026-10-31\r\n"
        b"H30.20;2.000001;2026-10-31\r\n"
        b"H30.50;1.004227;2026-09-15\r\n"
    )
    paths = _land_reference(tmp_path, "niem_yet_website_202610.csv", content)
    lineage = {"_snapshot_month": "202610", "_source_file": "niem_yet_website_202610.csv"}
    assert _landed(paths, "reference", "niem_yet_website", "202610") == [
        {"ma_don_vi": "H30.20", "ma_tthc": "1.004227", "ngay_kiem_tra": date(2026, 10, 31), **lineage},
        {"ma_don_vi": "H30.20", "ma_tthc": "2.000001", "ngay_kiem_tra": date(2026, 10, 31), **lineage},
        {"ma_don_vi": "H30.50", "ma_tthc": "1.004227", "ngay_kiem_tra": date(2026, 9, 15), **lineage},
    ]


@pytest.mark.parametrize(
    ("cell", "value"),
    [("1.234.567,89", 1234567.89), ("0,5", 0.5), ("1.000", 1000.0), ("999", 999.0), ("12,50", 12.5)],
)
def test_vietnamese_number_cells_in_a_budget_file(tmp_path: Path, cell: str, value: float):
    content = f"ky_bao_cao;ma_khu_vuc;ten_khu_vuc;du_toan_nam;thuc_hien_luy_ke\n2026-01;NQD;x;{cell};0\n".encode()
    paths, _ = _land_finance(tmp_path, "thu_ngan_sach_202601.csv", content)
    [row] = _landed(paths, "finance", "thu_ngan_sach", "202601")
    assert row["du_toan_nam"] == value
