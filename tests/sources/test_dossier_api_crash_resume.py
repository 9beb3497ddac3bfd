"""kill -9 in the middle of an extraction, then rerun: the landing equals an undisturbed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from parmetrics.config import Paths
from parmetrics.lab.simulators.dossier_api import FaultKnobs, serve_in_thread
from parmetrics.landing.schemas import DOSSIERS
from parmetrics.landing.writer import committed_batches
from parmetrics.sources.dossier_api import ApiConnection, extract_window

from .conftest import END, KEY, TOKEN


def _landing(paths: Paths) -> list[dict]:
    [batch] = committed_batches(paths.dataset_landing("dossier_api", "dossiers"))
    return sorted(pq.read_table(batch, schema=DOSSIERS).to_pylist(), key=lambda r: r["MaHoSo"])


def test_kill_9_mid_extraction_then_rerun_equals_an_undisturbed_run(source_copy: Path, tmp_path: Path):
    crashed = Paths(tmp_path / "crashed")
    calm = Paths(tmp_path / "calm")
    lo, hi = datetime(2024, 1, 1), END
    # Slow pages, so the child is surely mid-window when it is killed.
    with serve_in_thread(source_copy, TOKEN, faults=FaultKnobs(latency_s=0.02)) as server:
        env = {
            **os.environ,
            "PARMETRICS_DATA_DIR": str(crashed.root),
            "PARMETRICS_PSEUDONYM_KEY": KEY.decode(),
            "DOSSIER_API_TOKEN": TOKEN,
        }
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "parmetrics.cli.main",
                "extract",
                "dossier-api",
                "--url",
                server.base_url,
                "--dataset",
                "dossiers",
                "--from",
                lo.isoformat(),
                "--to",
                hi.isoformat(),
                "--limit",
                "100",
                "--rows-per-part",
                "500",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        dataset_dir = crashed.dataset_landing("dossier_api", "dossiers")
        deadline = time.monotonic() + 60
        while not list(dataset_dir.glob(".batch=*/part-00002.parquet")):
            assert child.poll() is None, "the extraction finished before it could be killed"
            assert time.monotonic() < deadline, "no part file written within 60 s"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        # The crash left hidden partial work and no committed batch.
        assert list(dataset_dir.glob(".batch=*")) and not committed_batches(dataset_dir)

        conn = ApiConnection(server.base_url, TOKEN, timeout=10)
        rerun = extract_window(conn, "dossiers", lo, hi, crashed, KEY, page_limit=100, rows_per_part=500)
    with serve_in_thread(source_copy, TOKEN) as server:
        conn = ApiConnection(server.base_url, TOKEN, timeout=10)
        undisturbed = extract_window(conn, "dossiers", lo, hi, calm, KEY, page_limit=1000)
    assert rerun["rows"] == undisturbed["rows"] > 5000
    assert _landing(crashed) == _landing(calm)
    # The rerun cleaned up the crashed writer's debris.
    assert not list(dataset_dir.glob(".batch=*"))
