"""What ``make run`` prints: the on-time rate (766.2.1) per unit for the last closed month."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

LEVEL_ORDER = "case unit_level when 'province' then 0 when 'department' then 1 when 'district' then 2 else 3 end"


def last_closed_month(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "select max(period_start) from marts.criteria_scores where period_grain = 'month' and is_period_closed"
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def on_time_rows(published_db: Path) -> tuple[str | None, list[tuple]]:
    with duckdb.connect(str(published_db), read_only=True) as con:
        month = last_closed_month(con)
        if month is None:
            return None, []
        rows = con.execute(
            f"""
            select unit_code, unit_name, unit_level, numerator, denominator, rate, points, max_points, as_of
            from marts.criteria_scores
            where criterion_code = '766.2.1' and period_grain = 'month' and period_start = ?
            order by {LEVEL_ORDER}, rate desc nulls last, unit_code
            """,
            [month],
        ).fetchall()
    return month, rows


def print_on_time(published_db: Path, console: Console | None = None) -> int:
    """Print the table; returns the number of unit rows printed."""
    console = console or Console()
    month, rows = on_time_rows(published_db)
    if not rows:
        console.print(f"[red]No closed month of 766.2.1 in {published_db}[/red]")
        return 0
    table = Table(
        title=f"766.2.1 — hồ sơ giải quyết trước hạn, đúng hạn · tháng {month[:7]} (as of {rows[0][8]})",
        caption=f"source: {published_db}",
    )
    for col, justify in [
        ("unit", "left"),
        ("name", "left"),
        ("level", "left"),
        ("on time", "right"),
        ("in scope", "right"),
        ("rate", "right"),
        ("points", "right"),
    ]:
        table.add_column(col, justify=justify)
    for code, name, level, num, den, rate, points, max_points, _ in rows:
        table.add_row(
            code,
            name or "—",
            level or "—",
            f"{num:,.0f}",
            f"{den:,.0f}",
            "—" if rate is None else f"{rate:.1%}",
            "—" if points is None else f"{points:.2f}/{max_points:.0f}",
        )
    console.print(table)
    return len(rows)
