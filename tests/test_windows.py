from datetime import UTC, datetime, timedelta

import pytest

from parmetrics.windows import SAFETY_LAG, SAFETY_MARGIN, Window, window_for_run

NOW = datetime(2026, 11, 20, 6, 0, 0)


def test_scheduled_run_extracts_its_interval_in_local_time_with_a_margin():
    # 01:00 Asia/Ho_Chi_Minh is 18:00 UTC the day before.
    w = window_for_run(
        run_type="scheduled",
        interval_start=datetime(2026, 11, 17, 18, 0, tzinfo=UTC),
        interval_end=datetime(2026, 11, 18, 18, 0, tzinfo=UTC),
        high_water_mark=None,
        now=NOW,
    )
    assert w == Window(datetime(2026, 11, 18, 0, 45), datetime(2026, 11, 19, 1, 0), "interval")
    assert w.batch_id == "20261118004500_20261119010000"


def test_interval_never_reaches_past_the_reference_clock():
    w = window_for_run(
        run_type="scheduled",
        interval_start=datetime(2026, 11, 24, 18, 0, tzinfo=UTC),
        interval_end=datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
        high_water_mark=None,
        now=NOW,
    )
    assert w.updated_to == NOW - SAFETY_LAG
    assert w.updated_from == w.updated_to  # an empty window: nothing of the future is read


@pytest.mark.parametrize("run_type", ["manual", "asset_triggered"])
def test_runs_without_interval_extract_from_the_high_water_mark(run_type):
    mark = datetime(2026, 11, 19, 1, 0)
    w = window_for_run(run_type=run_type, interval_start=None, interval_end=None, high_water_mark=mark, now=NOW)
    assert w == Window(mark - SAFETY_MARGIN, NOW - SAFETY_LAG, "high_water_mark")


def test_first_run_without_a_mark_reads_from_the_beginning():
    w = window_for_run(run_type="manual", interval_start=None, interval_end=None, high_water_mark=None, now=NOW)
    assert w.updated_from is None
    assert w.batch_id == "open_20261120055500"


def test_window_round_trips_through_xcom_dict():
    w = Window(datetime(2026, 1, 1), datetime(2026, 1, 2), "interval")
    assert Window.from_dict(w.as_dict()) == w


def test_naive_interval_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        window_for_run(
            run_type="scheduled",
            interval_start=datetime(2026, 1, 1),
            interval_end=datetime(2026, 1, 1) + timedelta(days=1),
            high_water_mark=None,
            now=NOW,
        )
