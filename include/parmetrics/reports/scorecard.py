"""What ``make run`` (and ``parmetrics scorecard``) prints, from the published file, for the last closed month.

A header naming the month shown, the data's ``as_of``, the reference clock and the publication stamp,
with how many units were ranked and how many ceased units are shown apart; the province's Decision 766
scorecard (group points); the top and bottom five units in force by score (total / covered maximum); every
unit in force with its on-time rate (766.2.1), 766 score and rank in its level; then, apart and labelled,
the residual figures of the units that have ceased ("đơn vị đã kết thúc hoạt động", METRICS.md §5) and of
unit codes the reference units do not know — never in a ranking, never beside their successors.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from parmetrics.reports.data import (
    CEASED,
    CEASED_LABEL,
    GROUPS,
    LEVELS,
    RANKED,
    UNKNOWN,
    UNKNOWN_LABEL,
    MonthUnit,
    ReportDataError,
    clock_now,
    last_closed_month,
    month_units,
    stamp_of_file,
)

__all__ = ["GROUPS", "last_closed_month", "print_scorecard", "unit_rows"]
PLURAL = {"province": "province", "department": "departments", "district": "districts", "commune": "communes"}


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _when(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def unit_rows(con: duckdb.DuckDBPyConnection, month: str) -> list[MonthUnit]:
    """Every unit of the month: on-time figures (766.2.1), the 766 scorecard's total and rank, its status."""
    return month_units(con, month)


def _by_level(units: list[MonthUnit], *, zeros: bool = True) -> str:
    counts = {level: sum(1 for u in units if u.unit_level == level) for level, _ in LEVELS}
    return ", ".join(f"{PLURAL[level]} {n}" for level, n in counts.items() if n or zeros)


def _header(
    console: Console, published_db: Path, month: str, units: list[MonthUnit], clock: tuple[datetime, bool] | None
) -> None:
    try:
        stamp = stamp_of_file(published_db)
    except ReportDataError:
        stamp = "—"
    now, fixed = clock or clock_now()
    as_of = next((u.as_of for u in units if u.as_of is not None), None)
    ranked = [u for u in units if u.status == RANKED]
    ceased = [u for u in units if u.status == CEASED]
    unknown = [u for u in units if u.status == UNKNOWN]
    console.print(f"[b]Month shown: {month[:7]}[/b] (the last closed month) · publication {stamp}")
    console.print(
        f"Data as of {_when(as_of)} (as_of: T of the lists and of the running period) · reference clock "
        f"{_when(now)} ({'PARMETRICS_CLOCK' if fixed else 'wall clock'})"
    )
    console.print(f"[b]Ranked: {len(ranked)} units[/b] in force at the month's end ({_by_level(ranked)})")
    apart = f"[b]Shown apart, not ranked: {len(ceased)} ceased units[/b] — {CEASED_LABEL}"
    if ceased:
        apart += f" ({_by_level(ceased, zeros=False)})"
    console.print(apart)
    if unknown:
        console.print(
            f"Shown apart, not ranked: {len(unknown)} unit codes unknown to the reference units — {UNKNOWN_LABEL}"
        )


def _province_table(con: duckdb.DuckDBPyConnection, month: str, as_of: datetime | None) -> Table | None:
    cur = con.execute(
        "select * from marts.scorecard_766 where period_grain = 'month' and period_start = ? "
        "and unit_level = 'province'",
        [month],
    )
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        return None
    p = dict(zip(names, row, strict=True))
    table = Table(title=f"Chỉ số 766 — {p['unit_name']} · tháng {month[:7]} (as of {_when(as_of)})")
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
    return table


def _five(title: str, chosen: list[MonthUnit]) -> Table:
    table = Table(title=title)
    for col in ("unit", "name", "level", "rank in level", "score", "points", "on time (766.2.1)"):
        table.add_column(col, justify="right" if col in ("rank in level", "score", "points") else "left")
    for u in chosen:
        table.add_row(
            u.unit_code,
            u.unit_name or "—",
            u.unit_level or "—",
            str(u.rank_in_level),
            _pct(u.score),
            f"{_num(u.total_points)}/{_num(u.covered_max_points, 0)}",
            _pct(u.on_time_rate),
        )
    return table


def _on_time_table(title: str, units: list[MonthUnit], *, ranked: bool, caption: str | None = None) -> Table:
    table = Table(title=title, caption=caption)
    columns = [("unit", "left"), ("name", "left"), ("level", "left")]
    if not ranked:
        columns.append(("merged into", "left"))
    columns += [("on time", "right"), ("in scope", "right"), ("rate", "right"), ("766 score", "right")]
    if ranked:
        columns.append(("rank in level", "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for u in units:
        cells = [u.unit_code, u.unit_name or "—", u.unit_level or "—"]
        if not ranked:
            cells.append(u.successor or "—")
        cells += [_num(u.on_time, 0), _num(u.in_scope, 0), _pct(u.on_time_rate), _pct(u.score)]
        if ranked:
            cells.append(str(u.rank_in_level) if u.rank_in_level is not None else "—")
        table.add_row(*cells)
    return table


def print_scorecard(
    published_db: Path, console: Console | None = None, *, clock: tuple[datetime, bool] | None = None
) -> int:
    """Print the summary; returns the number of unit rows of the month (0 when nothing is published).

    ``clock``: (the reference clock, whether it is fixed) of the run that published, when the caller
    knows it (the demo fixes it for Airflow's processes, not its own); else this process's.
    """
    console = console or Console()
    if not published_db.exists():
        console.print(f"[red]Nothing published at {published_db}[/red]")
        return 0
    with duckdb.connect(str(published_db), read_only=True) as con:
        month = last_closed_month(con)
        units = month_units(con, month) if month else []
        province = _province_table(con, month, next((u.as_of for u in units), None)) if units else None
    if not units:
        console.print(f"[red]No closed month in {published_db}[/red]")
        return 0
    _header(console, published_db, month, units, clock)
    if province is not None:
        console.print(province)
    ranked = [u for u in units if u.status == RANKED]
    scored = sorted((u for u in ranked if u.unit_level != "province" and u.score is not None), key=lambda u: -u.score)
    label = f"units in force by 766 score (total / covered max) · {month[:7]}"
    console.print(_five(f"Top five {label}", scored[:5]))
    console.print(_five(f"Bottom five {label}", scored[-5:][::-1]))
    console.print(
        _on_time_table(
            f"766.2.1 — hồ sơ giải quyết trước hạn, đúng hạn, per unit in force · tháng {month[:7]}",
            ranked,
            ranked=True,
            caption=f"source: {published_db}",
        )
    )
    for status, label in ((CEASED, CEASED_LABEL), (UNKNOWN, UNKNOWN_LABEL)):
        apart = [u for u in units if u.status == status]
        if apart:
            title = f"Not ranked — {label}: residual figures · tháng {month[:7]}"
            console.print(_on_time_table(title, apart, ranked=False))
    return len(units)
