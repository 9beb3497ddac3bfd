"""The dbt project as one Airflow task per dbt node: the common Cosmos default, for the bench only.

Loaded only from the bench's own dags folder (never from ``dags/``). Rendered from the manifest the
bench's full build wrote (``PARMETRICS_BENCH_MANIFEST``); local execution, tests after each model (the
default), every task in the one-slot ``duckdb_writer`` pool because DuckDB has one writer per file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pendulum
from cosmos import DbtDag, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, LoadMode

from parmetrics.config import DBT_PROJECT_DIR
from parmetrics.orchestration.assets import DUCKDB_WRITER_POOL

MANIFEST = os.environ.get("PARMETRICS_BENCH_MANIFEST", "")

if MANIFEST and Path(MANIFEST).exists():
    par_metrics_cosmos = DbtDag(
        dag_id="par_metrics_cosmos",
        project_config=ProjectConfig(dbt_project_path=DBT_PROJECT_DIR, manifest_path=MANIFEST),
        profile_config=ProfileConfig(
            profile_name="parmetrics", target_name="duckdb", profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml"
        ),
        render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, dbt_executable_path=str(Path(sys.executable).with_name("dbt"))
        ),
        operator_args={"install_deps": False},
        default_args={"pool": DUCKDB_WRITER_POOL, "retries": 0},
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
        catchup=False,
        max_active_runs=1,
        tags=["bench"],
    )
