"""Several windows of the dossier API in flight, each in a process of its own (``parallel.py``): they land
exactly what the source holds, each batch written by one worker, really at the same time; a failing
window is reported while the others land; a rejected token stops everything; a worker that dies is
isolated."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path

import pytest

from parmetrics.config import Paths
from parmetrics.lab.simulators.dossier_api import FaultPlan, FaultResponse, PageRequest, serve_in_thread
from parmetrics.sources.dossier_api import ApiConnection, DossierApiAuthError, extract_window
from parmetrics.sources.dossier_api.parallel import (
    WindowsNotLanded,
    extract_windows,
    monthly_windows,
    raise_for_failures,
)

from .conftest import KEY, TOKEN
from .test_dossier_api_extract import _by_key, _landed, _source_rows

# Four windows of the 400-dossier source: the open ones at both ends included.
WINDOWS = [
    (None, datetime(2024, 1, 1)),
    (datetime(2024, 1, 1), datetime(2025, 1, 1)),
    (datetime(2025, 1, 1), datetime(2026, 1, 1)),
    (datetime(2026, 1, 1), None),
]


def test_monthly_windows_are_cut_at_each_first_of_a_month():
    assert monthly_windows(datetime(2024, 1, 15), datetime(2024, 3, 1)) == [
        (datetime(2024, 1, 15), datetime(2024, 2, 1)),
        (datetime(2024, 2, 1), datetime(2024, 3, 1)),
    ]
    assert monthly_windows(datetime(2024, 11, 30, 23, 45), datetime(2025, 1, 10, 6)) == [
        (datetime(2024, 11, 30, 23, 45), datetime(2024, 12, 1)),
        (datetime(2024, 12, 1), datetime(2025, 1, 1)),
        (datetime(2025, 1, 1), datetime(2025, 1, 10, 6)),
    ]
    assert monthly_windows(datetime(2024, 2, 1), datetime(2024, 3, 1)) == [(datetime(2024, 2, 1), datetime(2024, 3, 1))]
    with pytest.raises(ValueError, match="empty range"):
        monthly_windows(datetime(2024, 3, 1), datetime(2024, 3, 1))


class FirstPagesMeet(FaultPlan):
    """The first page of each of the first two windows is held until the other one is asked for too
    (up to 60 s): both are served at once only if two windows really are in flight together."""

    def __init__(self, froms: set[str | None]) -> None:
        self.froms = froms
        self.barrier = threading.Barrier(2, timeout=60)
        self.met = False

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        # limit=1 is the fresh `total` asked for after a window's last page, not its first page.
        if request.cursor is None and request.limit > 1 and request.updated_from in self.froms:
            try:
                self.barrier.wait()
                self.met = True
            except threading.BrokenBarrierError:
                pass
        return None


def _writer_pid(paths: Paths, dataset: str, batch_id: str) -> int:
    lock = paths.landing / ".locks" / "dossier_api" / dataset / f"{batch_id}.lock"
    return json.loads(lock.read_text())["pid"]


@pytest.mark.parametrize("dataset", ["dossiers", "dossier_events"])
def test_windows_in_flight_land_what_the_source_holds_each_by_one_worker(source_db, tmp_path, dataset):
    parallel, sequential = Paths(tmp_path / "parallel"), Paths(tmp_path / "sequential")
    plan = FirstPagesMeet({None, "20240101000000"})
    with serve_in_thread(source_db, TOKEN, faults=plan) as server:
        conn = ApiConnection(server.base_url, TOKEN, timeout=90)
        outcomes = extract_windows(conn, dataset, WINDOWS, parallel, KEY, processes=2, page_limit=50)
    with serve_in_thread(source_db, TOKEN) as server:
        conn = ApiConnection(server.base_url, TOKEN)
        one_by_one = [extract_window(conn, dataset, lo, hi, sequential, KEY, page_limit=50) for lo, hi in WINDOWS]
    assert plan.met, "the first two windows were never in flight at the same time"
    assert [o.batch_id for o in outcomes] == [
        "open_20240101000000",
        "20240101000000_20250101000000",
        "20250101000000_20260101000000",
        "20260101000000_open",
    ]
    assert all(o.landed and o.error is None for o in outcomes)
    total = 0
    for outcome, alone in zip(outcomes, one_by_one, strict=True):
        expected = _by_key(_source_rows(source_db, dataset, outcome.updated_from, outcome.updated_to), dataset)
        landed = _landed(parallel, dataset, outcome.batch_id)
        assert _by_key(landed, dataset) == expected and len(landed) == len(expected) == outcome.stats["rows"]
        assert landed == _landed(sequential, dataset, alone["batch_id"])
        # Written by a worker process, never by the caller.
        assert _writer_pid(parallel, dataset, outcome.batch_id) != os.getpid()
        total += len(landed)
    assert total > 390  # the four windows cover the whole source (400 dossiers, more events)
    raise_for_failures(outcomes)  # nothing to raise


class FailingWindow(FaultPlan):
    """Every request of the window starting at ``updated_from`` answers 500."""

    def __init__(self, updated_from: str) -> None:
        self.updated_from = updated_from

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        return FaultResponse(500) if request.updated_from == self.updated_from else None


def test_a_failing_window_is_reported_and_the_others_land(source_db, tmp_path):
    paths = Paths(tmp_path / "data")
    with serve_in_thread(source_db, TOKEN, faults=FailingWindow("20250101000000")) as server:
        conn = ApiConnection(server.base_url, TOKEN, max_attempts=2, backoff_initial=0.01, backoff_max=0.02)
        outcomes = extract_windows(conn, "dossiers", WINDOWS, paths, KEY, processes=2)
    assert [o.landed for o in outcomes] == [True, True, False, True]
    failed = outcomes[2]
    assert failed.stats is None
    assert failed.error == "DossierApiError: dossier API kept answering 500 for GET /api/v1/dossiers (2 attempts)"
    landed = sorted(p.name for p in paths.dataset_landing("dossier_api", "dossiers").glob("batch=*"))
    assert landed == [
        "batch=20240101000000_20250101000000",
        "batch=20260101000000_open",
        "batch=open_20240101000000",
    ]
    with pytest.raises(WindowsNotLanded) as raised:
        raise_for_failures(outcomes)
    assert str(raised.value) == (
        "1 of 4 window(s) did not land:\n  dossiers 20250101000000_20260101000000: "
        "DossierApiError: dossier API kept answering 500 for GET /api/v1/dossiers (2 attempts)"
    )


def test_a_rejected_token_stops_every_window(source_db, tmp_path):
    paths = Paths(tmp_path / "data")
    with serve_in_thread(source_db, TOKEN) as server:
        bad = ApiConnection(server.base_url, "wrong-token")
        with pytest.raises(DossierApiAuthError, match=r"rejected the token \(401\)"):
            extract_windows(bad, "dossiers", WINDOWS, paths, KEY, processes=2)
    assert not list(paths.root.rglob("*.parquet"))


def test_a_window_given_twice_is_refused_before_anything_starts(tmp_path):
    conn = ApiConnection("http://127.0.0.1:9", TOKEN)  # never asked: the refusal comes first
    twice = [WINDOWS[1], WINDOWS[2], WINDOWS[1]]
    given_twice = r"given twice \(one writer per landing batch\): 20240101000000_20250101000000"
    with pytest.raises(ValueError, match=given_twice):
        extract_windows(conn, "dossiers", twice, Paths(tmp_path), KEY)
    with pytest.raises(ValueError, match="at least 1"):
        extract_windows(conn, "dossiers", WINDOWS, Paths(tmp_path), KEY, processes=0)


def dying_gate(paths: Paths, source: str, dataset: str):
    """A gate whose process dies (as if killed) when it is handed the 2025 batch; module-level so that a
    worker process can import it."""

    def gate(batch_dir: Path, manifest: dict) -> None:
        if manifest["window"]["updated_from"] == "20250101000000":
            os._exit(9)

    return gate


def test_a_worker_that_dies_is_isolated_and_the_others_land(source_db, tmp_path):
    paths = Paths(tmp_path / "data")
    with serve_in_thread(source_db, TOKEN) as server:
        conn = ApiConnection(server.base_url, TOKEN)
        outcomes = extract_windows(conn, "dossiers", WINDOWS, paths, KEY, processes=2, gate_factory=dying_gate)
    assert [o.landed for o in outcomes] == [True, True, False, True]
    assert outcomes[2].error == "its worker process died (killed or out of memory)"
    for outcome in (outcomes[0], outcomes[1], outcomes[3]):
        expected = _source_rows(source_db, "dossiers", outcome.updated_from, outcome.updated_to)
        assert _by_key(_landed(paths, "dossiers", outcome.batch_id), "dossiers") == _by_key(expected, "dossiers")
    assert not (paths.dataset_landing("dossier_api", "dossiers") / "batch=20250101000000_20260101000000").exists()
