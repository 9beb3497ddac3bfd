"""Typical BI queries on the published file, as a dashboard runs them: median and p95 latency.

One read-only connection (as a BI tool keeps one open; opening it is timed separately), each query run
``runs`` times with its rows fetched. The scorecard is the query ``parmetrics scorecard`` prints.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import duckdb

from parmetrics.reports.scorecard import last_closed_month, unit_rows

TREND = """
select period_start, criterion_code, numerator, denominator, rate, points
from marts.criteria_scores
where unit_code = ? and period_grain = 'month' and period_start > cast(? as date) - interval 24 month
order by period_start, criterion_code
"""
OVERDUE = """
select unit_code, unit_name, procedure_code, received_at, due_at, working_days_overdue, has_apology
from marts.overdue_dossiers
order by working_days_overdue desc, due_at, dossier_key
limit 1000
"""


def _latencies(run, runs: int) -> dict[str, Any]:
    times, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = len(run())
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
    return {"runs": runs, "rows": rows, "median_ms": statistics.median(times), "p95_ms": p95, "max_ms": times[-1]}


def run_bi_queries(published_db: Path, runs: int = 50) -> dict[str, Any]:
    started = time.perf_counter()
    con = duckdb.connect(str(published_db), read_only=True)
    connect_ms = (time.perf_counter() - started) * 1000
    try:
        month = last_closed_month(con)
        if month is None:
            raise RuntimeError(f"no closed month in {published_db}: nothing for the BI queries to read")
        # The unit with the most dossiers in the month: the longest trend and the busiest scorecard row.
        unit = con.execute(
            "select unit_code from marts.criteria_scores where criterion_code = '766.2.1' and period_grain = 'month' "
            "and period_start = ? and unit_level != 'province' order by denominator desc, unit_code limit 1",
            [month],
        ).fetchone()[0]
        queries = {
            "scorecard_month": lambda: unit_rows(con, month),
            "unit_trend_24_months": lambda: con.execute(TREND, [unit, month]).fetchall(),
            "overdue_list": lambda: con.execute(OVERDUE).fetchall(),
        }
        results = {name: _latencies(run, runs) for name, run in queries.items()}
    finally:
        con.close()
    return {"connect_ms": connect_ms, "month": month, "unit": unit, "queries": results}
