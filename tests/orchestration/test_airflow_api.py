"""The REST client's handling of an Airflow 3.3 quirk: GET /assets/events answers 500 while a run that an
event created is queued (its response model requires the run's start_date)."""

from __future__ import annotations

import httpx
import pytest

from parmetrics.orchestration.airflow_api import AirflowApi, AirflowApiError

EVENTS = {
    "asset_events": [
        {"created_dagruns": [{"dag_id": "publish_reports", "run_id": "r2"}, {"dag_id": "other", "run_id": "x"}]},
        {"created_dagruns": [{"dag_id": "publish_reports", "run_id": "r1"}]},
    ]
}


def _api(monkeypatch, answers: list[httpx.Response]) -> tuple[AirflowApi, list[dict]]:
    calls: list[dict] = []

    def fake_request(method, url, **kwargs):
        calls.append({"method": method, "url": url, "params": kwargs.get("params")})
        return answers.pop(0)

    monkeypatch.setattr(httpx, "request", fake_request)
    api = AirflowApi("http://airflow", "admin", "pw", _token="t")
    return api, calls


def test_a_queued_created_run_reads_as_none_yet_then_the_runs_once_it_started(monkeypatch):
    api, calls = _api(
        monkeypatch, [httpx.Response(500, text="Internal Server Error"), httpx.Response(200, json=EVENTS)]
    )
    assert api.runs_created_by("build_marts", "b1", "publish_reports") == []
    assert api.runs_created_by("build_marts", "b1", "publish_reports") == ["r1", "r2"]
    assert calls[0]["params"] == {"source_dag_id": "build_marts", "source_run_id": "b1", "limit": 100}


@pytest.mark.parametrize("status", [401, 403, 404, 503])
def test_other_errors_still_raise_with_their_status(monkeypatch, status):
    api, _ = _api(monkeypatch, [httpx.Response(status, text="no")])
    with pytest.raises(AirflowApiError, match=f"→ {status}") as info:
        api.runs_created_by("build_marts", "b1", "publish_reports")
    assert info.value.status == status
