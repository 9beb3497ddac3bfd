"""A lookup-table view of :mod:`parmetrics.workcalendar` for the generators' hot loops.

Not a second calendar: every answer is precomputed from ``workcalendar.is_working_day`` (the one
calendar, which reads the dbt seed of overrides) over its years; dates outside them fall back to it.
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from functools import lru_cache

from parmetrics import workcalendar


@lru_cache(maxsize=1)
def _table() -> tuple[date, list[bool], list[int], list[date]]:
    """(first day, is-working flags by offset, working days up to and including offset, working days)."""
    first = date(workcalendar.FIRST_YEAR, 1, 1)
    last = date(workcalendar.LAST_YEAR, 12, 31)
    flags, counts, working = [], [], []
    day, n = first, 0
    while day <= last:
        w = workcalendar.is_working_day(day)
        flags.append(w)
        if w:
            n += 1
            working.append(day)
        counts.append(n)
        day += timedelta(days=1)
    return first, flags, counts, working


def is_working_day(day: date) -> bool:
    first, flags, _, _ = _table()
    i = (day - first).days
    return flags[i] if 0 <= i < len(flags) else workcalendar.is_working_day(day)


def add_working_days(day: date, n: int) -> date:
    """Same as :func:`parmetrics.workcalendar.add_working_days`."""
    if n <= 0:
        return day
    first, _, counts, working = _table()
    i = (day - first).days
    k = counts[i] + n - 1 if 0 <= i < len(counts) else -1
    if 0 <= k < len(working):
        return working[k]
    return workcalendar.add_working_days(day, n)


def next_working_day(day: date) -> date:
    return day if is_working_day(day) else add_working_days(day, 1)


def previous_working_day(day: date) -> date:
    _, _, _, working = _table()
    i = bisect.bisect_left(working, day)
    if 0 < i <= len(working) and (i < len(working) or working[-1] < day):
        return working[i - 1]
    return workcalendar.previous_working_day(day)
