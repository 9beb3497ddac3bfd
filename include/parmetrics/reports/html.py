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

from parmetrics.reports.data import GROUP_COLUMNS, LEVELS, VIOLATIONS, ReportData

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


def _issues_html(data: ReportData) -> str:
    rows = sorted(data.issue_counts, key=lambda r: (-r["overdue"], -r["violations"], r["unit_code"]))[:TOP_ISSUES]
    if not rows:
        return '<p class="note">Không có hồ sơ quá hạn hay vi phạm nào.</p>'
    level_labels = dict(LEVELS)
    head = "".join(
        f"<th scope='col'>{escape(h)}</th>"
        for h in ("Đơn vị", "Cấp", "Hồ sơ quá hạn", "Chưa có phiếu xin lỗi", "Tổng vi phạm", "Vi phạm nhiều nhất")
    )
    body = []
    for r in rows:
        worst = max(data.violation_codes, key=lambda c: r[c], default=None)
        worst_text = f"{VIOLATIONS.get(worst, worst)} ({r[worst]})" if worst and r[worst] else "—"
        body.append(
            "<tr>"
            f"<td>{escape(r['unit_name'] or r['unit_code'])}</td>"
            f"<td>{escape(level_labels.get(r['unit_level'], r['unit_level'] or '—'))}</td>"
            f"<td class='num'>{r['overdue']}</td><td class='num'>{r['overdue_without_apology']}</td>"
            f"<td class='num'>{r['violations']}</td><td>{escape(worst_text)}</td>"
            "</tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(data: ReportData, links: list[Link]) -> str:
    """The whole page as one string."""
    province = escape(data.province_name or "toàn tỉnh")
    as_of = f"{data.as_of:%d/%m/%Y %H:%M}" if data.as_of else "—"
    since = f"{data.violations_since:%d/%m/%Y}" if data.violations_since else "—"
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chỉ số CCHC — {province} — tháng {data.month_label()}</title>
<style>
{_asset("report.css")}
</style>
</head>
<body>
<header>
<h1>Chỉ số 766 và CCHC — {province}</h1>
<p class="meta">Tháng đã khóa số gần nhất: <strong>{data.month_label()}</strong> · số liệu đến {as_of} ·
bản công bố <code>{escape(data.stamp)}</code></p>
<nav aria-label="Tài liệu và dữ liệu">{_links_html(links)}</nav>
</header>
<main>
<noscript><p id="noscript">Cần bật JavaScript để vẽ biểu đồ; số liệu có trong tệp Excel cùng thư mục.</p></noscript>
<p id="report-error" role="alert"></p>
<section aria-labelledby="h-ranking">
<h2 id="h-ranking">Xếp hạng đơn vị theo chỉ số 766 — tháng {data.month_label()}</h2>
<p class="note">Mỗi thanh là một đơn vị: tỷ lệ điểm = tổng điểm / điểm tối đa của các tiêu chí tính được
(cách các bảng điểm xếp hạng); đơn vị đồng hạng có cùng thứ hạng.</p>
<div id="ranking-charts"></div>
</section>
<section aria-labelledby="h-unit">
<h2 id="h-unit">Diễn biến và các nhóm chỉ số của một đơn vị</h2>
<p><label for="unit-select">Đơn vị</label><select id="unit-select"></select></p>
<h3>Tổng điểm 766 theo tháng ({len(data.trend_months)} tháng), so với toàn tỉnh</h3>
<div id="trend-chart" class="chart trend"></div>
<h3>Điểm 6 nhóm chỉ số 766 — tháng {data.month_label()} (thanh đầy = điểm tối đa của nhóm)</h3>
<div id="group-chart" class="chart groups"></div>
</section>
<section aria-labelledby="h-issues">
<h2 id="h-issues">Hồ sơ quá hạn và vi phạm — {TOP_ISSUES} đơn vị cần xử lý trước</h2>
<p class="note">Hồ sơ quá hạn tại thời điểm số liệu; vi phạm của hồ sơ tiếp nhận từ {since}.</p>
{_issues_html(data)}
<p class="note">Danh sách đầy đủ theo từng hồ sơ: các trang «Quá hạn, vi phạm», «DS hồ sơ quá hạn» và «DS vi phạm» của
tệp Excel.</p>
</section>
</main>
<script type="application/json" id="report-data">{_script_json(chart_payload(data))}</script>
<script>
{_asset("report.js")}
</script>
</body>
</html>
"""
