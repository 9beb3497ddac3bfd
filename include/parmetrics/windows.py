"""Extraction windows: which slice of a source's update time a run extracts.

Scheduled (and backfill) runs extract their data interval, converted to naive local time, starting a
safety margin early so a record committed late with an earlier timestamp is caught next time.
Manual and asset-triggered runs have no useful interval (Airflow 3 runs triggered through the REST
API have no logical date): they extract from the high-water mark to the reference clock minus a lag.
Overlaps are harmless: staging keeps the latest version of each key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from parmetrics.config import LOCAL_TZ
from parmetrics.timestamps import format_ts

SAFETY_MARGIN = timedelta(minutes=15)
# Only windows that end in the past are extracted (SOURCES.md §1): stay clear of in-flight commits.
SAFETY_LAG = timedelta(minutes=5)
INTERVAL_RUN_TYPES = frozenset({"scheduled", "backfill"})


@dataclass(frozen=True)
class Window:
    """A half-open window ``[updated_from, updated_to)`` in naive local time; ``None`` = open bound."""

    updated_from: datetime | None
    updated_to: datetime
    mode: str  # "interval" or "high_water_mark"

    @property
    def batch_id(self) -> str:
        start = format_ts(self.updated_from) if self.updated_from else "open"
        return f"{start}_{format_ts(self.updated_to)}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "updated_from": self.updated_from.isoformat(sep=" ") if self.updated_from else None,
            "updated_to": self.updated_to.isoformat(sep=" "),
            "mode": self.mode,
            "batch_id": self.batch_id,
        }

    @classmethod
    def from_dict(cls, value: dict) -> Window:
        start = value.get("updated_from")
        return cls(
            datetime.fromisoformat(start) if start else None,
            datetime.fromisoformat(value["updated_to"]),
            value["mode"],
        )


def to_local_naive(value: datetime) -> datetime:
    """Aware instant → naive Asia/Ho_Chi_Minh wall time (the sources' convention)."""
    if value.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None)


def window_for_run(
    *,
    run_type: str | None,
    interval_start: datetime | None,
    interval_end: datetime | None,
    high_water_mark: datetime | None,
    now: datetime,
    interval_run_types: frozenset[str] = INTERVAL_RUN_TYPES,
) -> Window:
    """The window a run extracts (see module docstring). ``now`` is the reference clock, naive local.

    ``interval_run_types``: the run types whose data interval is the window (a history twin adds
    ``manual``: a month triggered by hand with a logical date means that month).
    """
    has_interval = interval_start is not None and interval_end is not None and interval_start < interval_end
    upper = now - SAFETY_LAG
    if run_type in interval_run_types and has_interval:
        # Never past the reference clock: a window that has not ended yet is not extracted.
        end = min(to_local_naive(interval_end), upper)
        return Window(min(to_local_naive(interval_start) - SAFETY_MARGIN, end), end, "interval")
    lower = high_water_mark - SAFETY_MARGIN if high_water_mark else None
    if lower is not None and lower >= upper:
        # Nothing new can be safely read yet; an empty window still lands (and reconciles) nothing.
        lower = upper
    return Window(lower, upper, "high_water_mark")
