"""The static HTML report: one self-contained file (styles, script and data inlined) whose charts the
browser draws as SVG from the embedded JSON. Nothing is fetched when it is viewed: it opens from a
shared folder or an e-mail attachment as well as from a web server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Any

from parmetrics.reports.data import (
    CEASED,
    CEASED_LABEL,
    GROUP_COLUMNS,
    LEVEL_LABELS,
    LEVELS,
    UNKNOWN,
    UNKNOWN_LABEL,
    VIOLATIONS,
    ReportData,
)
from parmetrics.reports.warnings import PUBLISHED_ANYWAY, warning_rows

TOP_ISSUES = 10


@dataclass(frozen=True)
class Link:
    label: str
    href: str | None  # relative to the report; None when the target does not exist yet
    missing: str = ""  # what to say instead when it does not


def _asset(name: str) -> str:
    return resources.files("parmetrics.reports").joinpath(name).read_text(encoding="utf-8")


def _script_json(payload: dict[str, Any]) -> str:
    # Inside <script>, "</script>" or "<!--" in a unit name would end the block: escape every "<", ">"
    # and "&" as JSON unicode escapes, which JSON.parse reads back unchanged.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_payload(data: ReportData) -> dict[str, Any]:
    """The JSON the charts are drawn from: the marts' values, arranged per chart."""
    months = [m.isoformat() for m in data.trend_months]
    levels = []
    unit_groups: dict[str, list[float | None]] = {}
    names = {code: entry["name"] for code, entry in data.trend.items()}
    for level, label in LEVELS:
        ranked = []
        for u in data.units[level]:
            names[u.unit_code] = u.unit_name
            if u.month is None:
                continue
            ranked.append(
                {
                    "code": u.unit_code,
                    "name": u.unit_name,
                    "rank": u.month["rank_in_level"],
                    "score": u.month["score"],
                    "total": u.month["total_points"],
                    "covered": u.month["covered_max_points"],
                }
            )
            unit_groups[u.unit_code] = [u.month[col] for col, _, _ in GROUP_COLUMNS]
        levels.append({"level": level, "label": label, "units": ranked})
    trend = {
        code: {
            "name": entry["name"],
            "level": entry["level"],
            "inForce": entry.get("in_force", True),
            "points": [entry["points"].get(m) for m in months],
            "covered": [entry["covered"].get(m) for m in months],
        }
        for code, entry in data.trend.items()
    }
    selectable = {level: [c for c, e in data.trend.items() if e["level"] == level] for level, _ in LEVELS}
    # The unit drawn first: the best department of the month (the level leaders compare most), else the
    # province alone.
    departments = [u["code"] for u in levels[1]["units"] if u["code"] in trend]
    return {
        "province": {"code": data.province_code, "name": data.province_name},
        "month": data.month.isoformat(),
        "monthLabel": data.month_label(),
        "months": months,
        "monthLabels": [f"{m.month:02d}/{m.year}" for m in data.trend_months],
        "groups": [
            {"key": col, "label": name[0].upper() + name[1:], "max": maximum} for col, name, maximum in GROUP_COLUMNS
        ],
        "levels": levels,
        "trend": trend,
        "selectable": selectable,
        "unitGroups": unit_groups,
        "unitNames": names,
        "defaultUnit": departments[0] if departments else data.province_code,
    }


def _links_html(links: list[Link]) -> str:
    items = []
    for link in links:
        if link.href:
            items.append(f'<li><a href="{escape(link.href)}">{escape(link.label)}</a></li>')
        else:
            items.append(f'<li class="missing">{escape(link.label)}: {escape(link.missing)}</li>')
    return "<ul>" + "".join(items) + "</ul>"


def _unit(name: str | None, code: str) -> str:
    return f"{escape(name or '—')} <span class='code'>({escape(code)})</span>"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}".replace(".", ",") + " %"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _table(headers: list[str], rows: list[str], css: str = "") -> str:
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in headers)
    cls = f" class='{css}'" if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _issues_html(data: ReportData) -> str:
    rows = sorted(data.issue_counts, key=lambda r: (-r["overdue"], -r["violations"], r["unit_code"]))
    rows = [r for r in rows if r["overdue"] or r["violations"]][:TOP_ISSUES]
    if not rows:
        return '<p class="note">Không có hồ sơ quá hạn hay vi phạm nào.</p>'
    body = []
    for r in rows:
        worst = max(data.violation_codes, key=lambda c: r[c], default=None)
        worst_text = f"{VIOLATIONS.get(worst, worst)} ({r[worst]})" if worst and r[worst] else "—"
        body.append(
            "<tr>"
            f"<td>{_unit(r['unit_name'], r['unit_code'])}</td>"
            f"<td>{escape(LEVEL_LABELS.get(r['unit_level'], r['unit_level'] or '—'))}</td>"
            f"<td class='num'>{r['overdue']}</td><td class='num'>{r['overdue_without_apology']}</td>"
            f"<td class='num'>{r['violations']}</td><td>{escape(worst_text)}</td>"
            "</tr>"
        )
    headers = ["Đơn vị", "Cấp", "Hồ sơ quá hạn", "Chưa có phiếu xin lỗi", "Tổng vi phạm", "Vi phạm nhiều nhất"]
    return _table(headers, body)


def _due_soon_html(data: ReportData) -> str:
    """Dossiers due within the next two working days, counted per unit (the workbook lists them)."""
    if not data.due_soon:
        return '<p class="note">Không có hồ sơ nào đến hạn trong 2 ngày làm việc tới.</p>'
    per_unit: dict[str, dict] = {}
    for r in data.due_soon:
        entry = per_unit.setdefault(
            r["unit_code"], {"name": r["unit_name"], "level": r["unit_level"], "days": [0, 0, 0], "total": 0}
        )
        entry["total"] += 1
        entry["days"][min(max(int(r["working_days_left"]), 0), 2)] += 1
    order = {level: i for i, (level, _) in enumerate(LEVELS)}
    body = [
        f"<tr data-unit='{escape(code)}'><td>{_unit(e['name'], code)}</td>"
        f"<td>{escape(LEVEL_LABELS.get(e['level'], e['level'] or '—'))}</td>"
        f"<td class='num due-soon-count'>{e['total']}</td>"
        + "".join(f"<td class='num'>{n}</td>" for n in e["days"])
        + "</tr>"
        for code, e in sorted(per_unit.items(), key=lambda kv: (-kv[1]["total"], order.get(kv[1]["level"], 9), kv[0]))
    ]
    headers = ["Đơn vị", "Cấp", "Hồ sơ sắp đến hạn", "Đến hạn hôm nay", "Sau 1 ngày làm việc", "Sau 2 ngày làm việc"]
    return _table(headers, body, "due-soon")


def _apart_html(data: ReportData) -> str:
    """The residual figures of the units that are not ranked, apart from every ranking."""
    units = [u for u in data.apart if u.month is not None]
    if not units:
        return f'<p class="note">Không có {CEASED_LABEL} nào có số liệu trong tháng {data.month_label()}.</p>'
    body = []
    for u in units:
        m = u.month or {}
        status = CEASED_LABEL if u.status == CEASED else UNKNOWN_LABEL
        body.append(
            f"<tr data-unit='{escape(u.unit_code)}'><td>{_unit(u.unit_name, u.unit_code)}</td>"
            f"<td>{escape(LEVEL_LABELS.get(u.unit_level, u.unit_level or '—'))}</td>"
            f"<td>{escape(status[0].upper() + status[1:])}</td><td>{escape(u.successor or '—')}</td>"
            f"<td class='num'>{_points(m.get('total_points'))}</td>"
            f"<td class='num'>{_points(m.get('covered_max_points'))}</td>"
            f"<td class='num'>{_pct(m.get('score'))}</td></tr>"
        )
    headers = ["Đơn vị", "Cấp", "Tình trạng", "Sáp nhập vào", "Tổng điểm", "Điểm tối đa được tính", "Tỷ lệ điểm"]
    return _table(headers, body, "apart")


def _warnings_html(data: ReportData) -> str:
    """The data-quality section: only when the publication has warnings (reports/warnings.py)."""
    if not data.warnings:
        return ""
    headers = ["Giai đoạn", "Kiểm tra", "Tệp, lô dữ liệu hoặc đơn vị", "Số dòng", "Nội dung"]
    body = []
    for stage, check, subject, count, message in warning_rows(data.warnings):
        shown = "—" if count is None else f"{count:,}".replace(",", ".")
        body.append(
            f"<tr class='warning'><td>{escape(stage)}</td><td>{escape(check)}</td><td>{escape(subject)}</td>"
            f"<td class='num'>{shown}</td><td>{escape(message)}</td></tr>"
        )
    return f"""<section id="data-quality" aria-labelledby="h-warnings">
<h2 id="h-warnings">Cảnh báo chất lượng dữ liệu ({len(data.warnings)})</h2>
<p class="note">{escape(PUBLISHED_ANYWAY)} Chi tiết: trang «Cảnh báo dữ liệu» của tệp Excel và GX Data Docs.</p>
{_table(headers, body, "warnings")}
</section>"""


def _counts_html(data: ReportData) -> str:
    counts = data.ranked_counts()
    ranked = ", ".join(f"{LEVEL_LABELS[level]} {n}" for level, n in counts.items())
    ceased = data.apart_in_month(CEASED)
    per_level = ", ".join(
        f"{LEVEL_LABELS[level]} {n}" for level, _ in LEVELS if (n := sum(1 for u in ceased if u.unit_level == level))
    )
    unknown = data.apart_in_month(UNKNOWN)
    text = (
        f"Xếp hạng <strong id='ranked-count'>{sum(counts.values())}</strong> đơn vị còn hiệu lực cuối tháng "
        f"({escape(ranked)}); trình bày riêng, không xếp hạng: <strong id='ceased-count'>{len(ceased)}</strong> "
        f"{escape(CEASED_LABEL)}" + (f" ({escape(per_level)})" if per_level else "")
    )
    if unknown:
        text += f" và {len(unknown)} {escape(UNKNOWN_LABEL)}"
    return f'<p class="meta counts">{text}.</p>'


def render_html(data: ReportData, links: list[Link]) -> str:
    """The whole page as one string."""
    province = escape(data.province_name or "toàn tỉnh")
    as_of = f"{data.as_of:%d/%m/%Y %H:%M}" if data.as_of else "—"
    clock = "—"
    if data.clock is not None:
        clock = f"{data.clock:%d/%m/%Y %H:%M}" + (" (cố định)" if data.clock_fixed else " (giờ hệ thống)")
    since = f"{data.violations_since:%d/%m/%Y}" if data.violations_since else "—"
    month = data.month_label()
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chỉ số CCHC — {province} — tháng {month}</title>
<style>
{_asset("report.css")}
</style>
</head>
<body>
<header>
<h1>Chỉ số 766 và CCHC — {province}</h1>
<p class="meta">Kỳ trình bày: tháng đã khóa số gần nhất <strong id="period">{month}</strong> · số liệu đến
<span id="as-of">{as_of}</span> · đồng hồ tham chiếu <span id="clock">{clock}</span> · bản công bố
<code id="stamp">{escape(data.stamp)}</code></p>
{_counts_html(data)}
<nav aria-label="Tài liệu và dữ liệu">{_links_html(links)}</nav>
</header>
<main>
<noscript><p id="noscript">Cần bật JavaScript để vẽ biểu đồ; số liệu có trong tệp Excel cùng thư mục.</p></noscript>
<p id="report-error" role="alert"></p>
{_warnings_html(data)}
<section aria-labelledby="h-ranking">
<h2 id="h-ranking">Xếp hạng đơn vị còn hiệu lực theo chỉ số 766 — tháng {month}</h2>
<p class="note">Mỗi thanh là một đơn vị còn hiệu lực đến cuối tháng: tỷ lệ điểm = tổng điểm / điểm tối đa của
các tiêu chí tính được (cách các bảng điểm xếp hạng); đơn vị đồng hạng có cùng thứ hạng. Đơn vị đã kết thúc hoạt
động không được xếp hạng: số liệu còn lại của chúng ở mục riêng bên dưới.</p>
<div id="ranking-charts"></div>
</section>
<section id="apart" aria-labelledby="h-apart">
<h2 id="h-apart">Đơn vị đã kết thúc hoạt động — số liệu còn lại tháng {month}, không xếp hạng</h2>
<p class="note">Đơn vị không còn hiệu lực cuối kỳ (các huyện và các xã đã sáp nhập từ 01/07/2025) giữ số liệu của
các hồ sơ còn lại, nhưng không xếp hạng và không đứng cạnh đơn vị kế thừa. Số liệu năm: trang «Đơn vị đã kết thúc
hoạt động» của tệp Excel.</p>
{_apart_html(data)}
</section>
<section aria-labelledby="h-unit">
<h2 id="h-unit">Diễn biến và các nhóm chỉ số của một đơn vị</h2>
<p><label for="unit-select">Đơn vị</label><select id="unit-select"></select></p>
<h3>Tổng điểm 766 theo tháng ({len(data.trend_months)} tháng), so với toàn tỉnh</h3>
<div id="trend-chart" class="chart trend"></div>
<h3>Điểm 6 nhóm chỉ số 766 — tháng {month} (thanh đầy = điểm tối đa của nhóm)</h3>
<div id="group-chart" class="chart groups"></div>
</section>
<section aria-labelledby="h-due-soon">
<h2 id="h-due-soon">Hồ sơ sắp đến hạn — {len(data.due_soon)} hồ sơ, theo đơn vị</h2>
<p class="note">Hồ sơ còn hạn tại thời điểm số liệu ({as_of}) có hạn trả trong 2 ngày làm việc tới (hôm nay là
ngày 0): xử lý trước khi thành vi phạm. Danh sách theo số hồ sơ: trang «DS hồ sơ sắp đến hạn» của tệp Excel.</p>
{_due_soon_html(data)}
</section>
<section aria-labelledby="h-issues">
<h2 id="h-issues">Hồ sơ quá hạn và vi phạm — {TOP_ISSUES} đơn vị cần xử lý trước</h2>
<p class="note">Hồ sơ quá hạn tại thời điểm số liệu; vi phạm của hồ sơ tiếp nhận từ {since}.</p>
{_issues_html(data)}
<p class="note">Danh sách đầy đủ theo số hồ sơ: các trang «Quá hạn, sắp đến hạn, vi phạm», «DS hồ sơ quá hạn» và
«DS vi phạm» của tệp Excel.</p>
</section>
</main>
<script type="application/json" id="report-data">{_script_json(chart_payload(data))}</script>
<script>
{_asset("report.js")}
</script>
</body>
</html>
"""
