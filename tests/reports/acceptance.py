"""What the three outputs of a publication show, read back from the outputs themselves — the terminal
summary's text, the workbook, the HTML report as Chromium drew it — and what landing holds, read from its
Parquet: the ground truth the issue-15 acceptance checks compare them with (test_acceptance.py,
test_small_province.py, tests/e2e/test_demo.py). Nothing here asks the marts or the report code.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import openpyxl

from parmetrics.config import Paths

LEVEL_SHEETS = {"province": "Tỉnh", "department": "Sở, ban, ngành", "district": "Huyện", "commune": "Xã"}
APART_SHEET = "Đơn vị đã kết thúc hoạt động"
LIST_SHEETS = ("DS hồ sơ quá hạn", "DS hồ sơ sắp đến hạn", "DS vi phạm")
FIRST_ROW = 5


# -- landing ---------------------------------------------------------------------------------------------


def _parquet(paths: Paths, source: str, dataset: str) -> str:
    return str(paths.dataset_landing(source, dataset) / "batch=*" / "*.parquet")


def landed_units(paths: Paths) -> dict[str, dict[str, Any]]:
    """The units of the newest landed don_vi snapshot (SOURCES.md §4: for units, the newest is authoritative)."""
    with duckdb.connect() as con:
        rows = con.execute(
            f"""
            select ma_don_vi, ten_don_vi, hieu_luc_tu, hieu_luc_den, ma_don_vi_ke_thua
            from read_parquet('{_parquet(paths, "reference", "don_vi")}')
            qualify _snapshot_month = max(_snapshot_month) over ()
            """
        ).fetchall()
    return {
        code: {"name": name, "valid_from": start, "valid_to": end, "successor": successor}
        for code, name, start, end, successor in rows
    }


def landed_dossier_codes(paths: Paths) -> set[str]:
    with duckdb.connect() as con:
        rows = con.execute(f"select distinct MaHoSo from read_parquet('{_parquet(paths, 'dossier_api', 'dossiers')}')")
        return {code for (code,) in rows.fetchall()}


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def in_force(unit: dict[str, Any], day: date) -> bool:
    """METRICS.md §5: in force at a period's end ⇔ valid from it or before, and not ended before it."""
    return unit["valid_from"] <= day and (unit["valid_to"] is None or unit["valid_to"] >= day)


# -- the terminal summary ------------------------------------------------------------------------------


def summary_month(text: str) -> date:
    found = re.search(r"Month shown: (\d{4})-(\d{2})", text)
    assert found, "the summary names the month it shows"
    return date(int(found.group(1)), int(found.group(2)), 1)


def summary_tables(text: str) -> dict[str, list[list[str]]]:
    """The summary's tables by the start of their title: the cells of each body row."""
    tables: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        for title in ("Top five", "Bottom five", "766.2.1 —", "Not ranked —", "Chỉ số 766 —"):
            if stripped.startswith(title):
                key = stripped.split(":")[0] if title == "Not ranked —" else title
                current = tables.setdefault(key, [])
        if current is not None and stripped.startswith("│"):
            current.append([cell.strip() for cell in stripped.strip("│").split("│")])
    return tables


def summary_ranked_units(text: str) -> set[str]:
    """Every unit the summary shows in a ranking: the top and bottom five, the on-time table with ranks."""
    tables = summary_tables(text)
    return {row[0] for key in ("Top five", "Bottom five", "766.2.1 —") for row in tables.get(key, [])}


def summary_apart_units(text: str) -> set[str]:
    tables = summary_tables(text)
    return {row[0] for key, rows in tables.items() if key.startswith("Not ranked") for row in rows}


# -- the workbook ----------------------------------------------------------------------------------------


def workbook(path: Path):
    return openpyxl.load_workbook(path, read_only=False)


def workbook_month(book) -> date:
    info = {r[0]: r[1] for r in book["Thông tin"].iter_rows(min_row=2, values_only=True) if r[0]}
    month, year = info["Kỳ trình bày (tháng đã khóa số gần nhất)"].split("/")
    return date(int(year), int(month), 1)


def workbook_ranked_units(book) -> dict[str, dict[str, int | None]]:
    """Per level sheet: unit code → the month's rank shown."""
    return {
        level: {r[1]: r[0] for r in book[sheet].iter_rows(min_row=FIRST_ROW, values_only=True) if r[1]}
        for level, sheet in LEVEL_SHEETS.items()
    }


def workbook_apart_units(book) -> dict[str, tuple[Any, ...]]:
    return {r[2]: r for r in book[APART_SHEET].iter_rows(min_row=FIRST_ROW, values_only=True) if r[2]}


def workbook_list_codes(book) -> dict[str, list[str]]:
    """The dossier numbers of each list (the first column, under its header row)."""
    codes = {}
    for sheet in LIST_SHEETS:
        ws = book[sheet]
        assert ws.cell(2, 1).value == "Số hồ sơ (mã trên hệ thống một cửa)", sheet
        codes[sheet] = [r[0] for r in ws.iter_rows(min_row=3, values_only=True) if r[0] is not None]
    return codes


# -- the HTML report as drawn ----------------------------------------------------------------------------


def html_month(dom: str) -> date:
    month, year = re.search(r'id="period">(\d\d)/(\d{4})<', dom).groups()
    return date(int(year), int(month), 1)


def html_ranked_units(dom: str) -> dict[str, set[str]]:
    return {
        level: set(re.findall(r'<rect class="bar" data-unit="([^"]+)"', body))
        for level, body in re.findall(r'<section class="chart ranking" data-level="(\w+)">(.*?)</section>', dom, re.S)
    }


def html_apart_units(dom: str) -> set[str]:
    section = re.search(r'<section id="apart".*?</section>', dom, re.S)
    return set(re.findall(r'<tr data-unit="([^"]+)"', section.group(0))) if section else set()
