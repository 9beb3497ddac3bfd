"""``parmetrics backfill``'s decisions against a fake Airflow API: create, follow, refuse, finish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from parmetrics.orchestration.backfill import (
    BackfillError,
    MonthRange,
    ensure_backfill,
    follow,
    poll,
    wait_for_build_after,
)


class FakeApi:
    def __init__(self) -> None:
        self.backfill_rows: dict[str, list[dict[str, Any]]] = {}
        self.runs: dict[str, list[dict[str, Any]]] = {}
        self.posted: list[dict[str, Any]] = []
        self.unpaused: list[int] = []

    def backfills(self, dag_id: str) -> list[dict[str, Any]]:
        return self.backfill_rows.get(dag_id, [])

    def all_dag_runs(self, dag_id: str, run_type: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.runs.get(dag_id, []) if run_type in (None, r.get("run_type"))]

    def failed_tasks(self, dag_id: str, run_id: str) -> list[str]:
        return ["dbt_build"]

    def trigger(self, dag_id: str) -> str:
        # A triggered build starts at once and succeeds.
        run = {
            "dag_run_id": f"manual{len(self.runs[dag_id])}",
            "state": "success",
            "start_date": "2026-11-26T12:00:00+00:00",
        }
        self.runs[dag_id].append(run)
        return run["dag_run_id"]

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if method == "POST" and path == "/backfills":
            body = kwargs["json"]
            row = {"id": 7, "completed_at": None, "is_paused": False, **body}
            self.posted.append(body)
            self.backfill_rows.setdefault(body["dag_id"], []).append(row)
            return row
        if method == "PUT" and path.endswith("/unpause"):
            self.unpaused.append(int(path.split("/")[2]))
            return {}
        if method == "GET" and path.startswith("/backfills/"):
            wanted = int(path.split("/")[2])
            return next(b for rows in self.backfill_rows.values() for b in rows if b["id"] == wanted)
        raise AssertionError(f"unexpected {method} {path}")


SIX_YEARS = MonthRange.parse("2019-01", "2024-12")


def test_months_are_parsed_strictly_and_counted():
    assert SIX_YEARS.months == 72
    assert MonthRange.parse("2025-07", "2025-07").months == 1
    # Logical dates are each month's first day at midnight in Asia/Ho_Chi_Minh (UTC+7).
    assert SIX_YEARS.from_date == "2019-01-01T00:00:00+07:00"
    assert SIX_YEARS.to_date == "2024-12-01T00:00:00+07:00"
    assert SIX_YEARS.replay_clock == datetime(2025, 1, 1, 6, 0)
    assert MonthRange.parse("2023-07", "2024-06").replay_clock == datetime(2024, 7, 1, 6, 0)
    for bad in ("2019-13", "2019-1", "19-01", "2019/01"):
        with pytest.raises(BackfillError, match="expected YYYY-MM"):
            MonthRange.parse(bad, "2024-12")
    with pytest.raises(BackfillError, match="before --from"):
        MonthRange.parse("2024-12", "2019-01")


def test_creates_a_backfill_with_airflows_semantics():
    api = FakeApi()
    backfill, created = ensure_backfill(
        api, "ingest_dossiers_history", SIX_YEARS, reprocess_behavior="failed", max_active_runs=2
    )
    assert created and backfill["id"] == 7
    assert api.posted == [
        {
            "dag_id": "ingest_dossiers_history",
            "from_date": "2019-01-01T00:00:00+07:00",
            "to_date": "2024-12-01T00:00:00+07:00",
            "reprocess_behavior": "failed",
            "max_active_runs": 2,
            "run_backwards": False,
        }
    ]
    with pytest.raises(BackfillError, match="expected one of"):
        ensure_backfill(api, "x", SIX_YEARS, reprocess_behavior="all", max_active_runs=2)


def test_follows_an_unfinished_backfill_of_the_same_months_instead_of_creating_a_second():
    api = FakeApi()
    # As Airflow returns it: UTC instants of the same local midnights, paused by an operator.
    api.backfill_rows["ingest_dossiers_history"] = [
        {"id": 3, "dag_id": "ingest_dossiers_history", "completed_at": "2026-11-01T00:00:00Z",
         "from_date": "2018-12-31T17:00:00Z", "to_date": "2019-05-31T17:00:00Z", "is_paused": False},
        {"id": 4, "dag_id": "ingest_dossiers_history", "completed_at": None,
         "from_date": "2018-12-31T17:00:00Z", "to_date": "2024-11-30T17:00:00Z", "is_paused": True},
    ]  # fmt: skip
    backfill, created = ensure_backfill(
        api, "ingest_dossiers_history", SIX_YEARS, reprocess_behavior="none", max_active_runs=2
    )
    assert (backfill["id"], created) == (4, False)
    assert api.posted == [] and api.unpaused == [4]


def test_refuses_when_another_range_is_unfinished_and_says_how_to_get_out():
    api = FakeApi()
    api.backfill_rows["ingest_documents_history"] = [
        {"id": 9, "dag_id": "ingest_documents_history", "completed_at": None,
         "from_date": "2020-12-31T17:00:00Z", "to_date": "2021-11-30T17:00:00Z", "is_paused": False},
    ]  # fmt: skip
    with pytest.raises(BackfillError) as err:
        ensure_backfill(api, "ingest_documents_history", SIX_YEARS, reprocess_behavior="none", max_active_runs=2)
    message = str(err.value)
    assert "backfill 9 of ingest_documents_history (2021-01 → 2021-12) is unfinished" in message
    assert "/api/v2/backfills/9/cancel" in message and "2019-01 → 2024-12" in message
    assert api.posted == []


def _run(month: str, state: str) -> dict[str, Any]:
    # Logical date of a monthly run: local midnight of the 1st, i.e. 17:00 UTC the day before.
    import pendulum

    local = pendulum.parse(f"{month}-01T00:00:00+07:00")
    return {"logical_date": local.in_timezone("UTC").isoformat(), "state": state, "run_type": "backfill"}


def test_progress_counts_finished_months_in_range_and_names_the_failed_ones():
    api = FakeApi()
    months = MonthRange.parse("2024-01", "2024-03")
    api.backfill_rows = {
        "a": [{"id": 1, "completed_at": None, "dag_id": "a"}],
        "b": [{"id": 2, "completed_at": "2026-11-26T10:00:00Z", "dag_id": "b"}],
    }
    api.runs = {
        "a": [_run("2023-12", "success"), _run("2024-01", "success"), _run("2024-02", "running")],
        "b": [_run("2024-01", "success"), _run("2024-02", "failed"), _run("2024-03", "success")],
    }
    progress = poll(api, {"a": {"id": 1}, "b": {"id": 2}}, months)
    assert (progress.total, progress.finished) == (6, 4)  # December 2023 is outside the range
    assert progress.failed == ["b 2024-02"]
    assert not progress.done
    api.backfill_rows["a"][0]["completed_at"] = "2026-11-26T11:00:00Z"
    seen = []
    _, done = follow(api, {"a": {"id": 1}, "b": {"id": 2}}, months, on_progress=seen.append, timeout=5, interval=0)
    assert done.done and len(seen) == 1


def test_waits_for_the_build_that_started_after_the_last_landing():
    api = FakeApi()
    landed = "2026-11-26T10:00:00+00:00"
    api.runs["build_marts"] = [
        {"dag_run_id": "early", "state": "success", "start_date": "2026-11-26T09:59:00+00:00"},
        {"dag_run_id": "late", "state": "success", "start_date": "2026-11-26T10:01:00+00:00"},
    ]
    assert wait_for_build_after(api, landed, timeout=5, interval=0)["dag_run_id"] == "late"
    # A failed last build is returned, for the report, not raised.
    api.runs["build_marts"].append({"dag_run_id": "last", "state": "failed", "start_date": "2026-11-26T10:05:00+00:00"})
    assert wait_for_build_after(api, landed, timeout=5, interval=0)["dag_run_id"] == "last"
    api.runs["build_marts"] = [{"dag_run_id": "early", "state": "success", "start_date": "2026-11-26T09:59:00+00:00"}]
    with pytest.raises(BackfillError, match="no build_marts run finished"):
        wait_for_build_after(api, landed, timeout=0, interval=0)


def test_a_locked_metadata_database_is_retried_and_other_refusals_are_reported():
    from parmetrics.orchestration.airflow_api import AirflowApiError

    class LockedOnce(FakeApi):
        def __init__(self, failures: list[str]) -> None:
            super().__init__()
            self.failures = failures

        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            if method == "POST" and self.failures:
                raise AirflowApiError(self.failures.pop(0))
            return super().request(method, path, **kwargs)

    locked = "POST /api/v2/backfills → 503: Database is locked. Backfill creation is not supported on SQLite"
    api = LockedOnce([locked, locked])
    backfill, created = ensure_backfill(
        api, "ingest_dossiers_history", SIX_YEARS, reprocess_behavior="none", max_active_runs=2, retry_wait=0
    )
    assert created and len(api.posted) == 1 and backfill["id"] == 7
    refused = LockedOnce(["POST /api/v2/backfills → 422: to_date before from_date"])
    with pytest.raises(BackfillError, match=r"refused the backfill of ingest_dossiers_history.*422"):
        ensure_backfill(refused, "ingest_dossiers_history", SIX_YEARS, reprocess_behavior="none", max_active_runs=2)
    assert refused.posted == []


def test_the_embedded_path_creates_only_the_missing_backfills():
    from parmetrics.orchestration.backfill import missing_backfills

    api = FakeApi()
    api.backfill_rows["ingest_dossiers_history"] = [
        {"id": 4, "dag_id": "ingest_dossiers_history", "completed_at": None,
         "from_date": "2018-12-31T17:00:00Z", "to_date": "2024-11-30T17:00:00Z"},
    ]  # fmt: skip
    assert missing_backfills(api, SIX_YEARS) == ["ingest_documents_history"]
    api.backfill_rows["ingest_documents_history"] = [
        {"id": 5, "dag_id": "ingest_documents_history", "completed_at": None,
         "from_date": "2019-12-31T17:00:00Z", "to_date": "2020-11-30T17:00:00Z"},
    ]  # fmt: skip
    with pytest.raises(BackfillError, match="backfill 5 of ingest_documents_history"):
        missing_backfills(api, SIX_YEARS)


def test_a_resumed_backfill_rebuilds_once_when_the_last_build_failed_before_it_started():
    api = FakeApi()
    api.runs["build_marts"] = [
        {"dag_run_id": "broken", "state": "failed", "start_date": "2026-11-26T10:05:00+00:00"},
    ]
    run = wait_for_build_after(
        api, "2026-11-26T10:00:00+00:00", timeout=5, interval=0, rebuild_failed_before="2026-11-26T11:00:00+00:00"
    )
    assert run["dag_run_id"] == "manual1" and len(api.runs["build_marts"]) == 2
