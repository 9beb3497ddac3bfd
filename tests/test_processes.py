"""Process scans survive zombies and processes whose attributes cannot be read."""

from __future__ import annotations

import os
import sys
import time

import psutil
import pytest

from tests.processes import processes_where, processes_with_env, processes_with_module


@pytest.fixture
def zombie():
    """A child that exited and was not reaped: its command line and environment read as ``None``."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    deadline = time.monotonic() + 10
    while psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the child never became a zombie"
        time.sleep(0.01)
    yield pid
    os.waitpid(pid, 0)


def test_a_zombie_is_on_the_machine_and_reads_as_none(zombie):
    # The premise of the scans below: psutil really hands back None for this process.
    info = next(p.info for p in psutil.process_iter(["pid", "cmdline"]) if p.info["pid"] == zombie)
    assert info["cmdline"] in (None, [])


def test_scans_by_command_line_pass_over_a_zombie(zombie):
    marker = f"parmetrics_scan_marker_{os.getpid()}"
    child = psutil.Popen([sys.executable, "-c", f"import time; {marker} = 1; time.sleep(30)"])
    try:
        found = processes_where("cmdline", lambda cmdline: any(marker in part for part in cmdline))
        assert [p.pid for p in found] == [child.pid]
        assert processes_with_module("no.such.module.anywhere") == []
    finally:
        child.kill()
        child.wait()


def test_scans_by_environment_pass_over_a_zombie_and_unreadable_processes(zombie, monkeypatch):
    marker = f"parmetrics-scan-{os.getpid()}"
    monkeypatch.setenv("PARMETRICS_SCAN_MARKER", marker)
    # psutil reads the environment from /proc, so the marker must be in a process started with it.
    child = psutil.Popen([sys.executable, "-c", "import time; time.sleep(30)"], env={**os.environ})
    try:
        found = processes_with_env("PARMETRICS_SCAN_MARKER", marker)
        assert [p.pid for p in found] == [child.pid]
    finally:
        child.kill()
        child.wait()


def test_a_predicate_never_sees_none(zombie):
    seen = []
    processes_where("cmdline", lambda value: seen.append(value) or False)
    assert seen and all(isinstance(v, list) for v in seen)
