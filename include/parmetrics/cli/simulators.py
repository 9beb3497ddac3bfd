"""``parmetrics simulate`` and ``parmetrics serve-sources``: the simulated source systems."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from parmetrics.cli.common import DataDir, resolve_paths

console = Console()


def simulate(
    data_dir: DataDir = None,
    seed: int = 766,
    dossiers_per_year: Annotated[
        int, typer.Option(help="dossier volume (10,000: the make-run demo; 50,000: the full province)")
    ] = 10_000,
    dossiers: Annotated[int | None, typer.Option(help="a total number of dossiers instead of a yearly rate")] = None,
    years: Annotated[
        float | None, typer.Option(help="simulate this many years up to --end (default: from 2019-01-01)")
    ] = None,
    end: Annotated[str, typer.Option(help="the simulated 'today': nothing is recorded at or after it")] = "2026-11-20",
    sources: Annotated[str, typer.Option(help="comma-separated: dossiers,documents,reference,finance")] = (
        "dossiers,documents,reference,finance"
    ),
    workers: Annotated[int | None, typer.Option(help="generator processes (default: CPUs, at most 4)")] = None,
    document_scale: Annotated[float | None, typer.Option(help="document DB volume (1.0 = full province)")] = None,
    document_dsn: Annotated[
        str | None, typer.Option(help="write the document DB to this PostgreSQL DSN instead of SQLite")
    ] = None,
    bad_finance_files: Annotated[
        Path | None, typer.Option(help="also write one bad finance file per §3 rule into this directory")
    ] = None,
) -> None:
    """Generate the simulated province's sources into the data directory (deterministic from the seed)."""
    from parmetrics.lab.simulators.generate import PROVINCE_START, SimulationPlan, generate_sources

    end_at = datetime.fromisoformat(end)
    start = PROVINCE_START
    if years is not None:
        start = (end_at - timedelta(days=round(365.25 * years))).date()
    plan = SimulationPlan(
        seed=seed,
        end=end_at,
        start=start,
        dossiers_per_year=None if dossiers else dossiers_per_year,
        n_dossiers=dossiers,
        sources=tuple(s.strip() for s in sources.split(",") if s.strip()),
        workers=workers,
        document_scale=document_scale,
        document_dsn=document_dsn,
    )
    p = resolve_paths(data_dir)
    report = generate_sources(p, plan, console)
    if bad_finance_files is not None:
        from parmetrics.lab.simulators.finance_files import bad_finance_files as write_bad

        report["bad_finance_files"] = [{"file": b.path.name, "rule": b.rule} for b in write_bad(bad_finance_files)]
    console.print_json(json.dumps(report, default=str))
    console.print(f"sources in {p.sim}, {p.inbox} and {p.reference_inbox}")


def serve_sources(
    data_dir: DataDir = None,
    port: int = 8765,
    host: str = "127.0.0.1",
    token: Annotated[str, typer.Option(envvar="PARMETRICS_DOSSIER_API_TOKEN")] = "",
    error_rate: Annotated[float, typer.Option(help="share of pages answered 500/502/503")] = 0.0,
    rate_limit_rate: Annotated[float, typer.Option(help="share of pages answered 429")] = 0.0,
    retry_after_s: Annotated[int, typer.Option(help="Retry-After of a 429")] = 1,
    latency_s: Annotated[float, typer.Option(help="added before every page")] = 0.0,
    drop_rate: Annotated[float, typer.Option(help="share of connections dropped unanswered")] = 0.0,
    duplicate_rate: Annotated[float, typer.Option(help="share of continuation pages repeating a record")] = 0.0,
    mutate_rate: Annotated[float, typer.Option(help="share of continuation pages during which a record changes")] = 0.0,
    malformed_rate: Annotated[float, typer.Option(help="share of records served malformed")] = 0.0,
    fault_seed: int = 0,
    live: Annotated[bool, typer.Option(help="keep the office working: records change, Airflow is notified")] = False,
    live_interval_s: Annotated[float, typer.Option(help="wall seconds between live ticks")] = 30.0,
    live_step_minutes: Annotated[float, typer.Option(help="simulated minutes per tick")] = 30.0,
    live_changes: Annotated[int, typer.Option(help="dossiers moved on per tick")] = 20,
    airflow_url: Annotated[
        str | None, typer.Option(envvar="PARMETRICS_AIRFLOW_URL", help="notify this Airflow (live mode)")
    ] = None,
    airflow_user: Annotated[str, typer.Option(envvar="PARMETRICS_AIRFLOW_USER")] = "admin",
    airflow_password: Annotated[str, typer.Option(envvar="PARMETRICS_AIRFLOW_PASSWORD")] = "",
) -> None:
    """Serve the simulated dossier API (generate it first with `parmetrics simulate`), with optional
    fault injection and live mode."""
    from parmetrics.lab.demo import demo_secrets
    from parmetrics.lab.simulators.dossier_api import FaultKnobs, make_server

    p = resolve_paths(data_dir)
    db = p.sim / "dossier_api.sqlite"
    knobs = FaultKnobs(
        error_rate=error_rate,
        rate_limit_rate=rate_limit_rate,
        retry_after_s=retry_after_s,
        latency_s=latency_s,
        drop_rate=drop_rate,
        duplicate_rate=duplicate_rate,
        mutate_rate=mutate_rate,
        malformed_rate=malformed_rate,
        seed=fault_seed,
    )
    server = make_server(db, host, port, token or demo_secrets(p)["dossier_api_token"], knobs if knobs.active else None)
    stop = None
    if live:
        from parmetrics.lab.simulators.live import LiveOffice, airflow_notifier, start_live_thread

        notify = None
        if airflow_url:
            from parmetrics.orchestration.airflow_api import AirflowApi

            notify = airflow_notifier(AirflowApi(airflow_url.rstrip("/"), airflow_user, airflow_password))
        office = LiveOffice(db, step=timedelta(minutes=live_step_minutes), changes_per_tick=live_changes, notify=notify)
        _, stop = start_live_thread(office, live_interval_s)
        console.print(f"live mode: {live_changes} dossiers every {live_interval_s:g} s from {office.clock}")
    console.print(f"dossier API simulator serving {db} on {server.base_url}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if stop is not None:
            stop.set()
        server.server_close()
        console.print(f"faults injected: {server.fault_log.counts()}")


def register(app: typer.Typer) -> None:
    app.command()(simulate)
    app.command("serve-sources")(serve_sources)
