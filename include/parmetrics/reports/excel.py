"""The Excel workbook for the Sở Nội vụ: one sheet per unit level (units in force, ranked), the ceased
units apart, the data-quality warnings of the publication (when there are any), and the lists to act on:
overdue dossiers, dossiers due soon and violations, each dossier by its number (``dossier_code``).

Written in openpyxl's write-only mode: the detail lists of a real province run to tens of thousands of
rows, which the normal mode would hold in memory cell by cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from parmetrics.reports.data import (
    CEASED,
    CEASED_LABEL,
    GROUP_COLUMNS,
    LEVEL_LABELS,
    LEVELS,
    TIMELINESS,
    UNKNOWN,
    UNKNOWN_LABEL,
    VIOLATIONS,
    ReportData,
    UnitScore,
)
from parmetrics.reports.warnings import PUBLISHED_ANYWAY, warning_rows

INFO_SHEET = "Thông tin"
WARNINGS_SHEET = "Cảnh báo dữ liệu"
APART_SHEET = "Đơn vị đã kết thúc hoạt động"
ISSUES_SHEET = "Quá hạn, sắp đến hạn, vi phạm"
OVERDUE_SHEET = "DS hồ sơ quá hạn"
DUE_SOON_SHEET = "DS hồ sơ sắp đến hạn"
VIOLATIONS_SHEET = "DS vi phạm"
LEVEL_SHEETS = {level: label for level, label in LEVELS}
DOSSIER_CODE = "Số hồ sơ (mã trên hệ thống một cửa)"

POINTS = "0.00"
PERCENT = "0.0%"
COUNT = "#,##0"
DATETIME = "dd/mm/yyyy hh:mm"
# Red (weak) → yellow → green (full marks), the same ends as the HTML report's bars.
RED, YELLOW, GREEN = "F8696B", "FFEB84", "63BE7B"

_TITLE = Font(bold=True, size=14)
_NOTE = Font(italic=True, color="555555")
_HEADER = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_BAND_FILL = PatternFill("solid", fgColor="D9E1F2")
_WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
_THIN = Border(bottom=Side(style="thin", color="999999"))


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    number_format: str | None = None


def _cell(ws: WriteOnlyWorksheet, value: Any, *, font: Font | None = None, number_format: str | None = None):
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if number_format is not None and value is not None:
        cell.number_format = number_format
    return cell


def _header_row(ws: WriteOnlyWorksheet, headers: Iterable[str], fill: PatternFill = _HEADER_FILL) -> list:
    cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = _HEADER if fill is _HEADER_FILL else Font(bold=True)
        cell.fill = fill
        cell.alignment = _WRAP
        cell.border = _THIN
        cells.append(cell)
    return cells


def _setup(ws: WriteOnlyWorksheet, columns: Sequence[Column], freeze: str) -> None:
    # Write-only sheets take widths and panes before the first row.
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = freeze


def _data_row(ws: WriteOnlyWorksheet, columns: Sequence[Column], values: Sequence[Any]) -> list:
    # A styled cell costs openpyxl several times a plain value: style only where a format is wanted
    # (the detail lists run to tens of thousands of rows).
    return [
        v if c.number_format is None or v is None else _cell(ws, v, number_format=c.number_format)
        for c, v in zip(columns, values, strict=True)
    ]


def _scale(ws: WriteOnlyWorksheet, ref: str, maximum: float) -> None:
    """Colour points against their maximum: red at 0, yellow at half, green at full marks."""
    ws.conditional_formatting.add(
        ref,
        ColorScaleRule(
            start_type="num",
            start_value=0,
            start_color=RED,
            mid_type="num",
            mid_value=maximum / 2,
            mid_color=YELLOW,
            end_type="num",
            end_value=maximum,
            end_color=GREEN,
        ),
    )


def _as_of(data: ReportData) -> str:
    return f"{data.as_of:%d/%m/%Y %H:%M}" if data.as_of else "—"


def _clock(data: ReportData) -> str:
    if data.clock is None:
        return "—"
    return f"{data.clock:%d/%m/%Y %H:%M}" + (" (cố định, PARMETRICS_CLOCK)" if data.clock_fixed else " (giờ hệ thống)")


def _ranked_text(data: ReportData) -> str:
    counts = data.ranked_counts()
    per_level = ", ".join(f"{LEVEL_LABELS[level]} {n}" for level, n in counts.items())
    return f"{sum(counts.values())} đơn vị còn hiệu lực cuối tháng {data.month_label()} ({per_level})"


def _apart_text(data: ReportData) -> str:
    ceased = data.apart_in_month(CEASED)
    per_level = ", ".join(
        f"{LEVEL_LABELS[level]} {n}" for level, _ in LEVELS if (n := sum(1 for u in ceased if u.unit_level == level))
    )
    text = f"{len(ceased)} {CEASED_LABEL} có số liệu tháng {data.month_label()}"
    text += f" ({per_level})" if per_level else ""
    unknown = data.apart_in_month(UNKNOWN)
    if unknown:
        text += f"; {len(unknown)} {UNKNOWN_LABEL}"
    return text + f" — trang «{APART_SHEET}», không xếp hạng"


def _level_columns(data: ReportData, *, ranked: bool) -> list[Column]:
    month, year = data.month_label(), data.year
    first = [Column("Hạng", 7)] if ranked else [Column("Tình trạng", 22), Column("Cấp", 14)]
    after_name = [] if ranked else [Column("Sáp nhập vào", 30)]
    return [
        *first,
        Column("Mã đơn vị", 12),
        Column("Tên đơn vị", 42),
        *after_name,
        *(Column(f"{name[0].upper()}{name[1:]} (tối đa {maximum})", 14, POINTS) for _, name, maximum in GROUP_COLUMNS),
        Column(f"Tổng điểm tháng {month}", 12, POINTS),
        Column("Điểm tối đa được tính", 12, POINTS),
        Column("Tỷ lệ điểm (tổng / tối đa được tính)", 14, PERCENT),
        Column(f"Tổng điểm năm {year}", 12, POINTS),
        Column(f"Điểm tối đa được tính năm {year}", 12, POINTS),
        Column(f"Tỷ lệ điểm năm {year}", 12, PERCENT),
        *([Column(f"Hạng năm {year}", 9)] if ranked else []),
        Column(f"Điểm CCHC (PAR) năm {year}", 12, POINTS),
        Column("Điểm PAR tối đa được tính", 12, POINTS),
        Column("Tỷ lệ điểm PAR", 11, PERCENT),
        *([Column("Hạng PAR", 9)] if ranked else []),
    ]


def _unit_values(u: UnitScore, *, ranked: bool) -> list[Any]:
    m, y, p = u.month or {}, u.year or {}, u.par or {}
    if ranked:
        first = [m.get("rank_in_level")]
    else:
        status = CEASED_LABEL if u.status == CEASED else UNKNOWN_LABEL
        first = [status[0].upper() + status[1:], LEVEL_LABELS.get(u.unit_level, u.unit_level or "—")]
    return [
        *first,
        u.unit_code,
        u.unit_name,
        *([] if ranked else [u.successor]),
        *(m.get(col) for col, _, _ in GROUP_COLUMNS),
        m.get("total_points"),
        m.get("covered_max_points"),
        m.get("score"),
        y.get("total_points"),
        y.get("covered_max_points"),
        y.get("score"),
        *([y.get("rank_in_level")] if ranked else []),
        p.get("points"),
        p.get("covered_max_points"),
        p.get("score_pct"),
        *([p.get("rank_in_level")] if ranked else []),
    ]


def _write_units(
    wb: Workbook, data: ReportData, title: str, heading: str, note: str, units: list[UnitScore], *, ranked: bool
) -> None:
    ws = wb.create_sheet(title)
    columns = _level_columns(data, ranked=ranked)
    lead = 3 if ranked else 5  # the columns before the group points: rank or status/level, code, name(, successor)
    _setup(ws, columns, f"{get_column_letter(lead + 1)}5")
    ws.append([_cell(ws, heading, font=_TITLE)])
    ws.append([_cell(ws, note, font=_NOTE)])
    n_group = len(GROUP_COLUMNS)
    year_cols, par_cols = (4, 4) if ranked else (3, 3)
    bands = [""] * lead + [f"Tháng {data.month_label()}"] * (n_group + 3)
    bands += [f"Năm {data.year} (lũy kế)"] * year_cols + [f"Chỉ số CCHC tỉnh (PAR) năm {data.year}"] * par_cols
    ws.append(_header_row(ws, bands, _BAND_FILL))
    ws.append(_header_row(ws, [c.header for c in columns]))
    first = 5
    for u in units:
        ws.append(_data_row(ws, columns, _unit_values(u, ranked=ranked)))
    last = first + max(len(units), 1) - 1
    for i, (_, _, maximum) in enumerate(GROUP_COLUMNS):
        letter = get_column_letter(lead + 1 + i)
        _scale(ws, f"{letter}{first}:{letter}{last}", maximum)
    total = get_column_letter(lead + 1 + n_group)
    ws.conditional_formatting.add(
        f"{total}{first}:{total}{last}",
        DataBarRule(start_type="num", start_value=0, end_type="num", end_value=100, color="5B9BD5"),
    )
    # The three score percentages: the month's, the year's, PAR's.
    for offset in (n_group + 2, n_group + 5, n_group + 5 + year_cols):
        letter = get_column_letter(lead + 1 + offset)
        _scale(ws, f"{letter}{first}:{letter}{last}", 1)
    ws.auto_filter.ref = f"A4:{get_column_letter(len(columns))}{last}"


def _write_level_sheet(wb: Workbook, data: ReportData, level: str) -> None:
    units = data.units[level]
    label = LEVEL_LABELS[level]
    note = (
        f"Số liệu đến {_as_of(data)}; bản công bố {data.stamp}. Chỉ xếp hạng đơn vị còn hiệu lực đến cuối kỳ; "
        "hạng theo tỷ lệ điểm (tổng điểm / điểm tối đa của các tiêu chí tính được); ô trống: tiêu chí không áp "
        "dụng hoặc không có số liệu."
    )
    ceased = [u for u in data.apart if u.unit_level == level]
    if ceased:
        note += f" {len(ceased)} đơn vị cấp {label} không xếp hạng ({CEASED_LABEL}): trang «{APART_SHEET}»."
    if not any(u.month for u in units):
        note = f"Không có đơn vị cấp {label} còn hiệu lực có số liệu trong tháng {data.month_label()}. " + note
    heading = f"Chỉ số 766 — cấp {label} — tháng {data.month_label()} — đơn vị còn hiệu lực, xếp hạng"
    _write_units(wb, data, LEVEL_SHEETS[level], heading, note, units, ranked=True)


def _write_apart(wb: Workbook, data: ReportData) -> None:
    note = (
        f"Đơn vị không còn hiệu lực cuối kỳ ({CEASED_LABEL}, như các huyện và các xã đã sáp nhập từ 01/07/2025) "
        "vẫn có số liệu của các hồ sơ còn lại nhưng không được xếp hạng và không đứng cạnh đơn vị kế thừa "
        "(METRICS.md §5). Mã đơn vị không có trong danh mục đơn vị cũng không được xếp hạng. "
        f"Số liệu đến {_as_of(data)}."
    )
    heading = f"Đơn vị đã kết thúc hoạt động — tháng {data.month_label()} và năm {data.year} — không xếp hạng"
    _write_units(wb, data, APART_SHEET, heading, note, data.apart, ranked=False)


def _since(data: ReportData) -> str:
    return f"{data.violations_since:%d/%m/%Y}" if data.violations_since else "—"


def _write_issue_counts(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet(ISSUES_SHEET)
    columns = [
        Column("Mã đơn vị", 12),
        Column("Tên đơn vị", 42),
        Column("Cấp", 14),
        Column("Hồ sơ quá hạn (đang xử lý)", 12, COUNT),
        Column("Trong đó chưa có phiếu xin lỗi", 13, COUNT),
        Column("Số ngày làm việc quá hạn nhiều nhất", 13, COUNT),
        Column("Hồ sơ sắp đến hạn (trong 2 ngày làm việc)", 13, COUNT),
        Column("Trong đó đến hạn hôm nay", 12, COUNT),
        Column(f"Tổng số vi phạm (tiếp nhận từ {_since(data)})", 13, COUNT),
        *(Column(VIOLATIONS.get(code, code), 16, COUNT) for code in data.violation_codes),
    ]
    _setup(ws, columns, "C4")
    ws.append([_cell(ws, "Hồ sơ quá hạn, sắp đến hạn và vi phạm theo đơn vị", font=_TITLE)])
    note = (
        f"Tại thời điểm số liệu ({_as_of(data)}): hồ sơ quá hạn — chưa kết thúc xử lý, đã quá hạn trả; hồ sơ sắp "
        "đến hạn — còn hạn, hạn trả trong 2 ngày làm việc tới (hôm nay là ngày 0). "
        f"Vi phạm: hồ sơ tiếp nhận từ {_since(data)}, mỗi quy tắc vi phạm của một hồ sơ tính một lần. "
        "Chi tiết theo số hồ sơ ở các trang kế tiếp."
    )
    ws.append([_cell(ws, note, font=_NOTE)])
    ws.append(_header_row(ws, [c.header for c in columns]))
    for r in data.issue_counts:
        values = [
            r["unit_code"],
            r["unit_name"],
            LEVEL_LABELS.get(r["unit_level"], r["unit_level"]),
            r["overdue"],
            r["overdue_without_apology"],
            r["max_working_days_overdue"],
            r["due_soon"],
            r["due_today"],
            r["violations"],
            *(r[code] for code in data.violation_codes),
        ]
        ws.append(_data_row(ws, columns, values))
    first, last = 4, 3 + max(len(data.issue_counts), 1)
    for i in range(3, len(columns)):
        letter = get_column_letter(i + 1)
        # White for none, deepening red for the most in the column: where to look first.
        ws.conditional_formatting.add(
            f"{letter}{first}:{letter}{last}",
            ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF", end_type="max", end_color=RED),
        )
    ws.auto_filter.ref = f"A3:{get_column_letter(len(columns))}{last}"


def _write_list(
    wb: Workbook, title: str, heading: str, columns: list[Column], rows: Iterable[Sequence[Any]], n_rows: int
) -> None:
    ws = wb.create_sheet(title)
    _setup(ws, columns, "B3")
    ws.append([_cell(ws, heading, font=_TITLE)])
    ws.append(_header_row(ws, [c.header for c in columns]))
    for values in rows:
        ws.append(_data_row(ws, columns, values))
    ws.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{2 + max(n_rows, 1)}"


# What identifies a dossier on every list sheet: the number an officer types into the one-stop system,
# then its unit and procedure.
DOSSIER_COLUMNS = (
    Column(DOSSIER_CODE, 24),
    Column("Mã đơn vị", 12),
    Column("Tên đơn vị", 36),
    Column("Cấp", 14),
    Column("Mã TTHC", 12),
)


def _dossier_cells(r: dict[str, Any]) -> list[Any]:
    return [
        r["dossier_code"],
        r["unit_code"],
        r["unit_name"],
        LEVEL_LABELS.get(r["unit_level"], r["unit_level"]),
        r["procedure_code"],
    ]


def _write_overdue(wb: Workbook, data: ReportData) -> None:
    columns = [
        *DOSSIER_COLUMNS,
        Column("Ngày tiếp nhận", 17, DATETIME),
        Column("Hạn trả", 17, DATETIME),
        Column("Số ngày làm việc quá hạn", 11),
        Column("Có phiếu xin lỗi", 10),
        Column("Tình trạng", 20),
    ]
    rows = (
        [
            *_dossier_cells(r),
            r["received_at"],
            r["due_at"],
            r["working_days_overdue"],
            "Có" if r["has_apology"] else "Không",
            TIMELINESS.get(r["timeliness"], r["timeliness"]),
        ]
        for r in data.overdue
    )
    heading = f"Danh sách hồ sơ quá hạn tại {_as_of(data)} ({len(data.overdue)} hồ sơ), nhiều ngày quá hạn nhất trước"
    _write_list(wb, OVERDUE_SHEET, heading, columns, rows, len(data.overdue))


def _write_due_soon(wb: Workbook, data: ReportData) -> None:
    columns = [
        *DOSSIER_COLUMNS,
        Column("Ngày tiếp nhận", 17, DATETIME),
        Column("Hạn trả", 17, DATETIME),
        Column("Số ngày làm việc còn lại (0 = hôm nay)", 13),
    ]
    rows = (
        [
            *_dossier_cells(r),
            r["received_at"],
            r["due_at"],
            r["working_days_left"],
        ]
        for r in data.due_soon
    )
    heading = (
        f"Danh sách hồ sơ sắp đến hạn tại {_as_of(data)} ({len(data.due_soon)} hồ sơ): còn hạn, hạn trả trong 2 ngày "
        "làm việc tới — xử lý trước khi thành vi phạm; hạn gần nhất trước"
    )
    _write_list(wb, DUE_SOON_SHEET, heading, columns, rows, len(data.due_soon))


def _write_violations(wb: Workbook, data: ReportData) -> None:
    columns = [
        *DOSSIER_COLUMNS,
        Column("Vi phạm", 36),
        Column("Mã vi phạm", 26),
        Column("Ngày tiếp nhận", 17, DATETIME),
        Column("Hạn trả", 17, DATETIME),
        Column("Ngày kết thúc xử lý", 17, DATETIME),
        Column("Tình trạng", 20),
    ]
    rows = (
        [
            *_dossier_cells(r),
            VIOLATIONS.get(r["violation_code"], r["violation_code"]),
            r["violation_code"],
            r["received_at"],
            r["due_at"],
            r["finished_at"],
            TIMELINESS.get(r["timeliness"], r["timeliness"]),
        ]
        for r in data.violations
    )
    heading = (
        f"Danh sách vi phạm của hồ sơ tiếp nhận từ {_since(data)} ({len(data.violations)} dòng), theo đơn vị, "
        "hồ sơ mới tiếp nhận trước"
    )
    _write_list(wb, VIOLATIONS_SHEET, heading, columns, rows, len(data.violations))


def _write_warnings(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet(WARNINGS_SHEET)
    columns = [
        Column("Giai đoạn", 22),
        Column("Kiểm tra", 30),
        Column("Tệp, lô dữ liệu hoặc đơn vị", 40),
        Column("Số dòng", 10, COUNT),
        Column("Nội dung (như kiểm tra ghi nhận)", 110),
    ]
    _setup(ws, columns, "A4")
    ws.append([_cell(ws, f"Cảnh báo chất lượng dữ liệu của bản công bố ({len(data.warnings)})", font=_TITLE)])
    ws.append([_cell(ws, PUBLISHED_ANYWAY, font=_NOTE)])
    ws.append(_header_row(ws, [c.header for c in columns]))
    for values in warning_rows(data.warnings):
        ws.append(_data_row(ws, columns, values))


def _write_info(wb: Workbook, data: ReportData, links: dict[str, str]) -> None:
    ws = wb.create_sheet(INFO_SHEET)
    _setup(ws, [Column("", 34), Column("", 110)], "A2")
    ws.append([_cell(ws, f"Chỉ số CCHC — {data.province_name or 'toàn tỉnh'}", font=_TITLE)])
    warnings = (
        f"{len(data.warnings)} — trang «{WARNINGS_SHEET}» (số liệu vẫn được công bố)" if data.warnings else "không có"
    )
    rows: list[tuple[str, Any]] = [
        ("Kỳ trình bày (tháng đã khóa số gần nhất)", data.month_label()),
        ("Số liệu đến (as_of)", data.as_of),
        ("Đồng hồ tham chiếu khi lập báo cáo", _clock(data)),
        ("Bản công bố", data.stamp),
        ("Đơn vị được xếp hạng", _ranked_text(data)),
        ("Trình bày riêng, không xếp hạng", _apart_text(data)),
        ("Hồ sơ quá hạn / sắp đến hạn", f"{len(data.overdue)} / {len(data.due_soon)}"),
        ("Cảnh báo chất lượng dữ liệu", warnings),
        ("Tệp dữ liệu công bố", str(data.published_db)),
        ("Các trang", "; ".join(_sheet_names(data))),
        ("Màu điểm", "đỏ = 0 điểm, vàng = một nửa điểm tối đa, xanh = đủ điểm tối đa của nhóm"),
        *links.items(),
    ]
    for name, value in rows:
        fmt = DATETIME if isinstance(value, datetime) else None
        ws.append([_cell(ws, name, font=Font(bold=True)), _cell(ws, value, number_format=fmt)])


def _sheet_names(data: ReportData) -> list[str]:
    return [
        *([WARNINGS_SHEET] if data.warnings else []),
        *LEVEL_SHEETS.values(),
        APART_SHEET,
        ISSUES_SHEET,
        OVERDUE_SHEET,
        DUE_SOON_SHEET,
        VIOLATIONS_SHEET,
    ]


def write_workbook(data: ReportData, target: Path, links: dict[str, str] | None = None) -> Path:
    """Write the workbook to ``target`` (the caller swaps it into place)."""
    wb = Workbook(write_only=True)
    _write_info(wb, data, links or {})
    if data.warnings:
        _write_warnings(wb, data)
    for level, _ in LEVELS:
        _write_level_sheet(wb, data, level)
    _write_apart(wb, data)
    _write_issue_counts(wb, data)
    _write_overdue(wb, data)
    _write_due_soon(wb, data)
    _write_violations(wb, data)
    wb.save(target)
    return target
