"""``Standalone.dead_components`` on real processes: a stand-in ``airflow standalone`` that spawns
``airflow scheduler``, ``airflow dag-processor`` and ``airflow api-server`` children (the api-server
retitles itself, as Airflow's does) and, like standalone, never reaps them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil

from parmetrics.lab.runners import standalone as sa
from parmetrics.lab.runners.standalone import Standalone

COMPONENT = """
import sys, time
if sys.argv[1] == "api-server":
    import setproctitle
    setproctitle.setproctitle("airflow api_server -- host:127.0.0.1 port:8080")
time.sleep(600)
"""
PARENT = """
import subprocess, sys, time
procs = [subprocess.Popen([sys.executable, sys.argv[1], n]) for n in ("scheduler", "dag-processor", "api-server")]
time.sleep(600)
"""


def test_a_killed_component_is_dead_at_once_and_living_ones_are_not(tmp_path, monkeypatch):
    component = tmp_path / "airflow"
    component.write_text(COMPONENT)
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(component)], start_new_session=True)
    airflow = Standalone(tmp_path / "home", api_port=1)
    airflow.proc, airflow.started_at = parent, time.monotonic()
    try:
        deadline = time.monotonic() + 30
        while "api_server" not in str([c.cmdline() for c in psutil.Process(parent.pid).children()]):
            assert time.monotonic() < deadline, "the stand-in components did not start"
            time.sleep(0.1)
        assert airflow.dead_components() == {}
        scheduler = airflow._component("scheduler")
        assert scheduler.cmdline()[-1] == "scheduler"
        scheduler.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while scheduler.status() != psutil.STATUS_ZOMBIE:  # standalone does not reap it
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert airflow.dead_components() == {"scheduler": "its process is gone"}
        # The retitled api-server is found and alive, also once the start-up grace is over.
        monkeypatch.setattr(sa, "STARTUP_GRACE_SECONDS", 0.0)
        assert airflow.dead_components() == {"scheduler": "its process is gone"}
        assert "api_server" in " ".join(airflow._component("api-server").cmdline())
    finally:
        airflow.stop(timeout=5)
    assert not psutil.pid_exists(parent.pid)


def test_a_component_never_seen_is_dead_only_after_the_start_up_grace(tmp_path, monkeypatch):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
    airflow = Standalone(tmp_path / "home", api_port=1)
    airflow.proc, airflow.started_at = parent, time.monotonic()
    try:
        assert airflow.dead_components() == {}  # still starting: standalone migrates first
        monkeypatch.setattr(sa, "STARTUP_GRACE_SECONDS", 0.0)
        assert airflow.dead_components() == {"scheduler": "its process is gone", "api-server": "its process is gone"}
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert airflow.dead_components() == {"standalone": "airflow standalone exited with -9"}
    finally:
        airflow.stop(timeout=5)
