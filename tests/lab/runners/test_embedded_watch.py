"""The embedded backfill's watch: a dead scheduler or API server is said so and started again; after
too many restarts it gives up with the reason and the command that resumes."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from parmetrics.lab.runners.embedded import EmbeddedWatch
from parmetrics.orchestration.backfill import AirflowDown


class FakeStandalone:
    def __init__(self, deaths: list[dict[str, str]]) -> None:
        self.deaths = deaths
        self.restarted: list[str] = []
        self.waited = 0

    def dead_components(self) -> dict[str, str]:
        return self.deaths.pop(0) if self.deaths else {}

    def restart(self, name: str) -> None:
        self.restarted.append(name)

    def wait_ready(self, dag_ids, timeout):
        self.waited += 1
        return f"api-{self.waited}"


def watch(airflow, out) -> EmbeddedWatch:
    return EmbeddedWatch(airflow, Console(file=out, width=300), {"build_marts"}, "parmetrics backfill --from X --to Y")


def test_a_dead_scheduler_is_said_and_restarted_and_the_same_api_goes_on():
    out = io.StringIO()
    airflow = FakeStandalone([{}, {"scheduler": "its process is gone"}, {}])
    w = watch(airflow, out)
    assert w.check("api-0") == "api-0"
    assert w.check("api-0") == "api-0"  # the API server lives on: no new client needed
    assert airflow.restarted == ["scheduler"] and airflow.waited == 0
    assert out.getvalue().splitlines() == [
        "the Airflow scheduler died (its process is gone); restarting it (1 of 3) …",
        "Airflow is back; following the backfill",
    ]


def test_a_dead_api_server_or_standalone_gives_a_new_client():
    airflow = FakeStandalone([{"api-server": "exit status 1"}, {"standalone": "airflow standalone exited with -9"}])
    w = watch(airflow, io.StringIO())
    assert w.check("api-0") == "api-1"
    assert w.check("api-1") == "api-2"
    assert airflow.restarted == ["api-server", "standalone"]


def test_the_fourth_death_of_a_component_stops_with_the_resume_command():
    airflow = FakeStandalone([{"scheduler": "exit status 1"}] * 4)
    w = watch(airflow, io.StringIO())
    for _ in range(3):
        w.check("api")
    with pytest.raises(AirflowDown) as err:
        w.check("api")
    assert err.value.reason == "the Airflow scheduler died again (exit status 1) after 3 restarts"
    assert err.value.resume == "parmetrics backfill --from X --to Y"
    assert airflow.restarted == ["scheduler"] * 3
