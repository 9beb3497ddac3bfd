"""The Vietnamese civil-service working-day calendar (METRICS.md §1), in one place for Python.

Base: the ``holidays`` package (country ``VN``) plus the overrides of the dbt seed
``calendar_overrides.csv`` (make-up Saturdays worked, days off the package lacks). Reading the seed
keeps this calendar and the dbt model ``int_working_days`` identical by construction.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import lru_cache

import holidays

from parmetrics.config import DBT_PROJECT_DIR

FIRST_YEAR = 2015
LAST_YEAR = 2030
OVERRIDES_SEED = DBT_PROJECT_DIR / "seeds" / "calendar_overrides.csv"


@lru_cache(maxsize=1)
def overrides() -> dict[date, bool]:
    """Date → is it a working day, as the seed overrides the package."""
    with OVERRIDES_SEED.open(encoding="utf-8") as fh:
        return {date.fromisoformat(r["calendar_date"]): r["is_working_day"] == "true" for r in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def _days_off() -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=range(FIRST_YEAR, LAST_YEAR + 1)))


def is_working_day(day: date) -> bool:
    override = overrides().get(day)
    if override is not None:
        return override
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
