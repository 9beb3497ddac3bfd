"""The soak's report: the totals that decide pass or fail, the JSON written beside the run, the console lines."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from parmetrics.lab.soak import truth as t
from parmetrics.lab.soak.faults import ALL_KINDS, API_KINDS
from parmetrics.lab.soak.kills import describe_kill
from parmetrics.lab.soak.state import RoundResult, SoakState

FIGURES = ("records lost", "duplicates", "bad publishes", "violations")


def totals(state: SoakState) -> dict[str, int]:
    findings = t.Findings()
    for r in state.rounds:
        findings.merge(r.findings)
    out = {name: findings.figure(name) for name in FIGURES}
    out["stage errors"] = sum(len(r.errors) for r in state.rounds)
    return out


def build_report(state: SoakState, seconds: float) -> dict[str, Any]:
    findings = t.Findings()
    for r in state.rounds:
        findings.merge(r.findings)
    return {
        "settings": state.settings.describe(),
        "seconds": round(seconds, 1),
        "rounds": state.settings.rounds,
        "faults": {k: state.faults[k] for k in ALL_KINDS},
        "kills": {kind: dict(counts) for kind, counts in state.kill_counts.items()},
        "kill_details": state.kills(),
        "publications": state.publications,
        "poisoned_records": len(state.poison.entries),
        "bad_files_dropped": sum(n for _, _, n in state.finance.bad.values()),
        "finance_periods_landed": len(state.finance.winners),
        "totals": totals(state),
        "problems": findings.to_json(),
        "errors": [f"round {r.number}: {e}" for r in state.rounds for e in r.errors],
        "round_results": [r.to_json() for r in state.rounds],
    }


def round_line(r: RoundResult) -> str:
    kinds = ", ".join(f"{k}×{n}" for k, n in sorted(r.faults.items())) or "no faults"
    problems = {k: n for k, n in r.findings.counts.items() if k in t.FAILURES and n}
    status = "[green]ok[/green]" if not problems and not r.errors else f"[red]{problems} {r.errors}[/red]"
    label = "drain" if r.mix.get("drain") else f"{r.number + 1:>3}"
    built = " build+publish" if r.published else (" build" if r.mix.get("build") else "")
    kills = "".join(f" | {describe_kill(k)}" for k in r.kills)
    return f"round {label}: {r.seconds:5.1f} s{built} | {kinds}{kills} | {status}"


def print_summary(report: dict[str, Any], console: Console) -> None:
    faults = Table(title="faults injected", show_header=True)
    faults.add_column("kind")
    faults.add_column("count", justify="right")
    for kind, n in report["faults"].items():
        faults.add_row(kind + (" (API)" if kind in API_KINDS else ""), str(n))
    console.print(faults)
    figures = Table(title=f"soak: {report['rounds']} rounds + drain in {report['seconds']:.0f} s", show_header=True)
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    figures.add_row("publications", str(report["publications"]))
    figures.add_row("records broken in the source", str(report["poisoned_records"]))
    figures.add_row("bad finance files dropped", str(report["bad_files_dropped"]))
    for name, value in report["totals"].items():
        style = "green" if value == 0 else "red"
        figures.add_row(name, f"[{style}]{value}[/{style}]")
    console.print(figures)
    kills = Table(title="kills", show_header=True)
    kills.add_column("kind")
    kills.add_column("landed mid-stage", justify="right")
    kills.add_column("missed", justify="right")
    for kind, counts in report["kills"].items():
        kills.add_row(kind, str(counts["landed"]), str(counts["missed"]))
    console.print(kills)
    for kill in report["kill_details"]:
        if not kill["landed"]:
            console.print(f"round {kill['round']}: {describe_kill(kill)}; log {kill['log']}")
    for kind, examples in report["problems"]["examples"].items():
        if kind in t.FAILURES:
            console.print(f"[red]{kind}[/red]: {report['problems']['counts'][kind]}, e.g. {examples[:3]}")
    for error in report["errors"][:10]:
        console.print(f"[red]error[/red] {error}")


def write_report(report: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    path = out_dir / f"soak-{stamp}-seed{report['settings']['seed']}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    os.replace(tmp, path)
    return path


def passed(report: dict[str, Any]) -> bool:
    return not any(report["totals"].values())
