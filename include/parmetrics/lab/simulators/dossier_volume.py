"""How many dossiers arrive on each day, for which procedures and units, and how digital the day is."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from parmetrics.lab.simulators.dossier_config import DossierDataConfig
from parmetrics.lab.simulators.fastcal import is_working_day
from parmetrics.lab.simulators.province import (
    PROCEDURES,
    REORGANISATION_START,
    Procedure,
    Unit,
    in_force_on,
    online_level_on,
    unit_profiles,
    units_valid_on,
)


def daily_counts(config: DossierDataConfig) -> Iterator[tuple[date, int]]:
    """Days from start to end with their dossier counts, summing exactly to `n_dossiers`."""
    first = config.start.date()
    last = (config.end - timedelta(seconds=1)).date()
    n_days = (last - first).days + 1
    weights = []
    for i in range(n_days):
        day = first + timedelta(days=i)
        growth = 1.0 + 0.3 * i / max(1, n_days - 1)
        # Weekends and holidays see only online submissions.
        weights.append(growth * MONTH_FACTOR[day.month - 1] * (1.0 if is_working_day(day) else 0.08))
    # The Tết dip: the working days right after the long Tết break are quiet too.
    for i in range(1, n_days):
        day = first + timedelta(days=i)
        if day.month in (1, 2, 3) and is_working_day(day) and _days_off_before(day) >= 4:
            for k in range(i, min(n_days, i + 10)):
                weights[k] *= 0.55
    total = sum(weights)
    cumulative = 0.0
    issued = 0
    n_total = config.total
    for i, w in enumerate(weights):
        cumulative += w
        target = round(n_total * cumulative / total)
        yield first + timedelta(days=i), target - issued
        issued = target


# Seasonality by month: a quiet Tết month, a year-end peak.
MONTH_FACTOR = (0.95, 0.75, 1.0, 1.0, 1.0, 0.95, 0.95, 1.0, 1.0, 1.05, 1.15, 1.3)


def _days_off_before(day: date) -> int:
    n = 0
    current = day - timedelta(days=1)
    while not is_working_day(current) and n < 15:
        n += 1
        current -= timedelta(days=1)
    return n


def adoption(day: date) -> float:
    """Digital government adoption, 0 in 2019 rising steadily to 1 at the end of 2026."""
    return min(1.0, max(0.0, (day - date(2019, 1, 1)).days / 2920))


def digitisation(day: date) -> float:
    """Digitisation and electronic results: marginal before 2022, rising to 1 by 2026 (Decree 45/2020, 766)."""
    return min(1.0, max(0.0, (day - date(2022, 1, 1)).days / 1460))


class Choosers:
    """Cumulative-weight tables for the day's procedures and units, rebuilt only when they change."""

    def __init__(self, seed: int) -> None:
        self.profiles = unit_profiles(seed)
        self._procedures: dict[tuple[int, bool], tuple[list[Procedure], list[float]]] = {}
        self._units: dict[tuple[str, bool], tuple[list[Unit], list[float]]] = {}

    _CHANGES = sorted({d for p in PROCEDURES for d in (p.effective_on, p.expires_on, p.changed_on) if d is not None})

    def procedures(self, day: date, working: bool) -> tuple[list[Procedure], list[float]]:
        # The day's procedures only change on an effective, expiry or change date.
        key = (bisect.bisect_right(self._CHANGES, day), working)
        if key not in self._procedures:
            if len(self._procedures) > 64:
                self._procedures.clear()
            chosen = [
                p
                for p in PROCEDURES
                if (not p.in_catalogue or in_force_on(p, day)) and (working or online_level_on(p, day) != "khong")
            ]
            self._procedures[key] = (chosen, list(_accumulate(p.weight for p in chosen)))
        return self._procedures[key]

    def units(self, level: str, day: date) -> tuple[list[Unit], list[float]]:
        key = (level, day >= REORGANISATION_START)
        if key not in self._units:
            candidates = units_valid_on(day, level)
            if not candidates:
                # After the reorganisation district procedures are handled by the new communes.
                candidates = units_valid_on(day, "xa")
            self._units[key] = (candidates, list(_accumulate(self.profiles[u.code].size for u in candidates)))
        return self._units[key]


def _accumulate(values: Any) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def day_batches(config: DossierDataConfig, min_dossiers: int = 2000) -> Iterator[list[tuple[date, int, int]]]:
    """Whole days (day, count, first index) grouped until a batch holds at least `min_dossiers`."""
    batch: list[tuple[date, int, int]] = []
    in_batch = index = 0
    for day, count in daily_counts(config):
        batch.append((day, count, index))
        index += count
        in_batch += count
        if in_batch >= min_dossiers:
            yield batch
            batch, in_batch = [], 0
    if batch:
        yield batch
