"""Import the task libraries once in the processes that fork Airflow's tasks.

Every task runs in a process forked from the executor's worker (LocalExecutor: forked from the
scheduler; Celery: the worker's prefork pool). A task that lands a batch validates it with Great
Expectations, whose import alone costs seconds of CPU — paid again by every task, 432 times in a
six-year backfill. Imported in the scheduler (or Celery worker) before it forks its workers, the
modules are shared by every task for free. Other Airflow components (API server, DAG processor,
triggerer) do not run tasks and are left lean.

Airflow imports ``airflow_local_settings`` from ``$AIRFLOW_HOME/config`` at start-up in every
component; :func:`install_local_settings` writes one that calls :func:`preload_task_libraries`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

TASK_FORKING_COMMANDS = (("scheduler",), ("celery", "worker"))
TASK_LIBRARIES = ("duckdb", "pyarrow", "pandas", "great_expectations")
LOCAL_SETTINGS = '''"""Written by parmetrics (orchestration/preload.py): task libraries preloaded where tasks fork."""

from parmetrics.orchestration.preload import preload_task_libraries

preload_task_libraries()
'''


def forks_tasks(argv: list[str]) -> bool:
    return any(argv[: len(command)] == list(command) for command in TASK_FORKING_COMMANDS)


def preload_task_libraries(argv: list[str] | None = None) -> bool:
    """Import :data:`TASK_LIBRARIES` if this process is one that forks tasks; returns whether it did."""
    if not forks_tasks(list(sys.argv[1:] if argv is None else argv)):
        return False
    for name in TASK_LIBRARIES:
        importlib.import_module(name)
    return True


def install_local_settings(airflow_home: Path) -> Path:
    path = airflow_home / "config" / "airflow_local_settings.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LOCAL_SETTINGS)
    return path
