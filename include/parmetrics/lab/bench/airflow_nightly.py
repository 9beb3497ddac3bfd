"""The nightly run through real Airflow: ``ingest_dossiers`` → its landing asset → ``build_marts``
(incremental ``dbt build`` → gate → publish), on the same data the bench's stages just measured.

Airflow runs as in ``make run`` (``airflow standalone``, the repository's DAGs, the one-slot writer pool),
started before the clock starts: a scheduler is a long-running service, not part of a nightly run. The
run extracts from the watermark the bench left at the start of the last day, so it lands the same window
again (replacing its batch) and builds on top of the history.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from rich.console import Console

from parmetrics.config import Paths


class TreeMemory:
    """The peak memory of a process tree (Airflow's components and the task processes they fork), sampled
    every ``interval`` seconds in a thread: the largest single process and the largest sum of them."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval = pid, interval
        self.peak_process_mb = self.peak_total_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                sizes = []
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        sizes.append(proc.memory_info().rss / 2**20)
                    except psutil.Error:
                        continue  # a task process that just ended
            except psutil.Error:
                sizes = []
            if sizes:
                self.peak_process_mb = max(self.peak_process_mb, max(sizes))
                self.peak_total_mb = max(self.peak_total_mb, sum(sizes))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _task_seconds(api: Any, dag_id: str, run_id: str) -> dict[str, float]:
    out = {}
    for ti in api.task_instances(dag_id, run_id):
        start, end = _instant(ti.get("start_date")), _instant(ti.get("end_date"))
        if start and end:
            out[ti["task_id"]] = round((end - start).total_seconds(), 2)
    return out


def nightly_through_airflow(
    paths: Paths, plan: Any, secret: dict[str, str], api_port: int, console: Console, timeout: float
) -> dict[str, Any]:
    from parmetrics.lab.demo import DAG_IDS, DemoSettings, pipeline_env
    from parmetrics.lab.runners.standalone import Standalone

    settings = DemoSettings(end=plan.end)  # the same reference clock: the source's end + 6 h
    from parmetrics.lab.bench.measure import bytecode_env

    env = {**pipeline_env(paths, settings, secret, api_port), **bytecode_env(paths)}
    airflow = Standalone(paths.root / "airflow", env)
    airflow.start()
    try:
        api = airflow.wait_ready(DAG_IDS, timeout=timeout)
        with TreeMemory(airflow.proc.pid) as memory:
            started = time.monotonic()
            # The day's changes are in the source: the nightly run that picks them up starts now.
            ingest_id = api.trigger("ingest_dossiers")
            ingest = api.wait_for_run("ingest_dossiers", ingest_id, timeout, poll=0.5)
            if ingest["state"] != "success":
                raise RuntimeError(
                    f"ingest_dossiers {ingest_id} failed: tasks {api.failed_tasks('ingest_dossiers', ingest_id)}"
                )
            deadline = time.monotonic() + timeout
            build_ids: list[str] = []
            while not build_ids:
                build_ids = api.runs_created_by("ingest_dossiers", ingest_id, "build_marts")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no build_marts run was created by ingest_dossiers {ingest_id}")
                time.sleep(0.5)
            build = api.wait_for_run("build_marts", build_ids[-1], timeout, poll=0.5)
            wall = time.monotonic() - started
        if build["state"] != "success":
            raise RuntimeError(
                f"build_marts {build_ids[-1]} failed: tasks {api.failed_tasks('build_marts', build_ids[-1])}"
            )
        first = _instant(ingest.get("queued_at")) or _instant(ingest["start_date"])
        end_to_end = (_instant(build["end_date"]) - first).total_seconds()
        # The publication's reports: their own DAG, after the nightly run (not part of end to end).
        from parmetrics.lab.demo import wait_for_reports

        reports = wait_for_reports(api, build_ids[-1], console, timeout)
        return {
            "end_to_end_seconds": end_to_end,
            "reports_run_seconds": (_instant(reports["end_date"]) - _instant(reports["start_date"])).total_seconds(),
            "wall_seconds_polled": wall,
            # The largest process of Airflow's tree (a task running dbt, the gate or publish) during the
            # run, and the largest sum over the tree (scheduler, API server, DAG processor … included).
            "peak_rss_mb": memory.peak_process_mb,
            "peak_tree_rss_mb": memory.peak_total_mb,
            "ingest_run_seconds": (_instant(ingest["end_date"]) - first).total_seconds(),
            "build_run_seconds": (_instant(build["end_date"]) - _instant(build["start_date"])).total_seconds(),
            "tasks": {
                **{f"ingest_dossiers.{k}": v for k, v in _task_seconds(api, "ingest_dossiers", ingest_id).items()},
                **{f"build_marts.{k}": v for k, v in _task_seconds(api, "build_marts", build_ids[-1]).items()},
            },
        }
    finally:
        console.print("  stopping Airflow …")
        airflow.stop()
