"""What ``make run`` prints, from the published file, for the last closed month:

the province's Decision 766 scorecard (group points), the top and bottom five units by score
(total / covered maximum), and every unit's on-time rate (766.2.1) with its 766 score and rank.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

LEVEL_ORDER = "case unit_level when 'province' then 0 when 'department' then 1 when 'district' then 2 else 3 end"
GROUPS = (
    ("transparency_points", "công khai, minh bạch", 18),
    ("progress_points", "tiến độ giải quyết", 20),
    ("online_service_points", "dịch vụ trực tuyến", 12),
    ("online_payment_points", "thanh toán trực tuyến", 10),
    ("digitisation_points", "số hóa hồ sơ", 22),
    ("satisfaction_points", "mức độ hài lòng", 18),
)


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def last_closed_month(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "select max(period_start) from marts.criteria_scores where period_grain = 'month' and is_period_closed"
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def unit_rows(con: duckdb.DuckDBPyConnection, month: str) -> list[tuple]:
    """Every unit of the month: on-time figures (766.2.1) and the 766 scorecard's total and rank."""
    return con.execute(
        f"""
        select s.unit_code, s.unit_name, s.unit_level, c.numerator, c.denominator, c.rate,
               s.total_points, s.covered_max_points, s.total_points / nullif(s.covered_max_points, 0) as score,
               s.rank_in_level, s.as_of
        from marts.scorecard_766 as s
        left join marts.criteria_scores as c
          on c.unit_code = s.unit_code and c.period_grain = s.period_grain and c.period_start = s.period_start
         and c.criterion_code = '766.2.1'
        where s.period_grain = 'month' and s.period_start = ?
        order by {LEVEL_ORDER.replace("unit_level", "s.unit_level")}, s.rank_in_level, s.unit_code
        """,
        [month],
    ).fetchall()


def print_scorecard(published_db: Path, console: Console | None = None) -> int:
    """Print the three tables; returns the number of unit rows (0 when nothing is published)."""
    console = console or Console()
    if not published_db.exists():
        console.print(f"[red]Nothing published at {published_db}[/red]")
        return 0
    with duckdb.connect(str(published_db), read_only=True) as con:
        month = last_closed_month(con)
        rows = unit_rows(con, month) if month else []
        province = (
            con.execute(
                "select * from marts.scorecard_766 where period_grain = 'month' and period_start = ? "
                "and unit_level = 'province'",
                [month],
            ).df()
            if month
            else None
        )
    if not rows:
        console.print(f"[red]No closed month in {published_db}[/red]")
        return 0
    as_of = rows[0][10]
    if province is not None and len(province):
        p = province.iloc[0]
        table = Table(title=f"Chỉ số 766 — {p['unit_name']} · tháng {month[:7]} (as of {as_of})")
        table.add_column("group")
        table.add_column("points", justify="right")
        table.add_column("max", justify="right")
        for column, name, maximum in GROUPS:
            table.add_row(name, _num(p[column]), str(maximum))
        table.add_row(
            "[b]total[/b]",
            f"[b]{_num(p['total_points'])}[/b]",
            f"{_num(p['covered_max_points'], 0)} covered of 100",
        )
        console.print(table)
    units = [r for r in rows if r[2] != "province" and r[8] is not None]
    ranked = sorted(units, key=lambda r: (-r[8], r[0]))
    for title, chosen in (("Top five units", ranked[:5]), ("Bottom five units", ranked[-5:][::-1])):
        table = Table(title=f"{title} by 766 score (total / covered max) · {month[:7]}")
        for col in ("unit", "name", "level", "score", "points", "on time (766.2.1)"):
            table.add_column(col, justify="right" if col in ("score", "points") else "left")
        for r in chosen:
            table.add_row(r[0], r[1] or "—", r[2] or "—", _pct(r[8]), f"{_num(r[6])}/{_num(r[7], 0)}", _pct(r[5]))
        console.print(table)
    table = Table(
        title=f"766.2.1 — hồ sơ giải quyết trước hạn, đúng hạn, per unit · tháng {month[:7]}",
        caption=f"source: {published_db}",
    )
    for col, justify in [
        ("unit", "left"),
        ("name", "left"),
        ("level", "left"),
        ("on time", "right"),
        ("in scope", "right"),
        ("rate", "right"),
        ("766 score", "right"),
        ("rank in level", "right"),
    ]:
        table.add_column(col, justify=justify)
    for code, name, level, num, den, rate, _, _, score, rank, _ in rows:
        table.add_row(
            code, name or "—", level or "—", _num(num, 0), _num(den, 0), _pct(rate), _pct(score), str(rank or "—")
        )
    console.print(table)
    return len(rows)
