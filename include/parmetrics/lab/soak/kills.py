"""Killing a stage mid-way: run it as a child process, SIGKILL it on evidence that it is running (never on
a timer), and count the kill as landed mid-stage or missed. The stages' own kills (which evidence, what
must hold after) are in :mod:`.extraction` and :mod:`.publication`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from parmetrics.lab.soak import truth as t
from parmetrics.lab.soak.state import RoundResult, SoakState

# The extractor as its own process (so it can be SIGKILLed): arguments url, dataset, from, to, data dir,
# page limit, rows per part; the token and key come from the environment.
EXTRACTOR = """
import os, sys
from datetime import datetime
from pathlib import Path
from parmetrics.config import Paths
from parmetrics.quality.landing_gate import landing_gate
from parmetrics.sources.dossier_api import ApiConnection, extract_window
url, dataset, lo, hi, root, limit, per_part = sys.argv[1:8]
conn = ApiConnection(url, os.environ["SOAK_API_TOKEN"], timeout=2, max_attempts=10, backoff_initial=0.01,
                     backoff_max=0.05, max_retry_after=1)
print(f"extracting {dataset} {lo} .. {hi}, {limit} per page", flush=True)
stats = extract_window(conn, dataset, datetime.fromisoformat(lo), datetime.fromisoformat(hi), Paths(Path(root)),
                       os.environ["PARMETRICS_PSEUDONYM_KEY"].encode(), page_limit=int(limit),
                       rows_per_part=int(per_part), gate=landing_gate(Paths(Path(root)), "dossier_api", dataset))
print("done", stats, flush=True)
"""
# The publisher as its own process, held inside one step of publish() until the soak kills it: the hold
# is a wrapper set here, around a module-level step that publish() looks up when it runs (publish.py
# itself is not changed). Arguments: data dir, the step to hold before.
PUBLISHER = """
import sys, time
from pathlib import Path
import parmetrics.publish as publishing
from parmetrics.config import Paths
root, step = sys.argv[1:3]
original = getattr(publishing, step)  # raises if publish.py no longer has the step: the log says so

def held(*args, **kwargs):
    print(f"holding before {step}", flush=True)
    time.sleep(120)  # killed here
    return original(*args, **kwargs)

setattr(publishing, step, held)
publishing.publish(Paths(Path(root)), run_id="soak-killed")
print("done", flush=True)
"""
# Where a publish kill lands (all before the swap), by the step of publish() it is held before.
PUBLISH_HOLDS = {
    "start": "_copy_marts_file",  # the hidden file just created, nothing copied yet
    "copy": "_write_publication_records",  # the marts copied into the hidden file, no ops records or stamp yet
    "swap": "verify_publication",  # the hidden file written and fsynced, about to be verified and swapped in
}
KILL_POLL_S = 0.01  # how often the evidence of a running stage is looked for
KILL_DEADLINE_S = 90.0
# While a killed extractor runs, every request waits this long: its window then spans ~KILL_PAGES pages
# and takes a second or so, and the kill lands between pages chosen at random.
KILL_PACE_S = 0.03
KILL_PAGES = 12
LOG_TAIL = 600


def run_and_kill(work: Path, args: list[str], env: dict[str, str], log_path: Path, evidence: Any) -> dict[str, Any]:
    """Run ``python -c *args`` (stdout and stderr to ``log_path``) and SIGKILL it as soon as
    ``evidence()`` says its stage is in progress (polled every :data:`KILL_POLL_S`)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    seen = None
    with log_path.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-c", *args], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            while child.poll() is None and time.monotonic() - started < KILL_DEADLINE_S:
                seen = evidence()
                if seen:
                    child.send_signal(signal.SIGKILL)
                    break
                time.sleep(KILL_POLL_S)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
    return {
        "evidence": seen,
        "returncode": child.returncode,
        "seconds": round(time.monotonic() - started, 3),
        "log": str(log_path.relative_to(work)),
    }


def record_kill(
    state: SoakState, kill: dict[str, Any], outcome: dict[str, Any], landed: bool, why: str, result: RoundResult
) -> None:
    """Count a kill as landed mid-stage or missed; a child that failed on its own is a stage error
    (with the tail of its log)."""
    kill.update(outcome, landed=landed)
    kind = kill["kind"]
    rc = outcome["returncode"]
    if landed:
        result.faults[kind] += 1
        state.kill_counts[kind]["landed"] += 1
    else:
        kill["missed"] = why
        state.kill_counts[kind]["missed"] += 1
    if rc not in (0, -signal.SIGKILL):
        last = tail(state.work / outcome["log"])
        result.errors.append(f"{kind}: the child exited {rc} before it was killed ({outcome['log']}): {last}")
    result.kills.append(kill)


def describe_kill(kill: dict[str, Any]) -> str:
    what = kill.get("dataset") or kill.get("phase")
    if not kill["landed"]:
        return f"{kill['kind']} {what}: missed ({kill['missed']})"
    if kill["kind"] == "extract_kill":
        return f"{kill['kind']} {what}: landed mid-batch after {kill['pages_served']} pages in {kill['seconds']:.2f} s"
    return f"{kill['kind']} {what}: landed mid-publish in {kill['seconds']:.2f} s"


def tail(path: Path) -> str:
    """The end of a child's log, on one line."""
    try:
        text = path.read_bytes()[-LOG_TAIL * 4 :].decode(errors="replace")
    except OSError:
        return ""
    return " ".join(text.split())[-LOG_TAIL:]


def opens_read_only(path: Path) -> dict[str, tuple[int, int]] | None:
    """The marts' fingerprint of a file opened read-only; None when it does not open or read."""
    try:
        return t.marts_fingerprint(path)
    except (duckdb.Error, OSError):
        return None
