"""The ``parmetrics backfill`` command (the logic is in ``orchestration/backfill.py``)."""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
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

        A failed month or file run does not stop the others; the end lists each failure with its reason
        and the command that retries it (exit code 1 while something is missing). Rerunning the same
        command follows an unfinished backfill (e.g. after the scheduler died) instead of creating a
        second one."""
        import logging

        from parmetrics.orchestration.airflow_api import AirflowApi
        from parmetrics.orchestration.backfill import (
            AirflowDown,
            BackfillError,
            HealthWatch,
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
        line = CommandLine(
            from_month=from_month,
            to_month=to_month,
            reprocess_behavior=reprocess_behavior,
            max_active_runs=max_active_runs,
            api_url=api_url,
            data_dir=data_dir,
            timeout=timeout,
            dossiers=dossiers,
        )
        resume, retry = line.render(), line.render(reprocess_behavior="failed")
        since = datetime.now(UTC).isoformat()
        options = {
            "reprocess_behavior": reprocess_behavior,
            "max_active_runs": max_active_runs,
            "timeout": timeout,
            "resume": resume,
            "retry": retry,
            "retry_files": lambda dag_id: retry_files(paths, dag_id, since, resume),
            "files_since": since,
        }
        try:
            if api_url:
                api = AirflowApi(
                    api_url.rstrip("/"), os.environ["AIRFLOW_API_USER"], os.environ["AIRFLOW_API_PASSWORD"]
                )
                report = run_backfill(api, months, console, watch=HealthWatch(resume), **options)
            else:
                from parmetrics.lab.demo import DemoSettings
                from parmetrics.lab.runners.embedded import EmbeddedWatch, create_backfill_with_cli, embedded_airflow

                settings = DemoSettings(
                    timeout=timeout, clock_at=months.replay_clock, **({"n_dossiers": dossiers} if dossiers else {})
                )
                with embedded_airflow(paths, settings, console, BACKFILL_DAG_IDS) as (api, airflow):
                    missing = missing_backfills(api, months, reprocess_behavior=reprocess_behavior)
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
                    watch = EmbeddedWatch(airflow, console, BACKFILL_DAG_IDS, resume, timeout=min(timeout, 600))
                    report = run_backfill(api, months, console, created_before=missing, watch=watch, **options)
        except AirflowDown as exc:
            # Unwrapped, so the command can be copied as it is.
            console.print(f"[red]backfill stopped:[/red] {exc.reason}", soft_wrap=True)
            console.print(f"resume with: {exc.resume}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from exc
        except (BackfillError, RuntimeError, TimeoutError) as exc:
            # One line for the engineer; the Airflow UI and <data>/airflow/standalone.log have the rest.
            console.print(f"[red]backfill failed:[/red] {exc}", soft_wrap=True)
            console.print(f"resume with: {resume}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from exc
        print_report(report, paths, console)
        raise typer.Exit(report.exit_code)


@dataclass(frozen=True)
class CommandLine:
    """This command as the engineer typed it, to print as the command that resumes or retries it."""

    from_month: str
    to_month: str
    reprocess_behavior: str = "failed"
    max_active_runs: int = 2
    api_url: str | None = None
    data_dir: Path | None = None
    timeout: float = 3600
    dossiers: int | None = None

    def render(self, **changes) -> str:
        c = replace(self, **changes)
        program = sys.argv[0] if Path(sys.argv[0]).name == "parmetrics" else "parmetrics"
        args = [program, "backfill", "--from", c.from_month, "--to", c.to_month]
        if c.reprocess_behavior != "failed" or "reprocess_behavior" in changes:
            args += ["--reprocess-behavior", c.reprocess_behavior]
        if c.max_active_runs != 2:
            args += ["--max-active-runs", str(c.max_active_runs)]
        if c.api_url:
            args += ["--api-url", c.api_url]
        if c.data_dir:
            args += ["--data-dir", str(c.data_dir)]
        if c.timeout != 3600:
            args += ["--timeout", f"{c.timeout:g}"]
        if c.dossiers:
            args += ["--dossiers", str(c.dossiers)]
        return shlex.join(args)


def retry_files(paths, dag_id: str, since: str, resume: str) -> str:
    """What retries a failed file-drop run: put the files it quarantined back into their inbox (after
    fixing them at the sender), then run the backfill again, whose inbox watcher lands them."""
    from parmetrics import ops
    from parmetrics.orchestration.inboxes import finance_inbox, reference_inbox

    source, inbox = ("finance", finance_inbox()) if dag_id == "ingest_finance" else ("reference", reference_inbox())
    moves = [
        shlex.join(["mv", str(paths.root / r["quarantined_to"]), str(inbox / r["ref"])])
        for r in ops.read_records(paths, "quarantine")
        if r.get("source") == source and r.get("quarantined_to") and str(r.get("landed_at", "")) >= since
    ]
    return " && ".join([*moves, resume])


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
    if not report.failures:
        console.print("nothing missing: every month and every file run landed, and the build published")
        return
    console.print(f"[red]still missing ({len(report.failures)}):[/red]")
    for failure in report.failures:
        console.print(f"  ✗ {failure.what}: {failure.reason}", soft_wrap=True)
    for retry in dict.fromkeys(f.retry for f in report.failures):
        which = ", ".join(f.what for f in report.failures if f.retry == retry)
        console.print(f"retry {which}:", soft_wrap=True)
        console.print(f"  {retry}", soft_wrap=True, highlight=False)
