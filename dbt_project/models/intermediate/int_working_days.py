"""The Vietnamese civil-service working-day calendar (METRICS.md §1).

Base: Monday–Friday minus the days off in the ``holidays`` package (country VN, pinned in the lock
file); then the ``calendar_overrides`` seed adds make-up Saturdays and removes days the package lacks.
``working_day_index`` counts working days up to and including the date, so the number of working days
after date a up to and including date b is ``index(b) - index(a)`` — a plain join, no range scan.
"""

from datetime import date, timedelta

import holidays
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    first_year = int(dbt.config.get("calendar_first_year") or 2015)
    last_year = int(dbt.config.get("calendar_last_year") or 2030)

    days_off = holidays.VN(years=range(first_year, last_year + 1), language="vi")
    overrides = {row[0]: (bool(row[1]), row[2]) for row in dbt.ref("calendar_overrides").fetchall()}

    dates, working, holiday_names, reasons, indexes = [], [], [], [], []
    index = 0
    day = date(first_year, 1, 1)
    while day <= date(last_year, 12, 31):
        is_working = day.weekday() < 5 and day not in days_off
        reason = None
        if day in overrides:
            is_working, reason = overrides[day]
        index += int(is_working)
        dates.append(day)
        working.append(is_working)
        holiday_names.append(days_off.get(day))
        reasons.append(reason)
        indexes.append(index)
        day += timedelta(days=1)

    return pa.table(
        {
            "calendar_date": pa.array(dates, pa.date32()),
            "is_working_day": pa.array(working, pa.bool_()),
            "working_day_index": pa.array(indexes, pa.int64()),
            "holiday_name": pa.array(holiday_names, pa.string()),
            "override_reason": pa.array(reasons, pa.string()),
        }
    )
