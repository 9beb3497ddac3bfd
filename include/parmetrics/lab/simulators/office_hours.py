"""When things happen in a simulated office: office hours on working days, and the source's timestamps."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from parmetrics.lab.simulators.fastcal import add_working_days, is_working_day, next_working_day

DAY_START = time(7, 30)
DAY_END = time(17, 0)


def format_ts(value: datetime | None) -> str | None:
    """``yyyyMMddHHmmss`` (same as ``parmetrics.timestamps.format_ts``, ~3x faster: the hot loop)."""
    if value is None:
        return None
    iso = value.isoformat()
    return iso[0:4] + iso[5:7] + iso[8:10] + iso[11:13] + iso[14:16] + iso[17:19]


def working_time(day: date, rng: random.Random, earliest: datetime | None = None) -> datetime:
    """A random office-hours instant on `day` (or the next working day), not before `earliest`."""
    day = next_working_day(day)
    lower = datetime.combine(day, DAY_START)
    if earliest is not None and earliest > lower:
        lower = earliest
    upper = datetime.combine(day, DAY_END)
    if lower >= upper - timedelta(minutes=1):
        return working_time(day + timedelta(days=1), rng)
    span = int((upper - lower).total_seconds())
    return lower + timedelta(seconds=rng.randrange(span))


def office_time_from(moment: datetime, rng: random.Random) -> datetime:
    """`moment` if it falls in office hours on a working day, else the next office-hours instant."""
    if is_working_day(moment.date()) and DAY_START <= moment.time() < DAY_END:
        return moment
    return (
        working_time(moment.date(), rng, moment)
        if moment.time() < DAY_START
        else working_time(moment.date() + timedelta(days=1), rng)
    )


def after(moment: datetime, rng: random.Random, min_s: int, max_s: int) -> datetime:
    return moment + timedelta(seconds=rng.randint(min_s, max_s))


def later_working_time(moment: datetime, rng: random.Random, working_days: int) -> datetime:
    """Office hours `working_days` after `moment` (0 = later the same working day when possible)."""
    day = add_working_days(moment.date(), working_days)
    earliest = moment + timedelta(minutes=5) if day == moment.date() else None
    return working_time(day, rng, earliest)
