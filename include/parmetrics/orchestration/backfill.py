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
A twin whose every month already succeeded gets no new backfill (nothing to reprocess).

A failed month or file run never stops the backfill: every month runs to its end, the build reads what
landed, and the end-of-run report lists each failure with its one-line reason and the command that
retries just it (:class:`Failure`); the exit code is non-zero only when something is still missing.
A scheduler or API server that dies is noticed within a minute (a *watch*, checked at every poll):
the embedded runner restarts it; against a running Airflow the wrapper stops with the reason and the
command that resumes (:class:`AirflowDown`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import httpx
import pendulum

from parmetrics.config import LOCAL_TZ
from parmetrics.orchestration.airflow_api import AirflowApi, AirflowApiError, one_line

HISTORY_DAGS = ("ingest_dossiers_history", "ingest_documents_history")
BUILD_DAG = "build_marts"
REPROCESS_BEHAVIORS = ("none", "failed", "completed")
FILE_DAGS = ("ingest_reference", "ingest_finance")
FINISHED = ("success", "failed")
CREATE_ATTEMPTS = 6
# How long the API server may not answer before the wrapper gives up on it (it restarts after a crash
# in seconds; a minute of silence is a dead server).
API_GRACE_SECONDS = 40.0


class BackfillError(RuntimeError):
    """The backfill cannot be created or did not finish cleanly; the message says what to do."""


class AirflowDown(BackfillError):
    """The scheduler or the API server is gone and was not (or could not be) restarted."""

    def __init__(self, reason: str, resume: str) -> None:
        super().__init__(f"{reason}; resume with: {resume}" if resume else reason)
        self.reason, self.resume = reason, resume


class Watch(Protocol):
    """Checks, at every poll, that the Airflow being followed is alive; returns the API to use next
    (a restarted Airflow may have a new one) or raises :class:`AirflowDown`."""

    def check(self, api: AirflowApi) -> AirflowApi: ...


@dataclass
class HealthWatch:
    """The watch for an Airflow the wrapper did not start (``--api-url``): it cannot restart anything,
    so a scheduler that Airflow reports unhealthy (no heartbeat within its
    ``scheduler_health_check_threshold``, 30 s by default) stops the wrapper with the reason and the
    command that resumes. An API server that does not answer is the pollers' business (a grace)."""

    resume: str

    def check(self, api: AirflowApi) -> AirflowApi:
        health = api.health()
        if health is None:
            return api
        scheduler = health.get("scheduler") or {}
        if scheduler.get("status") != "healthy":
            beat = scheduler.get("latest_scheduler_heartbeat")
            seen = f"last heartbeat {beat}" if beat else "no heartbeat"
            raise AirflowDown(f"the Airflow scheduler behind {api.base_url} is not running ({seen})", self.resume)
        return api


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

    def each(self) -> list[str]:
        """Every month in range as ``YYYY-MM``."""
        out, year, month = [], self.first.year, self.first.month
        for _ in range(self.months):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


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


def months_to_run(api: AirflowApi, dag_id: str, months: MonthRange, reprocess_behavior: str) -> list[str]:
    """The months a new backfill of ``dag_id`` would run: those without a run, and under Airflow's
    ``failed`` those whose latest run failed (``completed``: every month)."""
    if reprocess_behavior == "completed":
        return months.each()
    latest = {month: run["state"] for month, run in backfill_runs(api, dag_id, months).items()}
    rerun = ("failed",) if reprocess_behavior == "failed" else ()
    return [m for m in months.each() if m not in latest or latest[m] in rerun]


def ensure_backfill(
    api: AirflowApi,
    dag_id: str,
    months: MonthRange,
    *,
    reprocess_behavior: str,
    max_active_runs: int,
    retry_wait: float = 5.0,
) -> tuple[dict[str, Any] | None, bool]:
    """The unfinished backfill of ``dag_id`` for these months, or a new one, or None when every month
    already has the run the reprocess behaviour asks for. Returns (backfill, created)."""
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
    if not months_to_run(api, dag_id, months, reprocess_behavior):
        return None, False
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


def missing_backfills(
    api: AirflowApi, months: MonthRange, dag_ids: Iterable[str] = HISTORY_DAGS, *, reprocess_behavior: str = "failed"
) -> list[str]:
    """The twins that need a new backfill for these months: no unfinished one, and months to run
    (raises if another range is unfinished)."""
    missing = []
    for dag_id in dag_ids:
        unfinished = [b for b in api.backfills(dag_id) if b["completed_at"] is None]
        if any(months.covers(b) for b in unfinished):
            continue
        if unfinished:
            raise BackfillError(_conflict(unfinished[0], months))
        if months_to_run(api, dag_id, months, reprocess_behavior):
            missing.append(dag_id)
    return missing


@dataclass
class Progress:
    """What the runs of the backfills look like now (the latest run of each month)."""

    total: int
    states: dict[str, dict[str, str]] = field(default_factory=dict)  # dag_id → month → state
    completed: dict[str, bool] = field(default_factory=dict)  # dag_id → backfill completed
    runs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # dag_id → month → run

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


def backfill_runs(api: AirflowApi, dag_id: str, months: MonthRange) -> dict[str, dict[str, Any]]:
    """The latest run of the twin for each month in range (whichever backfill created it), by month.

    A retry under ``reprocess_behavior=failed`` adds a run beside the failed one (Airflow keeps the
    failed one as history): the newest by start, then by when it was due, is the month's state."""
    latest: dict[str, dict[str, Any]] = {}
    first, last = _local_midnight(months.first), _local_midnight(months.last)
    for run in api.all_dag_runs(dag_id, run_type="backfill"):
        logical = pendulum.parse(run["logical_date"])
        if not first <= logical <= last:
            continue
        month = logical.in_timezone(str(LOCAL_TZ)).strftime("%Y-%m")
        order = (run.get("start_date") or "", run.get("run_after") or "", run.get("dag_run_id") or "")
        held = latest.get(month)
        if held is None or order >= (
            held.get("start_date") or "",
            held.get("run_after") or "",
            held.get("dag_run_id") or "",
        ):
            latest[month] = run
    return latest


def poll(api: AirflowApi, backfills: dict[str, dict[str, Any] | None], months: MonthRange) -> Progress:
    progress = Progress(total=months.months * len(backfills))
    for dag_id, backfill in backfills.items():
        runs = backfill_runs(api, dag_id, months)
        progress.runs[dag_id] = runs
        progress.states[dag_id] = {month: run["state"] for month, run in runs.items()}
        progress.completed[dag_id] = (
            backfill is None or api.request("GET", f"/backfills/{backfill['id']}")["completed_at"] is not None
        )
    return progress


def _answering(
    api: AirflowApi, call: Callable[[AirflowApi], Any], *, watch: Watch | None, resume: str, interval: float
) -> tuple[AirflowApi, Any]:
    """``call(api)`` once the watch is satisfied, retried while the API server does not answer (a
    restart takes seconds) and given up after :data:`API_GRACE_SECONDS` of silence."""
    silent_since = None
    while True:
        if watch is not None:
            api = watch.check(api)
        try:
            return api, call(api)
        except (httpx.HTTPError, AirflowApiError) as exc:
            if isinstance(exc, AirflowApiError) and exc.status is not None and exc.status < 500:
                raise
            silent_since = silent_since or time.monotonic()
            silent = time.monotonic() - silent_since
            if silent > API_GRACE_SECONDS:
                raise AirflowDown(
                    f"the Airflow API server at {api.base_url} has not answered for {silent:.0f} s "
                    f"({one_line(exc, 160)})",
                    resume,
                ) from exc
        time.sleep(interval)


def follow(
    api: AirflowApi,
    backfills: dict[str, dict[str, Any] | None],
    months: MonthRange,
    *,
    on_progress: Callable[[Progress], None],
    timeout: float,
    interval: float = 3.0,
    watch: Watch | None = None,
    resume: str = "",
) -> tuple[AirflowApi, Progress]:
    """Poll until every backfill is complete (Airflow marks it when its last run finished), failed
    months included: a failed month is reported at the end, it does not stop the others."""
    deadline = time.monotonic() + timeout
    while True:
        api, progress = _answering(
            api, lambda a: poll(a, backfills, months), watch=watch, resume=resume, interval=interval
        )
        on_progress(progress)
        if progress.done:
            return api, progress
        if time.monotonic() > deadline:
            raise AirflowDown(
                f"backfill not finished after {timeout:.0f} s ({progress.finished}/{progress.total} month runs)",
                resume,
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
    api: AirflowApi,
    landed_at: str,
    timeout: float,
    interval: float = 3.0,
    *,
    rebuild_failed_before: str = "",
    watch: Watch | None = None,
    resume: str = "",
) -> dict[str, Any]:
    """The build that started after the last landing has read everything landed: wait for it and
    return it, successful or failed (the caller reports a failed one).

    Every landing event queues ``build_marts`` again (Airflow issue #52665); with max_active_runs=1 the
    builds run one after another, each over everything landed so far, so the last one is enough.
    If that build failed before this command started (``rebuild_failed_before``: the command is being
    rerun to resume), no landing event will come to retry it: trigger one build and wait for that.
    """
    deadline = time.monotonic() + timeout
    while True:
        api, runs = _answering(api, lambda a: a.all_dag_runs(BUILD_DAG), watch=watch, resume=resume, interval=interval)
        active = [r for r in runs if r["state"] not in FINISHED]
        after = [r for r in runs if (r["start_date"] or "") > landed_at]
        if after and not active:
            run = max(after, key=lambda r: r["start_date"])
            if run["state"] == "failed" and (run["start_date"] or "") < rebuild_failed_before:
                api.trigger(BUILD_DAG)
                landed_at = rebuild_failed_before = run["start_date"]
                time.sleep(interval)
                continue
            return run
        if time.monotonic() > deadline:
            raise AirflowDown(f"no {BUILD_DAG} run finished after the last landed month within {timeout:.0f} s", resume)
        time.sleep(interval)


def builds_since(api: AirflowApi, since: str) -> list[dict[str, Any]]:
    return [r for r in api.all_dag_runs(BUILD_DAG) if (r["start_date"] or "") >= since]


@dataclass(frozen=True)
class Failure:
    """Something the backfill could not do, why (one line), and the command that retries just it."""

    what: str
    reason: str
    retry: str


def month_ranges(months: Iterable[str]) -> list[tuple[str, str]]:
    """Consecutive ``YYYY-MM`` months grouped into (first, last) ranges."""
    ranges: list[list[str]] = []
    for month in sorted(set(months)):
        if ranges and _next_month(ranges[-1][1]) == month:
            ranges[-1][1] = month
        else:
            ranges.append([month, month])
    return [(a, b) for a, b in ranges]


def _next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + 1:04d}-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}"


def month_failures(api: AirflowApi, progress: Progress, retry: str) -> list[Failure]:
    """Each failed month run with its reason. ``retry`` re-runs the failed months only: the same range
    with ``--reprocess-behavior failed`` (Airflow runs again only the months whose latest run failed,
    and the range keeps the backfill's reference clock, the day after its last month)."""
    failed = [
        (month, dag_id, run)
        for dag_id, runs in progress.runs.items()
        for month, run in runs.items()
        if run["state"] == "failed"
    ]
    return [
        Failure(what=f"{dag_id} {month}", reason=api.run_failure_reason(dag_id, run["dag_run_id"]), retry=retry)
        for month, dag_id, run in sorted(failed, key=lambda f: (f[0], f[1]))
    ]


def file_failures(api: AirflowApi, since: str, retry_files: Callable[[str], str]) -> list[Failure]:
    """Each file-drop run that failed after ``since`` (ISO, UTC) and was not followed by a successful
    one; ``retry_files(dag_id)`` is the command that retries that inbox."""
    failures = []
    for dag_id in FILE_DAGS:
        runs = [r for r in api.dag_runs(dag_id) if (r["start_date"] or "") >= since]
        failed = [r for r in runs if r["state"] == "failed"]
        if not failed:
            continue
        last = max(failed, key=lambda r: r["start_date"] or "")
        failures.append(
            Failure(
                what=f"{dag_id} run {last['dag_run_id']}",
                reason=api.run_failure_reason(dag_id, last["dag_run_id"]),
                retry=retry_files(dag_id),
            )
        )
    return failures


@dataclass
class BackfillReport:
    months: MonthRange
    backfills: dict[str, dict[str, Any] | None]
    created: dict[str, bool]
    progress: Progress
    seconds: float
    builds: list[dict[str, Any]]
    final_build: dict[str, Any] | None
    failures: list[Failure] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 only when nothing is missing: every month landed, every file run landed, and the build
        that read them published."""
        return 1 if self.failures else 0


def run_backfill(
    api: AirflowApi,
    months: MonthRange,
    console,
    *,
    reprocess_behavior: str = "failed",
    max_active_runs: int = 2,
    timeout: float = 3600,
    created_before: Iterable[str] = (),
    watch: Watch | None = None,
    resume: str = "",
    retry: str = "",
    retry_files: Callable[[str], str] | None = None,
    files_since: str | None = None,
) -> BackfillReport:
    """Create (or follow) the backfill of every history twin, show progress, wait for the final build,
    and report what is missing with the commands that retry it.

    ``created_before``: twins whose backfill the caller has just created (the embedded path creates them
    with the CLI); they are followed, and reported as created. ``watch`` checks at every poll that
    Airflow is alive; ``resume`` is the command that resumes this backfill, ``retry`` the one that
    re-runs its failed months and ``retry_files(dag_id)`` the one that retries an inbox.
    File-drop runs that failed since ``files_since`` (default: this call) are reported too."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    started = time.monotonic()
    started_at = pendulum.now("UTC").isoformat()
    retry = retry or resume
    retry_files = retry_files or (lambda dag_id: resume)
    backfills: dict[str, dict[str, Any] | None] = {}
    created: dict[str, bool] = {}
    for dag_id in HISTORY_DAGS:
        api, (backfills[dag_id], created[dag_id]) = _answering(
            api,
            lambda a, d=dag_id: ensure_backfill(
                a, d, months, reprocess_behavior=reprocess_behavior, max_active_runs=max_active_runs
            ),
            watch=watch,
            resume=resume,
            interval=3.0,
        )
        created[dag_id] = created[dag_id] or dag_id in set(created_before)
        if backfills[dag_id] is None:
            console.print(f"{dag_id}: every month {months.label()} already landed; nothing to reprocess")
        else:
            verb = "created" if created[dag_id] else "following unfinished"
            console.print(f"{verb} {_describe(backfills[dag_id])}")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Bar(*columns, console=console, transient=False) as bar:
        task = bar.add_task(f"months landed {months.label()}", total=months.months * len(HISTORY_DAGS))

        def show(p: Progress) -> None:
            failed = f" ({len(p.failed)} failed)" if p.failed else ""
            bar.update(task, completed=p.finished, description=f"months landed {months.label()}{failed}")

        api, progress = follow(api, backfills, months, on_progress=show, timeout=timeout, watch=watch, resume=resume)
    failures = month_failures(api, progress, retry)
    if failures:
        ranges = ", ".join(a if a == b else f"{a} → {b}" for a, b in month_ranges(f.what[-7:] for f in failures))
        console.print(f"month runs failed ({ranges}); the other months landed: building what landed …")
    final_build = None
    landed_at = last_history_landing(api, HISTORY_DAGS, months)
    if landed_at:
        console.print("waiting for the build that read the last landed month …")
        final_build = wait_for_build_after(
            api, landed_at, timeout, rebuild_failed_before=started_at, watch=watch, resume=resume
        )
        if final_build["state"] != "success":
            failures.append(
                Failure(
                    what=f"{BUILD_DAG} run {final_build['dag_run_id']} (nothing new was published)",
                    reason=api.run_failure_reason(BUILD_DAG, final_build["dag_run_id"]),
                    retry=resume,
                )
            )
    failures += file_failures(api, files_since or started_at, retry_files)
    return BackfillReport(
        months=months,
        backfills=backfills,
        created=created,
        progress=progress,
        seconds=time.monotonic() - started,
        builds=builds_since(api, started_at),
        final_build=final_build,
        failures=failures,
    )
