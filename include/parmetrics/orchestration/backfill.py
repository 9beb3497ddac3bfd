"""``parmetrics backfill``: a thin wrapper over Airflow's own backfill of the monthly history twins.

It does what a data engineer would do by hand — ``airflow backfill create --dag-id
ingest_dossiers_history --from-date 2019-01-01 --to-date 2024-12-01`` (and the same for documents) —
then follows the runs with a progress bar and waits for the asset-triggered build that read the last
landed month. Airflow allows one unfinished backfill per DAG: when one exists for the same months
(e.g. after the scheduler was killed), the wrapper follows it instead of creating a second; when one
exists for other months it stops and says so.

Semantics are Airflow's: ``--reprocess-behavior none`` skips months that already have a run,
``failed`` re-runs failed months, ``completed`` re-runs every month; ``--max-active-runs`` bounds the
months in flight per DAG (the twins' tasks also share the small ``history_ingestion`` pool, so nightly
runs keep executor slots, and every DuckDB write stays behind the one-slot ``duckdb_writer`` pool).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pendulum

from parmetrics.config import LOCAL_TZ
from parmetrics.orchestration.airflow_api import AirflowApi, AirflowApiError

HISTORY_DAGS = ("ingest_dossiers_history", "ingest_documents_history")
BUILD_DAG = "build_marts"
REPROCESS_BEHAVIORS = ("none", "failed", "completed")
FINISHED = ("success", "failed")
CREATE_ATTEMPTS = 6


class BackfillError(RuntimeError):
    """The backfill cannot be created or did not finish cleanly; the message says what to do."""


def parse_month(value: str) -> date:
    """``2019-01`` → 2019-01-01; anything else is an error naming the expected form."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BackfillError(f"month {value!r}: expected YYYY-MM, e.g. 2019-01")
    return date(int(match.group(1)), int(match.group(2)), 1)


@dataclass(frozen=True)
class MonthRange:
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BackfillError(f"--to {self.last:%Y-%m} is before --from {self.first:%Y-%m}")

    @classmethod
    def parse(cls, first: str, last: str) -> MonthRange:
        return cls(parse_month(first), parse_month(last))

    @property
    def months(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    # A monthly run's logical date is its month's first day, 00:00 Asia/Ho_Chi_Minh.
    @property
    def from_date(self) -> str:
        return _local_midnight(self.first).isoformat()

    @property
    def to_date(self) -> str:
        return _local_midnight(self.last).isoformat()

    def covers(self, backfill: dict[str, Any]) -> bool:
        return _same_instant(backfill["from_date"], self.from_date) and _same_instant(backfill["to_date"], self.to_date)

    @property
    def replay_clock(self) -> datetime:
        """The embedded backfill's reference clock: 06:00 on the day after the last month, as a nightly
        run on that day would read it — so the running period, the overdue list and the freshness
        gate are those of that day, not of the simulated source's far later "today"."""
        year, month = (self.last.year + 1, 1) if self.last.month == 12 else (self.last.year, self.last.month + 1)
        return datetime(year, month, 1, 6, 0)

    def label(self) -> str:
        return f"{self.first:%Y-%m} → {self.last:%Y-%m}"


def _local_midnight(day: date) -> pendulum.DateTime:
    return pendulum.datetime(day.year, day.month, day.day, tz=str(LOCAL_TZ))


def _same_instant(a: str, b: str) -> bool:
    return pendulum.parse(a) == pendulum.parse(b)


def _describe(backfill: dict[str, Any]) -> str:
    start = pendulum.parse(backfill["from_date"]).in_timezone(str(LOCAL_TZ))
    end = pendulum.parse(backfill["to_date"]).in_timezone(str(LOCAL_TZ))
    return f"backfill {backfill['id']} of {backfill['dag_id']} ({start:%Y-%m} → {end:%Y-%m})"


def _conflict(unfinished: dict[str, Any], months: MonthRange) -> str:
    return (
        f"{_describe(unfinished)} is unfinished and Airflow allows one per DAG: let it finish, or cancel "
        f"it (UI, or PUT /api/v2/backfills/{unfinished['id']}/cancel) before backfilling {months.label()}"
    )


def ensure_backfill(
    api: AirflowApi,
    dag_id: str,
    months: MonthRange,
    *,
    reprocess_behavior: str,
    max_active_runs: int,
    retry_wait: float = 5.0,
) -> tuple[dict[str, Any], bool]:
    """The unfinished backfill of ``dag_id`` for these months, or a new one. Returns (backfill, created)."""
    if reprocess_behavior not in REPROCESS_BEHAVIORS:
        raise BackfillError(f"--reprocess-behavior {reprocess_behavior!r}: expected one of {REPROCESS_BEHAVIORS}")
    unfinished = [b for b in api.backfills(dag_id) if b["completed_at"] is None]
    for backfill in unfinished:
        if months.covers(backfill):
            if backfill.get("is_paused"):
                api.request("PUT", f"/backfills/{backfill['id']}/unpause")
            return backfill, False
    if unfinished:
        raise BackfillError(_conflict(unfinished[0], months))
    body = {
        "dag_id": dag_id,
        "from_date": months.from_date,
        "to_date": months.to_date,
        "reprocess_behavior": reprocess_behavior,
        "max_active_runs": max_active_runs,
        "run_backwards": False,
    }
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return api.request("POST", "/backfills", json=body), True
        except AirflowApiError as exc:
            # 503: the metadata database was locked (SQLite under concurrent writers); Airflow removed
            # the partial backfill. Anything else is a refusal to report as it is.
            if " 503" not in str(exc) or attempt == CREATE_ATTEMPTS:
                raise BackfillError(f"Airflow refused the backfill of {dag_id} for {months.label()}: {exc}") from exc
        time.sleep(retry_wait * attempt)
        for backfill in api.backfills(dag_id):
            if backfill["completed_at"] is None and months.covers(backfill):
                return backfill, True
    raise AssertionError("unreachable")


def missing_backfills(api: AirflowApi, months: MonthRange, dag_ids: Iterable[str] = HISTORY_DAGS) -> list[str]:
    """The twins that have no unfinished backfill for these months (raises if another range is unfinished)."""
    missing = []
    for dag_id in dag_ids:
        unfinished = [b for b in api.backfills(dag_id) if b["completed_at"] is None]
        if any(months.covers(b) for b in unfinished):
            continue
        if unfinished:
            raise BackfillError(_conflict(unfinished[0], months))
        missing.append(dag_id)
    return missing


@dataclass
class Progress:
    """What the runs of the backfills look like now."""

    total: int
    states: dict[str, dict[str, str]] = field(default_factory=dict)  # dag_id → logical date → state
    completed: dict[str, bool] = field(default_factory=dict)  # dag_id → backfill completed

    @property
    def finished(self) -> int:
        return sum(1 for runs in self.states.values() for s in runs.values() if s in FINISHED)

    @property
    def failed(self) -> list[str]:
        return sorted(
            f"{dag_id} {day}" for dag_id, runs in self.states.items() for day, s in runs.items() if s == "failed"
        )

    @property
    def done(self) -> bool:
        return bool(self.completed) and all(self.completed.values())


def backfill_runs(api: AirflowApi, dag_id: str, months: MonthRange) -> dict[str, str]:
    """State of the twin's run for each month in range (whichever backfill created it) by logical date."""
    runs = api.all_dag_runs(dag_id, run_type="backfill")
    states = {}
    first, last = _local_midnight(months.first), _local_midnight(months.last)
    for run in runs:
        logical = pendulum.parse(run["logical_date"])
        if first <= logical <= last:
            states[logical.in_timezone(str(LOCAL_TZ)).strftime("%Y-%m")] = run["state"]
    return states


def poll(api: AirflowApi, backfills: dict[str, dict[str, Any]], months: MonthRange) -> Progress:
    progress = Progress(total=months.months * len(backfills))
    for dag_id, backfill in backfills.items():
        progress.states[dag_id] = backfill_runs(api, dag_id, months)
        progress.completed[dag_id] = api.request("GET", f"/backfills/{backfill['id']}")["completed_at"] is not None
    return progress


def follow(
    api: AirflowApi,
    backfills: dict[str, dict[str, Any]],
    months: MonthRange,
    *,
    on_progress: Callable[[Progress], None],
    timeout: float,
    interval: float = 3.0,
) -> Progress:
    """Poll until every backfill is complete (Airflow marks it when its last run finished)."""
    deadline = time.monotonic() + timeout
    while True:
        progress = poll(api, backfills, months)
        on_progress(progress)
        if progress.done:
            return progress
        if time.monotonic() > deadline:
            raise BackfillError(
                f"backfill not finished after {timeout:.0f} s ({progress.finished}/{progress.total} months); "
                "rerun the same command to keep following it"
            )
        time.sleep(interval)


def last_history_landing(api: AirflowApi, dag_ids: Iterable[str], months: MonthRange) -> str:
    """End time of the newest successful twin run in range (ISO, UTC), or '' if none ran."""
    ends = []
    first, last = _local_midnight(months.first), _local_midnight(months.last)
    for dag_id in dag_ids:
        for run in api.all_dag_runs(dag_id, run_type="backfill"):
            if run["state"] == "success" and first <= pendulum.parse(run["logical_date"]) <= last:
                ends.append(run["end_date"] or "")
    return max(ends, default="")


def wait_for_build_after(
    api: AirflowApi, landed_at: str, timeout: float, interval: float = 3.0, *, rebuild_failed_before: str = ""
) -> dict[str, Any]:
    """The build that started after the last landing has read everything landed: wait for it.

    Every landing event queues ``build_marts`` again (Airflow issue #52665); with max_active_runs=1 the
    builds run one after another, each over everything landed so far, so the last one is enough.
    If that build failed before this command started (``rebuild_failed_before``: the command is being
    rerun to resume), no landing event will come to retry it: trigger one build and wait for that.
    """
    deadline = time.monotonic() + timeout
    while True:
        runs = api.all_dag_runs(BUILD_DAG)
        active = [r for r in runs if r["state"] not in FINISHED]
        after = [r for r in runs if (r["start_date"] or "") > landed_at]
        if after and not active:
            run = max(after, key=lambda r: r["start_date"])
            if run["state"] == "success":
                return run
            if (run["start_date"] or "") < rebuild_failed_before:
                api.trigger(BUILD_DAG)
                landed_at = rebuild_failed_before = run["start_date"]
                time.sleep(interval)
                continue
            failed = api.failed_tasks(BUILD_DAG, run["dag_run_id"])
            raise BackfillError(f"{BUILD_DAG} run {run['dag_run_id']} failed (tasks {failed}); see its logs")
        if time.monotonic() > deadline:
            raise BackfillError(f"no {BUILD_DAG} run finished after the last landed month within {timeout:.0f} s")
        time.sleep(interval)


def builds_since(api: AirflowApi, since: str) -> list[dict[str, Any]]:
    return [r for r in api.all_dag_runs(BUILD_DAG) if (r["start_date"] or "") >= since]


@dataclass
class BackfillReport:
    months: MonthRange
    backfills: dict[str, dict[str, Any]]
    created: dict[str, bool]
    progress: Progress
    seconds: float
    builds: list[dict[str, Any]]
    final_build: dict[str, Any] | None


def run_backfill(
    api: AirflowApi,
    months: MonthRange,
    console,
    *,
    reprocess_behavior: str = "failed",
    max_active_runs: int = 2,
    timeout: float = 3600,
    created_before: Iterable[str] = (),
) -> BackfillReport:
    """Create (or follow) the backfill of every history twin, show progress, wait for the final build.

    ``created_before``: twins whose backfill the caller has just created (the embedded path creates them
    with the CLI); they are followed, and reported as created."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    started = time.monotonic()
    started_at = pendulum.now("UTC").isoformat()
    backfills, created = {}, {}
    for dag_id in HISTORY_DAGS:
        backfills[dag_id], created[dag_id] = ensure_backfill(
            api, dag_id, months, reprocess_behavior=reprocess_behavior, max_active_runs=max_active_runs
        )
        created[dag_id] = created[dag_id] or dag_id in set(created_before)
        verb = "created" if created[dag_id] else "following unfinished"
        console.print(f"{verb} {_describe(backfills[dag_id])}")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Bar(*columns, console=console, transient=False) as bar:
        task = bar.add_task(f"months landed {months.label()}", total=months.months * len(HISTORY_DAGS))

        def show(p: Progress) -> None:
            failed = f" ({len(p.failed)} failed)" if p.failed else ""
            bar.update(task, completed=p.finished, description=f"months landed {months.label()}{failed}")

        progress = follow(api, backfills, months, on_progress=show, timeout=timeout)
    if progress.failed:
        listed = ", ".join(progress.failed[:12]) + (" …" if len(progress.failed) > 12 else "")
        raise BackfillError(
            f"{len(progress.failed)} month run(s) failed: {listed}; fix the cause (task logs in the Airflow UI) and "
            "rerun this command with --reprocess-behavior failed"
        )
    final_build = None
    landed_at = last_history_landing(api, HISTORY_DAGS, months)
    if landed_at:
        console.print("waiting for the build that read the last landed month …")
        final_build = wait_for_build_after(api, landed_at, timeout, rebuild_failed_before=started_at)
    return BackfillReport(
        months=months,
        backfills=backfills,
        created=created,
        progress=progress,
        seconds=time.monotonic() - started,
        builds=builds_since(api, started_at),
        final_build=final_build,
    )
