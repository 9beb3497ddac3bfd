"""Finance files in the contract's dialects (SOURCES.md §3), good and broken, written by the tests."""

from __future__ import annotations

from pathlib import Path

BUDGET_COLUMNS = ("ky_bao_cao", "ma_khu_vuc", "ten_khu_vuc", "du_toan_nam", "thuc_hien_luy_ke")
BUDGET_ROWS = [
    ("DNNN_TW", "Doanh nghiệp nhà nước trung ương", 120000.5, 98765.25),
    ("DNNN_DP", "Doanh nghiệp nhà nước địa phương", 35000.0, 21000.75),
    ("FDI", "Khu vực có vốn đầu tư nước ngoài", 1234567.89, 765432.1),
    ("NQD", "Khu vực ngoài quốc doanh", 450000.0, 300123.45),
    ("TNCN", "Thuế thu nhập cá nhân", 98000.0, 87000.0),
    ("TIEN_SD_DAT", "Thu tiền sử dụng đất", 2500000.0, 1800000.5),
]


def vn(value: float | int) -> str:
    """1234567.89 → '1.234.567,89' (Vietnamese format)."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    whole, frac = f"{value:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{frac}"


def budget_rows(period: str) -> list[tuple]:
    iso = f"{period[:4]}-{period[4:]}"
    return [(iso, *r) for r in BUDGET_ROWS]


def csv_bytes(columns, rows, bom: bool = True) -> bytes:
    lines = [";".join(columns)]
    for r in rows:
        lines.append(";".join(vn(v) if isinstance(v, int | float) else str(v) for v in r))
    return (b"\xef\xbb\xbf" if bom else b"") + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def write_budget_csv(folder: Path, period: str = "202610", version: int | None = None, rows=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"thu_ngan_sach_{period}{f'_v{version}' if version else ''}.csv"
    path = folder / name
    path.write_bytes(csv_bytes(BUDGET_COLUMNS, rows if rows is not None else budget_rows(period)))
    return path


def write_budget_xlsx(
    folder: Path, period: str = "202610", rows=None, total: tuple | bool | None = True, titles: int = 3, name=None
) -> Path:
    from openpyxl import Workbook

    rows = rows if rows is not None else budget_rows(period)
    wb = Workbook()
    ws = wb.active
    titles_text = ["UBND TỈNH HÒA BÌNH", "SỞ TÀI CHÍNH", "BÁO CÁO THU NGÂN SÁCH", "Đơn vị: triệu đồng", ""]
    for t in titles_text[:titles]:
        ws.append([t])
    ws.append(list(BUDGET_COLUMNS))
    for r in rows:
        ws.append(list(r))
    if total is True:
        ws.append(["Tổng cộng", None, None, sum(r[3] for r in rows), sum(r[4] for r in rows)])
    elif isinstance(total, tuple):
        ws.append(list(total))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"thu_ngan_sach_{period}.xlsx")
    wb.save(path)
    return path
