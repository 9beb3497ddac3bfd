"""The working-day calendar model (METRICS.md §1), checked on the empty-landing build."""

from __future__ import annotations

import csv
from datetime import date

import holidays
import pytest
from dbt_support import DBT_PROJECT, Warehouse

SEED = DBT_PROJECT / "seeds" / "calendar_overrides.csv"


def _seed() -> dict[date, bool]:
    with SEED.open(encoding="utf-8") as fh:
        return {date.fromisoformat(r["calendar_date"]): r["is_working_day"] == "true" for r in csv.DictReader(fh)}


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 5, 4), True),  # make-up Saturday for Monday 2024-04-29
        (date(2024, 4, 29), False),  # swapped weekday off
        (date(2024, 4, 30), False),
        (date(2024, 5, 2), True),
        (date(2024, 5, 5), False),  # an ordinary Sunday
        (date(2024, 2, 8), False),  # Tết 2024: Thu 8 .. Wed 14 February
        (date(2024, 2, 14), False),
        (date(2024, 2, 15), True),
        (date(2025, 4, 26), True),
        (date(2025, 5, 2), False),
        (date(2026, 1, 2), False),  # the 2026 New Year swap the package lacks
        (date(2026, 1, 10), True),
        (date(2026, 8, 22), True),
        (date(2026, 8, 31), False),
        (date(2026, 11, 24), False),  # Vietnam Culture Day, kept from the package
    ],
)
def test_working_days(empty_warehouse: Warehouse, day: date, working: bool) -> None:
    got = empty_warehouse.scalar(
        "select is_working_day from intermediate.int_working_days where calendar_date = ?", [day]
    )
    assert got is working


def test_calendar_covers_2015_to_2030(empty_warehouse: Warehouse) -> None:
    assert empty_warehouse.rows(
        "select min(calendar_date), max(calendar_date), count(*) from intermediate.int_working_days"
    ) == [(date(2015, 1, 1), date(2030, 12, 31), 5844)]


def test_working_day_index_counts_working_days_after_a_up_to_b(empty_warehouse: Warehouse) -> None:
    def between(a: date, b: date) -> int:
        return empty_warehouse.scalar(
            "select b.working_day_index - a.working_day_index from intermediate.int_working_days as a, "
            "intermediate.int_working_days as b where a.calendar_date = ? and b.calendar_date = ?",
            [a, b],
        )

    # Fri 26 Apr 2024 -> Mon 6 May: 29/4, 30/4, 1/5 off; Thu 2, Fri 3, Sat 4 (make-up), Mon 6 worked.
    assert between(date(2024, 4, 26), date(2024, 5, 6)) == 4
    # Wed 7 Feb 2024 -> Thu 15 Feb: all of Tết off.
    assert between(date(2024, 2, 7), date(2024, 2, 15)) == 1
    assert between(date(2024, 6, 3), date(2024, 6, 15)) == 9
    assert between(date(2024, 6, 3), date(2024, 6, 3)) == 0
    # The index is a running count: it equals the number of working days so far.
    assert (
        empty_warehouse.scalar(
            "select count(*) from (select working_day_index, sum(is_working_day::int) over (order by calendar_date) "
            "as running from intermediate.int_working_days) where working_day_index != running"
        )
        == 0
    )


def test_every_swapped_weekday_in_the_package_has_its_make_up_saturday_in_the_seed() -> None:
    # The package records each swap as a weekday off plus the weekend day worked in exchange; the latter
    # is its public `weekend_workdays` set (no name parsing). Each one in range must be a seeded working
    # day, or the calendar would miss a working day.
    package = holidays.VN(years=range(2015, 2031))
    make_up_days = {d for d in package.weekend_workdays if 2015 <= d.year <= 2030}
    seed = _seed()
    assert make_up_days, "the package no longer reports make-up days: re-check this test's method"
    missing = sorted(d for d in make_up_days if seed.get(d) is not True)
    assert missing == []
    # And the other way round: every seeded working day is a weekend day (a make-up day).
    assert all(d.weekday() >= 5 for d, working in seed.items() if working)


def test_seeded_swaps_the_package_lacks() -> None:
    package = holidays.VN(years=range(2026, 2027))
    seed = _seed()
    assert date(2026, 1, 2) not in package
    assert seed[date(2026, 1, 2)] is False
    assert seed[date(2026, 1, 10)] is True
