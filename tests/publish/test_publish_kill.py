"""SIGKILL at random points of the publish step never leaves a broken or half-new publication."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import duckdb

from parmetrics.config import Paths
from parmetrics.publish import publish

PUBLISHER = """
import sys
from pathlib import Path
from parmetrics.config import Paths
from parmetrics.publish import publish
paths = Paths(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
publish(paths)
print("done", flush=True)
"""


def make_build(p: Paths, version: int) -> None:
    p.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("create schema if not exists marts")
        # Big enough that the copy, checkpoint and export take a measurable time to interrupt.
        con.execute(
            "create or replace table marts.criteria_scores as "
            "select range as id, ? as version, md5(range::varchar) as filler from range(200000)",
            [version],
        )


def published_version(p: Paths) -> int:
    with duckdb.connect(str(p.published_db), read_only=True) as con:
        versions = con.execute("select distinct version from marts.criteria_scores").fetchall()
        rows = con.execute("select count(*) from marts.criteria_scores").fetchone()[0]
    assert len(versions) == 1 and rows == 200000, "a publication is whole"
    return versions[0][0]


def start_publisher(tmp_path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    proc.stdin.write("go\n")
    proc.stdin.flush()
    return proc


def timed_publish(tmp_path) -> float:
    """How long a publisher process takes from "go" to done: the kills below are timed against it (an
    in-process publish is faster — its modules are already imported — and kills would all land early).
    Timed over a previous publication, as every publish below is: checksumming it and exporting the new
    Parquet set before the swap make that one slower than the very first."""
    publish(Paths(tmp_path))
    proc = start_publisher(tmp_path)
    started = time.monotonic()
    assert proc.stdout.readline().strip() == "done"
    proc.wait()
    return time.monotonic() - started


def test_twenty_kills_during_publish_leave_the_old_or_the_new_version(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 0)
    duration = timed_publish(tmp_path)
    rng = random.Random(20)
    current = 0
    outcomes = {"old": 0, "new": 0}
    for attempt in range(1, 21):
        make_build(p, attempt)
        proc = start_publisher(tmp_path)
        time.sleep(rng.uniform(0, duration * 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = published_version(p)
        assert got in (current, attempt)
        outcomes["old" if got == current else "new"] += 1
        current = got
    # The kill points straddled the swap: both outcomes happened.
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes
    # The next publish cleans up the debris a killed one left.
    make_build(p, 99)
    publish(p)
    assert published_version(p) == 99
    assert not list(p.published.glob(".par_metrics-*"))


def parquet_version(p: Paths) -> int | None:
    """The one publication the Parquet set under ``published/parquet`` belongs to (None before any)."""
    folder = p.published / "parquet"
    if not folder.exists():
        return None
    with duckdb.connect() as con:
        versions, rows = con.execute(
            f"select list(distinct version), count(*) from read_parquet('{folder}/criteria_scores.parquet')"
        ).fetchone()
    assert len(versions) == 1 and rows == 200000, "a Parquet set is whole and of one publication"
    return versions[0]


def test_kills_during_the_parquet_export_leave_one_whole_set_and_no_orphan(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 0)
    duration = timed_publish(tmp_path)
    rng = random.Random(8)
    current = 0
    for attempt in range(1, 9):
        make_build(p, attempt)
        proc = start_publisher(tmp_path)
        time.sleep(rng.uniform(duration * 0.3, duration * 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = parquet_version(p)
        assert got in (current, attempt)
        current = got
    make_build(p, 99)
    publish(p)
    assert parquet_version(p) == 99 == published_version(p)
    orphans = [f.name for f in p.published.rglob("*") if f.name.endswith(".tmp") or ".tmp-" in f.name]
    assert orphans == []
    # Only the sets of kept publications remain.
    sets = {d.name for d in (p.published / "parquet_versions").iterdir()}
    versions = {
        v.name.removeprefix("par_metrics-").removesuffix(".duckdb") for v in (p.published / "versions").iterdir()
    }
    assert sets == versions
