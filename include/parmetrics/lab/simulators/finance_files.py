"""Monthly finance file drops (SOURCES.md §3) for the simulated province, and deliberately bad ones.

Three datasets, year-to-date where the contract says so: budget revenue by sector
(``thu_ngan_sach``, million VND), public-investment disbursement by investor unit and project
(``giai_ngan_dau_tu_cong``, million VND) and enterprise registrations by district (before the 2025
reorganisation) or new commune (after; ``dang_ky_doanh_nghiep``, capital in billion VND).

CSV: UTF-8 (with a BOM on some files), ``;``, Vietnamese number format ``1.234.567,89``.
XLSX: first sheet, title rows (``UBND TỈNH HÒA BÌNH`` / ``BÁO CÁO …``), the header, data rows and a
``Tổng cộng`` row that the data rows sum to. Bytes are deterministic (fixed workbook and zip times).

:func:`bad_finance_files` writes one file per contract rule, each breaking exactly that rule.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from parmetrics.lab.simulators.province import PROVINCE_NAME, REORGANISATION_START, UNITS, month_end
from parmetrics.lab.simulators.reference_files import write_atomic

DATASETS = ("thu_ngan_sach", "giai_ngan_dau_tu_cong", "dang_ky_doanh_nghiep")
COLUMNS: dict[str, tuple[str, ...]] = {
    "thu_ngan_sach": ("ky_bao_cao", "ma_khu_vuc", "ten_khu_vuc", "du_toan_nam", "thuc_hien_luy_ke"),
    "giai_ngan_dau_tu_cong": (
        "ky_bao_cao",
        "ma_don_vi",
        "ma_du_an",
        "ten_du_an",
        "ke_hoach_von_nam",
        "giai_ngan_luy_ke",
    ),
    "dang_ky_doanh_nghiep": (
        "ky_bao_cao",
        "ma_don_vi_hanh_chinh",
        "so_dn_thanh_lap_moi",
        "von_dang_ky",
        "so_du_an_moi",
        "von_dau_tu_dang_ky",
    ),
}
# Numeric columns (summed by the total row); whole numbers are counts.
AMOUNTS = {
    "thu_ngan_sach": ("du_toan_nam", "thuc_hien_luy_ke"),
    "giai_ngan_dau_tu_cong": ("ke_hoach_von_nam", "giai_ngan_luy_ke"),
    "dang_ky_doanh_nghiep": ("so_dn_thanh_lap_moi", "von_dang_ky", "so_du_an_moi", "von_dau_tu_dang_ky"),
}
WHOLE = {"so_dn_thanh_lap_moi", "so_du_an_moi"}
TITLES = {
    "thu_ngan_sach": "BÁO CÁO THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN (LŨY KẾ TỪ ĐẦU NĂM)",
    "giai_ngan_dau_tu_cong": "BÁO CÁO TÌNH HÌNH GIẢI NGÂN VỐN ĐẦU TƯ CÔNG (LŨY KẾ TỪ ĐẦU NĂM)",
    "dang_ky_doanh_nghiep": "BÁO CÁO TÌNH HÌNH ĐĂNG KÝ DOANH NGHIỆP VÀ DỰ ÁN ĐẦU TƯ",
}
SECTORS = (
    ("DNNN_TW", "Thu từ doanh nghiệp nhà nước trung ương", 180_000),
    ("DNNN_DP", "Thu từ doanh nghiệp nhà nước địa phương", 40_000),
    ("FDI", "Thu từ doanh nghiệp có vốn đầu tư nước ngoài", 150_000),
    ("NQD", "Thu từ khu vực kinh tế ngoài quốc doanh", 650_000),
    ("TNCN", "Thuế thu nhập cá nhân", 160_000),
    ("LPTB", "Lệ phí trước bạ", 140_000),
    ("TIEN_SD_DAT", "Thu tiền sử dụng đất", 1_100_000),
    ("XO_SO", "Thu từ hoạt động xổ số kiến thiết", 30_000),
    ("KHAC", "Thu khác", 220_000),
)
PROJECT_KINDS = (
    "Đường giao thông liên xã",
    "Nâng cấp trường tiểu học",
    "Cải tạo trạm y tế",
    "Kè chống sạt lở",
    "Hệ thống cấp nước sinh hoạt",
    "Nhà văn hóa trung tâm",
    "Nâng cấp hồ chứa nước",
    "Chỉnh trang đô thị",
)
FIXED_TIME = datetime(2020, 1, 1)
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


# --- numbers ------------------------------------------------------------------------------------


def vn_format(value: float | int, decimals: int = 2) -> str:
    """``1234567.891`` → ``1.234.567,89`` (whole numbers without decimals)."""
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


# --- the figures --------------------------------------------------------------------------------


def _s_curve(month: int, rng: random.Random, pace: float) -> float:
    """Share of the annual amount reached by the end of `month` (slow start, year-end rush)."""
    base = (month / 12) ** 1.6
    return min(1.25, base * pace * (1 + rng.uniform(-0.03, 0.03)))


def _period(month: str) -> str:
    return f"{month[:4]}-{month[4:]}"


def rows_for(dataset: str, month: str, seed: int = 766) -> list[dict[str, Any]]:
    """The data rows of one monthly report (year to date where the contract says so)."""
    year, mon = int(month[:4]), int(month[4:])
    as_of = month_end(month)
    period = _period(month)
    rows: list[dict[str, Any]] = []
    if dataset == "thu_ngan_sach":
        for code, name, base in SECTORS:
            rng = random.Random(f"{seed}/revenue/{code}/{year}")
            estimate = round(base * 1.08 ** (year - 2019) * rng.uniform(0.9, 1.1), 2)
            pace = rng.uniform(0.85, 1.2)
            month_rng = random.Random(f"{seed}/revenue/{code}/{month}")
            actual = round(estimate * _s_curve(mon, month_rng, pace) ** 0.8, 2)
            rows.append(
                {
                    "ky_bao_cao": period,
                    "ma_khu_vuc": code,
                    "ten_khu_vuc": name,
                    "du_toan_nam": estimate,
                    "thuc_hien_luy_ke": actual,
                }
            )
    elif dataset == "giai_ngan_dau_tu_cong":
        investors = [u for u in UNITS if u.level in ("tinh", "so", "huyen", "xa") and u.valid_on(as_of)]
        investors = [u for u in investors if u.level != "xa" or u.valid_from >= REORGANISATION_START]
        for unit in investors:
            unit_rng = random.Random(f"{seed}/investor/{unit.code}")
            if unit.level == "so" and unit_rng.random() < 0.5:
                continue  # not every department invests
            pace = unit_rng.uniform(0.55, 1.05)
            rng = random.Random(f"{seed}/projects/{unit.code}/{year}")
            for k in range(rng.randint(1, 3)):
                plan = round(rng.uniform(2_000, 60_000), 2)
                month_rng = random.Random(f"{seed}/disbursed/{unit.code}/{k}/{month}")
                rows.append(
                    {
                        "ky_bao_cao": period,
                        "ma_don_vi": unit.code,
                        "ma_du_an": f"DA{year}.{unit.code.replace('.', '')}.{k + 1:02d}",
                        "ten_du_an": f"{rng.choice(PROJECT_KINDS)} ({unit.name.removeprefix('UBND ')})",
                        "ke_hoach_von_nam": plan,
                        "giai_ngan_luy_ke": round(min(plan, plan * _s_curve(mon, month_rng, pace)), 2),
                    }
                )
    elif dataset == "dang_ky_doanh_nghiep":
        areas = [
            u
            for u in UNITS
            if u.valid_on(as_of) and (u.level == "huyen" or (u.level == "xa" and u.valid_from >= REORGANISATION_START))
        ]
        for unit in areas:
            rng = random.Random(f"{seed}/enterprises/{unit.code}/{month}")
            size = random.Random(f"{seed}/enterprises/{unit.code}").uniform(0.5, 2.0)
            size *= 1.06 ** (year - 2019) * (0.4 if unit.level == "xa" else 1.0)
            new = max(0, round(rng.gauss(12 * size, 3 * size)))
            projects = max(0, round(rng.gauss(1.2 * size, 1)))
            rows.append(
                {
                    "ky_bao_cao": period,
                    "ma_don_vi_hanh_chinh": unit.code,
                    "so_dn_thanh_lap_moi": new,
                    "von_dang_ky": round(new * rng.uniform(1.5, 6.0), 2),
                    "so_du_an_moi": projects,
                    "von_dau_tu_dang_ky": round(projects * rng.uniform(10, 200), 2),
                }
            )
    else:
        raise ValueError(f"unknown finance dataset {dataset!r}; expected one of {DATASETS}")
    return rows


def total_row(dataset: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = dict.fromkeys(COLUMNS[dataset])
    total[COLUMNS[dataset][0]] = "Tổng cộng"
    for column in AMOUNTS[dataset]:
        summed = sum(r[column] for r in rows)
        total[column] = summed if column in WHOLE else round(summed, 2)
    return total


# --- rendering ----------------------------------------------------------------------------------


def render_finance_csv(dataset: str, rows: list[dict[str, Any]], bom: bool = True) -> bytes:
    columns = COLUMNS[dataset]
    lines = [";".join(columns)]
    for row in rows:
        cells = []
        for c in columns:
            v = row[c]
            if v is None:
                cells.append("")
            elif isinstance(v, bool) or not isinstance(v, int | float):
                text = str(v)
                cells.append(f'"{text}"' if ";" in text or '"' in text else text)
            else:
                cells.append(vn_format(v))
        lines.append(";".join(cells))
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def _deterministic_zip(data: bytes) -> bytes:
    """Re-packs a zip with fixed entry times, so the same workbook always has the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time into `modified`
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2020-01-01T00:00:00Z\g<2>", data
                )
            dst.writestr(fixed, data)
    return out.getvalue()


def render_finance_xlsx(
    dataset: str,
    month: str,
    rows: list[dict[str, Any]],
    total: dict[str, Any] | None = None,
    titles: bool = True,
    header: tuple[str, ...] | None = None,
) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "So Tai chinh"
    ws = wb.active
    ws.title = "BaoCao"
    if titles:
        ws.append([f"UBND TỈNH {PROVINCE_NAME.upper()}"])
        ws.append([TITLES[dataset]])
        ws.append([f"Kỳ báo cáo: tháng {month[4:]}/{month[:4]}"])
        ws.append([])
    columns = COLUMNS[dataset]
    ws.append(list(header or columns))
    for row in rows:
        ws.append([row[c] for c in columns])
    if total is not None:
        ws.append([total[c] for c in columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def finance_file_name(dataset: str, period: str, fmt: str, version: int | None = None) -> str:
    return f"{dataset}_{period}{f'_v{version}' if version else ''}.{fmt}"


def write_finance_file(
    inbox: Path, dataset: str, period: str, fmt: str = "csv", version: int | None = None, seed: int = 766
) -> Path:
    """Writes one good monthly report ``<dataset>_<period>[_v<N>].<fmt>`` into the inbox (atomically).

    ``period`` is ``YYYYMM``; ``fmt`` ``csv`` or ``xlsx``. A version (a corrected re-send) revises
    the figures slightly, so that it really differs from the first send."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown finance dataset {dataset!r}; expected one of {DATASETS}")
    if fmt not in ("csv", "xlsx"):
        raise ValueError("fmt must be csv or xlsx")
    rows = rows_for(dataset, period, seed)
    if version:
        rng = random.Random(f"{seed}/correction/{dataset}/{period}/{version}")
        for row in rows:
            column = AMOUNTS[dataset][-1]
            if column not in WHOLE and rng.random() < 0.3:
                row[column] = round(row[column] * rng.uniform(1.0, 1.02), 2)
    if fmt == "csv":
        bom = random.Random(f"{seed}/bom/{dataset}/{period}").random() < 0.7
        data = render_finance_csv(dataset, rows, bom=bom)
    else:
        data = render_finance_xlsx(dataset, period, rows, total_row(dataset, rows))
    return write_atomic(inbox, finance_file_name(dataset, period, fmt, version), data)


def finance_months(start: date, end: date) -> Iterator[str]:
    """Report months: from `start`'s month to the month before `end` (a month is reported after it ends)."""
    year, mon = start.year, start.month
    while (year, mon) < (end.year, end.month):
        yield f"{year}{mon:02d}"
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)


def write_finance_history(
    inbox: Path, start: date = date(2019, 1, 1), end: date = date(2026, 11, 20), seed: int = 766
) -> list[Path]:
    """Every monthly report of every dataset, half as CSV and half as XLSX; a few corrected re-sends."""
    written = []
    for month in finance_months(start, end):
        for dataset in DATASETS:
            rng = random.Random(f"{seed}/format/{dataset}/{month}")
            fmt = "xlsx" if rng.random() < 0.5 else "csv"
            written.append(write_finance_file(inbox, dataset, month, fmt, seed=seed))
            if rng.random() < 0.04:
                written.append(write_finance_file(inbox, dataset, month, fmt, version=2, seed=seed))
    return written


# --- deliberately bad files ---------------------------------------------------------------------


@dataclass(frozen=True)
class BadFile:
    """A file that breaks exactly one rule of SOURCES.md §3. ``rule`` is one of :data:`BAD_FILE_RULES`."""

    path: Path
    rule: str
    description: str
    dataset: str


BAD_FILE_RULES = (
    "wrong_encoding",
    "missing_column",
    "renamed_column",
    "text_in_number_column",
    "negative_amount",
    "totals_do_not_reconcile",
    "period_does_not_match_name",
    "empty_file",
)


def bad_finance_files(inbox: Path, seed: int = 766) -> list[BadFile]:
    """Writes one bad file per rule into `inbox` (each for its own period of 2024, so none supersedes
    another) and returns them with the rule each breaks; everything else about each file is good."""
    made: list[BadFile] = []

    def add(rule: str, dataset: str, month: str, fmt: str, data: bytes, description: str) -> None:
        path = write_atomic(inbox, finance_file_name(dataset, month, fmt), data)
        made.append(BadFile(path, rule, description, dataset))

    ds = "thu_ngan_sach"
    rows = rows_for(ds, "202401", seed)
    # Windows-1258 is what an old Vietnamese desktop exports: not UTF-8 (ư → 0xFD …).
    text = render_finance_csv(ds, rows, bom=False).decode("utf-8")
    add(
        "wrong_encoding",
        ds,
        "202401",
        "csv",
        text.encode("cp1258", errors="replace"),
        "CSV encoded in Windows-1258, not UTF-8",
    )

    ds = "giai_ngan_dau_tu_cong"
    rows = rows_for(ds, "202402", seed)
    for r in rows:
        del r["ke_hoach_von_nam"]
    cols = tuple(c for c in COLUMNS[ds] if c != "ke_hoach_von_nam")
    add(
        "missing_column",
        ds,
        "202402",
        "csv",
        _csv_with_columns(cols, rows),
        "column ke_hoach_von_nam is missing",
    )

    ds = "dang_ky_doanh_nghiep"
    rows = rows_for(ds, "202403", seed)
    header = tuple("so_doanh_nghiep_moi" if c == "so_dn_thanh_lap_moi" else c for c in COLUMNS[ds])
    add(
        "renamed_column",
        ds,
        "202403",
        "xlsx",
        render_finance_xlsx(ds, "202403", rows, total_row(ds, rows), header=header),
        "column so_dn_thanh_lap_moi renamed to so_doanh_nghiep_moi",
    )

    ds = "thu_ngan_sach"
    rows = rows_for(ds, "202404", seed)
    data = render_finance_csv(ds, rows).decode("utf-8-sig")
    lines = data.split("\r\n")
    cells = lines[3].split(";")
    cells[4] = "chưa có số liệu"
    lines[3] = ";".join(cells)
    add(
        "text_in_number_column",
        ds,
        "202404",
        "csv",
        b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"),
        "thuc_hien_luy_ke of the third row is text",
    )

    ds = "giai_ngan_dau_tu_cong"
    rows = rows_for(ds, "202405", seed)
    rows[1]["giai_ngan_luy_ke"] = -abs(rows[1]["giai_ngan_luy_ke"]) - 1.0
    add(
        "negative_amount",
        ds,
        "202405",
        "xlsx",
        render_finance_xlsx(ds, "202405", rows, total_row(ds, rows)),
        "giai_ngan_luy_ke of the second row is negative (the total row includes it, so it reconciles)",
    )

    ds = "thu_ngan_sach"
    rows = rows_for(ds, "202406", seed)
    total = total_row(ds, rows)
    total["thuc_hien_luy_ke"] = round(total["thuc_hien_luy_ke"] + 1_000.0, 2)
    add(
        "totals_do_not_reconcile",
        ds,
        "202406",
        "xlsx",
        render_finance_xlsx(ds, "202406", rows, total),
        "Tổng cộng of thuc_hien_luy_ke exceeds the rows' sum by 1.000",
    )

    ds = "dang_ky_doanh_nghiep"
    rows = rows_for(ds, "202406", seed)  # June's report saved under July's name
    add(
        "period_does_not_match_name",
        ds,
        "202407",
        "csv",
        render_finance_csv(ds, rows),
        "ky_bao_cao is 2024-06 in a file named for 202407",
    )

    add("empty_file", "thu_ngan_sach", "202408", "csv", b"", "zero bytes")
    assert tuple(b.rule for b in made) == BAD_FILE_RULES
    return made


def _csv_with_columns(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    lines = [";".join(columns)]
    for row in rows:
        lines.append(";".join(vn_format(row[c]) if isinstance(row[c], int | float) else str(row[c]) for c in columns))
    return b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8")
