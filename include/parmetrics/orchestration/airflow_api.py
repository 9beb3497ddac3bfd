"""A small client for Airflow's REST API (v2), used by the demo runner, the CLI and the tests."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


class AirflowApiError(RuntimeError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class AirflowApi:
    base_url: str
    username: str
    password: str
    _token: str | None = field(default=None, repr=False)

    @classmethod
    def for_standalone(cls, base_url: str, airflow_home: Path, username: str = "admin") -> AirflowApi:
        """Use the simple auth manager's generated password (written by ``airflow standalone``)."""
        passwords = json.loads((airflow_home / "simple_auth_manager_passwords.json.generated").read_text())
        return cls(base_url.rstrip("/"), username, passwords[username])

    def _auth(self) -> dict[str, str]:
        if self._token is None:
            r = httpx.post(
                f"{self.base_url}/auth/token",
                json={"username": self.username, "password": self.password},
                timeout=30,
            )
            if r.status_code not in (200, 201):
                raise AirflowApiError(f"POST /auth/token → {r.status_code}: {r.text[:200]}")
            self._token = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        r = httpx.request(method, f"{self.base_url}/api/v2{path}", headers=self._auth(), timeout=60, **kwargs)
        if r.status_code >= 400:
            raise AirflowApiError(f"{method} /api/v2{path} → {r.status_code}: {r.text[:500]}", r.status_code)
        return r.json() if r.content else None

    def health(self) -> dict[str, Any] | None:
        """``GET /api/v2/monitor/health`` (no login needed), or None when the API server does not answer.

        The scheduler shows ``unhealthy`` once its last heartbeat is older than Airflow's
        ``[scheduler] scheduler_health_check_threshold`` (30 s by default)."""
        try:
            r = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5)
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None

    def healthy(self) -> bool:
        health = self.health() or {}
        return all(health.get(c, {}).get("status") == "healthy" for c in ("metadatabase", "scheduler"))

    def dag_ids(self) -> set[str]:
        return {d["dag_id"] for d in self.request("GET", "/dags", params={"limit": 100})["dags"]}

    def unpause(self, dag_id: str) -> None:
        self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run = self.request("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.request("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "-run_after"})[
            "dag_runs"
        ]

    def all_dag_runs(self, dag_id: str, run_type: str | None = None, page: int = 100) -> list[dict[str, Any]]:
        """Every run of a DAG (paged; a six-year backfill has 72 runs per twin), optionally of one type."""
        runs: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": page, "order_by": "run_after"}
        if run_type:
            params["run_type"] = run_type
        while True:
            batch = self.request("GET", f"/dags/{dag_id}/dagRuns", params={**params, "offset": len(runs)})
            runs.extend(batch["dag_runs"])
            if not batch["dag_runs"] or len(runs) >= batch["total_entries"]:
                return runs

    def backfills(self, dag_id: str) -> list[dict[str, Any]]:
        return self.request("GET", "/backfills", params={"dag_id": dag_id, "limit": 100})["backfills"]

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def create_asset_event(self, asset_uri: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the dossier system does when it has new data (SOURCES.md §1, push notifications)."""
        assets = self.request("GET", "/assets", params={"uri_pattern": asset_uri})["assets"]
        match = [a for a in assets if a["uri"] == asset_uri]
        if not match:
            raise AirflowApiError(f"asset {asset_uri} is not known to Airflow")
        return self.request("POST", "/assets/events", json={"asset_id": match[0]["id"], "extra": extra or {}})

    def runs_created_by(self, source_dag_id: str, source_run_id: str, dag_id: str) -> list[str]:
        """Runs of ``dag_id`` that asset events emitted by a given run created (asset scheduling).

        Empty while such a run is created but not started: Airflow 3.3's ``GET /assets/events`` answers
        500 then (its response model requires each created run's ``start_date``; the server logs a
        pydantic ValidationError ``created_dagruns.0.start_date``; apache/airflow#71360, fixed upstream by
        #71379 after 3.3.2), so callers poll until it starts.
        """
        try:
            events = self.request(
                "GET",
                "/assets/events",
                params={"source_dag_id": source_dag_id, "source_run_id": source_run_id, "limit": 100},
            )["asset_events"]
        except AirflowApiError as exc:
            if exc.status == 500:
                return []
            raise
        return sorted({r["run_id"] for e in events for r in e.get("created_dagruns", []) if r.get("dag_id") == dag_id})

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float, poll: float = 2.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.dag_run(dag_id, run_id)
            if run["state"] in ("success", "failed"):
                return run
            if time.monotonic() > deadline:
                raise AirflowApiError(f"{dag_id} run {run_id} still {run['state']} after {timeout:.0f} s")
            time.sleep(poll)

    def failed_tasks(self, dag_id: str, run_id: str) -> list[str]:
        return [t["task_id"] for t in self.task_instances(dag_id, run_id) if t["state"] == "failed"]

    def task_error(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str | None:
        """The exception a task try ended with, as ``Type: message`` (first line), from its log."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{max(try_number, 1)}"
        try:
            content = self.request("GET", path, params={"full_content": True}).get("content") or []
        except (AirflowApiError, httpx.HTTPError, ValueError):
            return None
        return last_error(content)

    def run_failure_reason(self, dag_id: str, run_id: str) -> str:
        """One line on why a run failed: its failed tasks and the error the first of them raised."""
        failed = [t for t in self.task_instances(dag_id, run_id) if t["state"] == "failed"]
        if not failed:
            return "the run failed without a failed task (timed out, or marked failed by hand)"
        first = failed[0]
        error = self.task_error(dag_id, run_id, first["task_id"], int(first.get("try_number") or 1))
        tasks = ", ".join(t["task_id"] for t in failed)
        return one_line(f"task {tasks} failed: {error}" if error else f"task {tasks} failed (see its log)")


def one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def last_error(content: list[Any]) -> str | None:
    """The last exception in a task log as Airflow 3 serves it (structured events whose failure event
    carries ``error_detail``: a list of ``{exc_type, exc_value, …}``), or the last error-level line."""
    raised = logged = None
    for event in content:
        if isinstance(event, str):  # the API's fallback: raw lines when the log did not parse
            if "Error" in event or "Exception" in event:
                logged = event
            continue
        details = event.get("error_detail")
        exc = (details[-1] if isinstance(details, list) else details) if details else None
        if isinstance(exc, dict) and exc.get("exc_type"):
            value = str(exc.get("exc_value") or "").strip().splitlines()
            raised = f"{exc['exc_type']}: {value[0]}" if value else str(exc["exc_type"])
        elif str(event.get("level", "")).lower() in ("error", "critical") and event.get("event"):
            logged = str(event["event"])
    error = raised or logged
    return one_line(error) if error else None
