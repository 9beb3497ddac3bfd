"""The DAGs' schedules, in one place.

Production runs nightly *or* on asset events. The demo and the tests set
``PARMETRICS_SCHEDULE_MODE=event-only``: their reference clock is fixed in the past while Airflow's
scheduler reads the wall clock, so a nightly run would extract a window the simulated source has
never reached; there, runs come only from triggers and asset events.
"""

from __future__ import annotations

import os

from airflow.sdk import AssetOrTimeSchedule, CronDataIntervalTimetable, CronTriggerTimetable

from parmetrics.config import LOCAL_TZ

TIMEZONE = str(LOCAL_TZ)


def event_only() -> bool:
    return os.environ.get("PARMETRICS_SCHEDULE_MODE", "nightly") == "event-only"


def nightly_ingestion(cron: str, assets):
    """Nightly with a real data interval, or when the source announces new data."""
    if event_only():
        return assets
    # A plain cron string gives CronTriggerTimetable, whose data interval is empty (ARCHITECTURE.md).
    return AssetOrTimeSchedule(timetable=CronDataIntervalTimetable(cron, timezone=TIMEZONE), assets=assets)


def nightly_or_assets(cron: str, assets):
    """On landing events, plus a nightly run as a safety net (the build needs no interval)."""
    if event_only():
        return assets
    return AssetOrTimeSchedule(timetable=CronTriggerTimetable(cron, timezone=TIMEZONE), assets=assets)


# The first of each month at 00:00 local time: data interval = the previous calendar month.
MONTHLY_CRON = "0 0 1 * *"


def monthly_history():
    """The history twins' timetable: one data interval per calendar month, so a backfill of six years
    is 72 runs (ARCHITECTURE.md). Always a real timetable — Airflow only backfills periodic schedules."""
    return CronDataIntervalTimetable(MONTHLY_CRON, timezone=TIMEZONE)
