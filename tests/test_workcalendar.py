from datetime import date

from parmetrics.workcalendar import (
    add_working_days,
    is_working_day,
    next_working_day,
    previous_working_day,
    working_days_between,
)


def test_make_up_saturdays_are_working_days():
    for day in (date(2024, 5, 4), date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)):
        assert day.weekday() == 5
        assert is_working_day(day)


def test_days_off_include_swapped_weekdays_tet_and_the_2026_new_year_swap():
    for day in (date(2024, 4, 29), date(2025, 5, 2), date(2026, 8, 31), date(2026, 1, 2), date(2025, 1, 29)):
        assert not is_working_day(day)
    assert not is_working_day(date(2024, 5, 5))  # an ordinary Sunday
    assert is_working_day(date(2024, 5, 2))


def test_add_working_days_skips_days_off_and_counts_make_up_saturday():
    # Fri 2024-04-26 + 1: the weekend and 29/4-1/5 are off, so Thu 2024-05-02.
    assert add_working_days(date(2024, 4, 26), 1) == date(2024, 5, 2)
    # Fri 2024-05-03 + 1: the make-up Saturday.
    assert add_working_days(date(2024, 5, 3), 1) == date(2024, 5, 4)
    assert add_working_days(date(2024, 5, 3), 0) == date(2024, 5, 3)
    assert working_days_between(date(2024, 4, 26), date(2024, 5, 4)) == 3


def test_next_and_previous_working_day():
    assert next_working_day(date(2024, 4, 27)) == date(2024, 5, 2)
    assert previous_working_day(date(2024, 5, 2)) == date(2024, 4, 26)
