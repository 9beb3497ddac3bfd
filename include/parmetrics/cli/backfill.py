"""The ``parmetrics backfill`` command (the logic is in ``orchestration/backfill.py``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from parmetrics.cli.common import console, resolve_paths

BACKFILL_DAG_IDS = {
    "ingest_reference",
    "ingest_finance",
    "ingest_dossiers",
    "ingest_documents",
    "ingest_dossiers_history",
    "ingest_documents_history",
    "build_marts",
}


def register(app: typer.Typer) -> None:
    @app.command()
    def backfill(
        from_month: Annotated[str, typer.Option("--from", help="first month, YYYY-MM (e.g. 2019-01)")],
        to_month: Annotated[str, typer.Option("--to", help="last month, YYYY-MM (e.g. 2024-12)")],
        reprocess_behavior: Annotated[
            str,
            typer.Option(help="Airflow's: none (skip months with a run), failed (re-run failed months), completed"),
        ] = "failed",
        max_active_runs: Annotated[int, typer.Option(help="months in flight per history DAG")] = 2,
        api_url: Annotated[
            str | None,
            typer.Option(
                envvar="PARMETRICS_AIRFLOW_API_URL",
                help="a running Airflow (user/password from AIRFLOW_API_USER/AIRFLOW_API_PASSWORD); "
                "default: start the embedded one on the data directory",
            ),
        ] = None,
        data_dir: Annotated[
            Path | None, typer.Option(help="data directory (default: $PARMETRICS_DATA_DIR or .data)")
        ] = None,
        timeout: Annotated[float, typer.Option(help="seconds to wait for the backfill and its build")] = 3600,
        dossiers: Annotated[
            int | None, typer.Option(help="embedded only: dossiers of the simulated province (default: make run's)")
        ] = None,
    ) -> None:
        """Backfill past months through Airflow's own backfill of the monthly history twins, with progress.

        Rerunning the same command follows an unfinished backfill (e.g. after the scheduler died) instead
        of creating a second one."""
        import logging

        from parmetrics.orchestration.airflow_api import AirflowApi
        from parmetrics.orchestration.backfill import (
            BackfillError,
            MonthRange,
            missing_backfills,
            run_backfill,
        )

        logging.basicConfig(level=logging.WARNING)
        try:
            months = MonthRange.parse(from_month, to_month)
        except BackfillError as exc:
            raise typer.BadParameter(str(exc)) from exc
        paths = resolve_paths(data_dir)
        try:
            if api_url:
                api = AirflowApi(
                    api_url.rstrip("/"), os.environ["AIRFLOW_API_USER"], os.environ["AIRFLOW_API_PASSWORD"]
                )
                report = run_backfill(
                    api,
                    months,
                    console,
                    reprocess_behavior=reprocess_behavior,
                    max_active_runs=max_active_runs,
                    timeout=timeout,
                )
            else:
                from parmetrics.lab.demo import DemoSettings
                from parmetrics.lab.runners.embedded import create_backfill_with_cli, embedded_airflow

                settings = DemoSettings(
                    timeout=timeout, clock_at=months.replay_clock, **({"n_dossiers": dossiers} if dossiers else {})
                )
                with embedded_airflow(paths, settings, console, BACKFILL_DAG_IDS) as (api, airflow):
                    missing = missing_backfills(api, months)
                    if missing:
                        # SQLite: Airflow cannot create a backfill while its scheduler writes.
                        console.print(f"creating the backfills of {', '.join(missing)} with the scheduler stopped …")
                        airflow.stop()
                        for dag_id in missing:
                            create_backfill_with_cli(
                                airflow.env,
                                dag_id,
                                months,
                                reprocess_behavior=reprocess_behavior,
                                max_active_runs=max_active_runs,
                            )
                        airflow.start()
                        api = airflow.wait_ready(BACKFILL_DAG_IDS, timeout=timeout)
                    report = run_backfill(
                        api,
                        months,
                        console,
                        created_before=missing,
                        reprocess_behavior=reprocess_behavior,
                        max_active_runs=max_active_runs,
                        timeout=timeout,
                    )
        except (BackfillError, RuntimeError, TimeoutError) as exc:
            # One line for the engineer; the Airflow UI and <data>/airflow/standalone.log have the rest.
            console.print(f"[red]backfill failed:[/red] {exc}")
            raise typer.Exit(1) from exc
        print_report(report, paths, console)


def print_report(report, paths, console) -> None:
    from parmetrics import ops

    runs = report.progress
    console.print(
        f"backfill {report.months.label()}: {runs.finished}/{runs.total} month runs finished in "
        f"{report.seconds:.0f} s; {len(report.builds)} build_marts run(s) since it started"
    )
    if report.final_build:
        run_id = report.final_build["dag_run_id"]
        records = [r for r in ops.read_records(paths, "pipeline_runs") if r.get("run_id") == run_id]
        for record in records:
            if record.get("stage") == "dbt_build":
                summary = {k: record[k] for k in ("seconds", "node_statuses", "incremental") if k in record}
                console.print(f"final build {run_id}: dbt {json.dumps(summary, ensure_ascii=False)}")
    console.print(f"published file: {paths.published_db}")
