"""``parmetrics backfill`` never aborts on one failed month or file run and never hangs: its decisions
against a fake Airflow API — every month finishes, the build reads what landed, each failure is listed
with its reason and the command that retries it, the exit code says whether anything is missing, and a
dead scheduler or API server is noticed and said so (restarted when embedded)."""

from __future__ import annotations

from typing import Any

import httpx
import pendulum
import pytest
from rich.console import Console
from typer.testing import CliRunner

from parmetrics.orchestration import backfill as bf
from parmetrics.orchestration.airflow_api import AirflowApi, last_error
from parmetrics.orchestration.backfill import (
    AirflowDown,
    HealthWatch,
    MonthRange,
    ensure_backfill,
    follow,
    month_ranges,
    run_backfill,
)

MONTHS = MonthRange.parse("2024-01", "2024-03")
HEALTHY = {"metadatabase": {"status": "healthy"}, "scheduler": {"status": "healthy"}}


def month_run(month: str, state: str, *, run_id: str | None = None, start: str = "2099-11-26T10:00:00+00:00"):
    local = pendulum.parse(f"{month}-01T00:00:00+07:00")
    return {
        "dag_run_id": run_id or f"backfill__{month}",
        "logical_date": local.in_timezone("UTC").isoformat(),
        "run_after": local.in_timezone("UTC").isoformat(),
        "state": state,
        "run_type": "backfill",
        "start_date": start,
        "end_date": start.replace("10:00", "10:01"),
    }


def failure_log(exc_type: str, message: str) -> list[dict[str, Any]]:
    """A task log as Airflow 3 serves it: structured events, the failure carrying error_detail."""
    return [
        {"event": "::group::Log message source details", "level": "info"},
        {"event": "extracting window", "level": "info", "logger": "parmetrics"},
        {
            "event": "Task failed with exception",
            "level": "error",
            "error_detail": [{"exc_type": exc_type, "exc_value": message, "frames": []}],
        },
        {"event": "Task instance in failure state", "level": "info"},
    ]


class FakeAirflow:
    """Backfills complete at once; every month has the run given; builds exist as given."""

    def __init__(self, months: dict[str, dict[str, str]], *, build_state: str = "success") -> None:
        self.base_url = "http://127.0.0.1:8080"
        self.months = months  # dag_id → month → state
        self.posted: list[dict[str, Any]] = []
        self.triggered: list[str] = []
        self.stopped = False
        self.runs = {dag: [month_run(m, st) for m, st in states.items()] for dag, states in months.items()}
        self.runs["build_marts"] = [
            {"dag_run_id": "asset_triggered__build", "state": build_state, "start_date": "2099-11-26T10:05:00+00:00"}
        ]
        self.runs["ingest_finance"] = []
        self.runs["ingest_reference"] = []
        self.logs: dict[tuple[str, str], list] = {}

    def health(self):
        return HEALTHY

    def backfills(self, dag_id):
        return [b for b in self.posted if b["dag_id"] == dag_id]

    def all_dag_runs(self, dag_id, run_type=None):
        return [r for r in self.runs.get(dag_id, []) if run_type in (None, r.get("run_type"))]

    def dag_runs(self, dag_id):
        return self.all_dag_runs(dag_id)

    def trigger(self, dag_id):
        self.triggered.append(dag_id)
        return "manual"

    def run_failure_reason(self, dag_id, run_id):
        # The real client's logic on this fake's task instances and logs.
        return AirflowApi.run_failure_reason(self, dag_id, run_id)

    def task_instances(self, dag_id, run_id):
        failed = (dag_id, run_id) in self.logs
        return [{"task_id": "extract_dossiers", "state": "failed" if failed else "success", "try_number": 2}]

    def task_error(self, dag_id, run_id, task_id, try_number):
        return last_error(self.logs[(dag_id, run_id)])

    def request(self, method, path, **kwargs):
        if method == "POST" and path == "/backfills":
            row = {"id": len(self.posted) + 1, "completed_at": "2099-11-26T10:02:00Z", **kwargs["json"]}
            self.posted.append(row)
            return row
        if method == "GET" and path.startswith("/backfills/"):
            return next(b for b in self.posted if b["id"] == int(path.split("/")[2]))
        raise AssertionError(f"unexpected {method} {path}")


def quiet() -> Console:
    import io

    return Console(file=io.StringIO(), width=200)


def all_months(state: str = "success") -> dict[str, dict[str, str]]:
    return {dag: dict.fromkeys(MONTHS.each(), state) for dag in bf.HISTORY_DAGS}


def test_a_failed_month_is_listed_with_its_reason_and_the_rest_lands_builds_and_publishes():
    months = all_months()
    months["ingest_dossiers_history"]["2024-02"] = "failed"
    api = FakeAirflow(months)
    api.logs[("ingest_dossiers_history", "backfill__2024-02")] = failure_log(
        "QualityGateError", "quality gate failed — suite landing.dossier_api.dossiers: expect_column_values…\nmore"
    )
    report = run_backfill(
        api, MONTHS, quiet(), resume="parmetrics backfill --from 2024-01 --to 2024-03",
        retry="parmetrics backfill --from 2024-01 --to 2024-03 --reprocess-behavior failed",
    )  # fmt: skip
    # Every month ran to its end (nothing was stopped), and the build after the last landing was awaited.
    assert report.progress.finished == 6
    assert report.final_build["dag_run_id"] == "asset_triggered__build"
    assert [(f.what, f.reason, f.retry) for f in report.failures] == [
        (
            "ingest_dossiers_history 2024-02",
            "task extract_dossiers failed: QualityGateError: quality gate failed — suite "
            "landing.dossier_api.dossiers: expect_column_values…",
            "parmetrics backfill --from 2024-01 --to 2024-03 --reprocess-behavior failed",
        )
    ]
    assert report.exit_code == 1
    assert api.triggered == []  # the build was not retriggered: it ran after the landing


def test_nothing_missing_exits_zero():
    report = run_backfill(FakeAirflow(all_months()), MONTHS, quiet(), resume="r")
    assert (report.failures, report.exit_code) == ([], 0)


def test_a_refused_final_build_is_missing_and_its_retry_is_the_same_command():
    api = FakeAirflow(all_months(), build_state="failed")
    api.logs[("build_marts", "asset_triggered__build")] = failure_log(
        "QualityGateError", "quality gate failed — suite marts.publication_size: rows"
    )
    report = run_backfill(api, MONTHS, quiet(), resume="parmetrics backfill --from 2024-01 --to 2024-03")
    (failure,) = report.failures
    assert failure.what == "build_marts run asset_triggered__build (nothing new was published)"
    assert failure.reason.endswith("QualityGateError: quality gate failed — suite marts.publication_size: rows")
    assert failure.retry == "parmetrics backfill --from 2024-01 --to 2024-03"
    assert report.exit_code == 1


def test_a_failed_file_run_since_the_start_is_listed_with_its_inbox_retry():
    api = FakeAirflow(all_months())
    api.runs["ingest_finance"] = [
        {"dag_run_id": "old", "state": "failed", "start_date": "2099-11-01T00:00:00+00:00"},
        {"dag_run_id": "asset__1", "state": "failed", "start_date": "2099-11-26T09:00:00+00:00"},
    ]
    api.logs[("ingest_finance", "asset__1")] = failure_log("QualityGateError", "thu_ngan_sach_202502.csv: …")
    report = run_backfill(
        api, MONTHS, quiet(), resume="R", retry_files=lambda dag: f"mv q/{dag} inbox && R",
        files_since="2099-11-26T08:00:00+00:00",
    )  # fmt: skip
    assert [(f.what, f.retry) for f in report.failures] == [
        ("ingest_finance run asset__1", "mv q/ingest_finance inbox && R")
    ]
    assert "thu_ngan_sach_202502.csv" in report.failures[0].reason


def test_a_month_retried_successfully_counts_as_landed():
    months = all_months()
    api = FakeAirflow(months)
    # Airflow keeps the failed run beside the retry (reprocess_behavior=failed); the newer one counts.
    api.runs["ingest_documents_history"].append(
        month_run("2024-03", "failed", run_id="backfill__2024-03-first", start="2099-11-25T10:00:00+00:00")
    )
    report = run_backfill(api, MONTHS, quiet(), resume="R")
    assert report.failures == [] and report.progress.failed == []


def test_no_backfill_is_created_when_every_month_already_landed_unless_asked():
    api = FakeAirflow(all_months())
    assert ensure_backfill(api, "ingest_dossiers_history", MONTHS, reprocess_behavior="failed", max_active_runs=2) == (
        None,
        False,
    )
    assert api.posted == []
    months = all_months()
    months["ingest_dossiers_history"]["2024-01"] = "failed"
    api = FakeAirflow(months)
    backfill, created = ensure_backfill(
        api, "ingest_dossiers_history", MONTHS, reprocess_behavior="failed", max_active_runs=2
    )
    assert backfill["from_date"] == "2024-01-01T00:00:00+07:00" and created
    assert api.posted[0]["reprocess_behavior"] == "failed"
    # "completed" re-runs every month, so a backfill is always created.
    api = FakeAirflow(all_months())
    assert ensure_backfill(api, "ingest_dossiers_history", MONTHS, reprocess_behavior="completed", max_active_runs=2)[1]


class DeadApi(FakeAirflow):
    """An API server that stopped answering."""

    def all_dag_runs(self, dag_id, run_type=None):
        raise httpx.ConnectError("[Errno 111] Connection refused")

    def request(self, method, path, **kwargs):
        raise httpx.ConnectError("[Errno 111] Connection refused")


def test_an_api_server_that_stops_answering_is_given_up_with_the_reason_and_the_resume_command(monkeypatch):
    monkeypatch.setattr(bf, "API_GRACE_SECONDS", 0.2)
    with pytest.raises(AirflowDown) as err:
        follow(
            DeadApi(all_months()), {"ingest_dossiers_history": {"id": 1}}, MONTHS, on_progress=lambda p: None,
            timeout=60, interval=0.01, resume="parmetrics backfill --from 2024-01 --to 2024-03",
        )  # fmt: skip
    assert err.value.reason.startswith("the Airflow API server at http://127.0.0.1:8080 has not answered for 0 s")
    assert "Connection refused" in err.value.reason
    assert err.value.resume == "parmetrics backfill --from 2024-01 --to 2024-03"
    assert str(err.value).endswith("; resume with: parmetrics backfill --from 2024-01 --to 2024-03")


def test_a_scheduler_reported_unhealthy_stops_a_backfill_of_a_running_airflow():
    class NoScheduler(FakeAirflow):
        def health(self):
            return {
                "metadatabase": {"status": "healthy"},
                "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": "2099-11-26T10:00:00+00:00"},
            }

    with pytest.raises(AirflowDown) as err:
        follow(
            NoScheduler(all_months()), {"ingest_dossiers_history": {"id": 1}}, MONTHS, on_progress=lambda p: None,
            timeout=60, interval=0, watch=HealthWatch("RESUME"), resume="RESUME",
        )  # fmt: skip
    assert err.value.reason == (
        "the Airflow scheduler behind http://127.0.0.1:8080 is not running (last heartbeat 2099-11-26T10:00:00+00:00)"
    )
    assert HealthWatch("R").check(FakeAirflow(all_months())) is not None  # healthy: carries on


def test_a_watch_that_restarted_airflow_hands_over_the_new_api():
    dead, alive = DeadApi(all_months()), FakeAirflow(all_months())
    alive.posted = [{"id": 1, "dag_id": "ingest_dossiers_history", "completed_at": "2099-11-26T10:02:00Z"}]

    class Restarting:
        calls = 0

        def check(self, api):
            self.calls += 1
            return alive

    watch = Restarting()
    api, progress = follow(
        dead, {"ingest_dossiers_history": {"id": 1}}, MONTHS, on_progress=lambda p: None, timeout=5, interval=0,
        watch=watch,
    )  # fmt: skip
    assert api is alive and progress.done and watch.calls == 1


def test_a_backfill_that_does_not_finish_in_time_stops_with_the_resume_command():
    api = FakeAirflow(all_months())
    api.posted = [{"id": 1, "dag_id": "ingest_dossiers_history", "completed_at": None}]
    with pytest.raises(AirflowDown, match=r"not finished after 0 s \(3/3 month runs\); resume with: R$"):
        follow(api, {"ingest_dossiers_history": {"id": 1}}, MONTHS, on_progress=lambda p: None, timeout=0, resume="R")


def test_month_ranges_and_task_log_errors():
    assert month_ranges(["2024-03", "2023-12", "2024-01", "2024-05", "2024-01"]) == [
        ("2023-12", "2024-01"),
        ("2024-03", "2024-03"),
        ("2024-05", "2024-05"),
    ]
    assert last_error(failure_log("ValueError", "bad window\nTraceback …")) == "ValueError: bad window"
    assert last_error([{"event": "all fine", "level": "info"}]) is None
    assert last_error(["plain line", "sqlite3.OperationalError: database is locked"]) == (
        "sqlite3.OperationalError: database is locked"
    )


# ---- the command ------------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """``parmetrics backfill --api-url …`` against a fake Airflow; returns (invoke, the fake)."""
    from parmetrics.cli.main import app
    from parmetrics.orchestration import airflow_api

    holder: dict[str, FakeAirflow] = {}
    monkeypatch.setattr(airflow_api, "AirflowApi", lambda *a, **k: holder["api"])
    monkeypatch.setenv("AIRFLOW_API_USER", "u")
    monkeypatch.setenv("AIRFLOW_API_PASSWORD", "p")
    monkeypatch.setenv("COLUMNS", "400")

    def invoke(api: FakeAirflow):
        holder["api"] = api
        args = ["backfill", "--from", "2024-01", "--to", "2024-03", "--api-url", "http://airflow:8080"]
        return CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path / "data")])

    return invoke


def test_the_command_exits_zero_when_nothing_is_missing(cli):
    result = cli(FakeAirflow(all_months()))
    assert result.exit_code == 0, result.output
    assert "nothing missing" in result.output


def test_the_command_lists_failures_with_retry_commands_and_exits_one(cli, tmp_path):
    months = all_months()
    months["ingest_documents_history"]["2024-03"] = "failed"
    api = FakeAirflow(months)
    api.logs[("ingest_documents_history", "backfill__2024-03")] = failure_log("OperationalError", "no such table")
    result = cli(api)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    out = result.output
    assert "still missing (1):" in out
    assert "✗ ingest_documents_history 2024-03: task extract_dossiers failed: OperationalError: no such table" in out
    data = tmp_path / "data"
    assert (
        f"parmetrics backfill --from 2024-01 --to 2024-03 --reprocess-behavior failed --api-url http://airflow:8080 "
        f"--data-dir {data}"
    ) in out


def test_the_command_stops_with_one_line_and_the_resume_command_when_airflow_is_gone(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(bf, "API_GRACE_SECONDS", 0.0)
    result = cli(DeadApi(all_months()))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-2].startswith("backfill stopped: the Airflow API server at http://127.0.0.1:8080 has not answered")
    assert lines[-1] == (
        f"resume with: parmetrics backfill --from 2024-01 --to 2024-03 --api-url http://airflow:8080 "
        f"--data-dir {tmp_path / 'data'}"
    )
