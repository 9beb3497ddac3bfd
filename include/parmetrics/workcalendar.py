"""The Vietnamese civil-service working-day calendar (METRICS.md §1), in one place.

Base: the ``holidays`` package (country ``VN``). It lists the swapped weekday off but not the make-up
Saturday that pays for it, and lacks the 2026 New Year swap, so both are overridden here. The dbt
calendar seed carries the same overrides; keep the two in step.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

FIRST_YEAR = 2015
LAST_YEAR = 2030

# Saturdays worked to pay for a swapped weekday off (the package names them but does not list them).
MAKE_UP_SATURDAYS = frozenset({date(2024, 5, 4), date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)})
# Days off the package lacks.
EXTRA_DAYS_OFF = frozenset({date(2026, 1, 2)})


@lru_cache(maxsize=1)
def _days_off() -> frozenset[date]:
    base = holidays.country_holidays("VN", years=range(FIRST_YEAR, LAST_YEAR + 1))
    return frozenset(base) | EXTRA_DAYS_OFF


def is_working_day(day: date) -> bool:
    if day in MAKE_UP_SATURDAYS:
        return True
    return day.weekday() < 5 and day not in _days_off()


def add_working_days(day: date, n: int) -> date:
    """The day that is ``n`` working days after ``day`` (``day`` itself not counted); ``n=0`` → ``day``."""
    current = day
    remaining = n
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def next_working_day(day: date) -> date:
    """``day`` if it is a working day, else the first working day after it."""
    current = day
    while not is_working_day(current):
        current += timedelta(days=1)
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days in ``(start, end]`` — after ``start``, up to and including ``end``; 0 if end ≤ start."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def previous_working_day(day: date) -> date:
    """The last working day strictly before ``day``."""
    current = day - timedelta(days=1)
    while not is_working_day(current):
        current -= timedelta(days=1)
    return current
