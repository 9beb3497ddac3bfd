"""Task libraries are preloaded only in the Airflow processes that fork tasks."""

from __future__ import annotations

import subprocess
import sys

from parmetrics.orchestration.preload import forks_tasks, install_local_settings


def test_only_the_scheduler_and_celery_workers_preload():
    assert forks_tasks(["scheduler"]) and forks_tasks(["celery", "worker", "-q", "default"])
    for argv in (["api-server"], ["dag-processor"], ["triggerer"], ["celery", "flower"], [], ["tasks", "test"]):
        assert not forks_tasks(argv), argv


def test_local_settings_import_the_libraries_in_a_scheduler_process(tmp_path):
    path = install_local_settings(tmp_path / "airflow")
    assert path == tmp_path / "airflow" / "config" / "airflow_local_settings.py"
    probe = (
        "import sys, runpy; sys.argv = ['airflow', '{cmd}']; runpy.run_path({path!r}); "
        "print('great_expectations' in sys.modules, 'duckdb' in sys.modules)"
    )
    for cmd, expected in (("scheduler", "True True"), ("api-server", "False False")):
        out = subprocess.run(
            [sys.executable, "-c", probe.format(cmd=cmd, path=str(path))], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected, (cmd, out.stdout, out.stderr[-500:])
