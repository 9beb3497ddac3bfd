"""Fault injection against the dossier API simulator: nothing lost, nothing duplicated, latest versions equal.

Each mix runs over the whole 10,000-dossier source (dossiers and events), with every injected kind
asserted to have fired from the simulator's fault log. Ground truth is the simulated source itself
after the run (mutations included), with personal data removed exactly as the extractor does.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parmetrics.config import Paths
from parmetrics.lab.simulators.dossier_api import FaultKnobs, FaultResponse, KnobFaultPlan, PageRequest, serve_in_thread
from parmetrics.landing.schemas import DOSSIER_EVENTS, DOSSIERS
from parmetrics.landing.writer import committed_batches
from parmetrics.privacy import pseudonymise_dossier
from parmetrics.sources.dossier_api import ApiConnection, extract_window
from parmetrics.sources.dossier_records import dossier_row, event_row

from .conftest import END, KEY, N_DOSSIERS, TOKEN

MUTATE_AT = datetime(2026, 11, 21, 9, 0)
SECOND_WINDOW_END = datetime(2026, 11, 22)
CLIENT_TIMEOUT = 0.4


class KnobsWithTimeouts(KnobFaultPlan):
    """The simulator's standard plan plus server stalls longer than the client's timeout."""

    def __init__(self, knobs: FaultKnobs, timeout_rate: float = 0.0) -> None:
        super().__init__(knobs)
        self.timeout_rate = timeout_rate

    def before_page(self, request: PageRequest) -> FaultResponse | None:
        if self.timeout_rate and self._roll() < self.timeout_rate:
            self.log.add("timeout", request.dataset.table, seconds=CLIENT_TIMEOUT * 3)
            return FaultResponse(drop=True, delay_s=CLIENT_TIMEOUT * 3)
        return super().before_page(request)


# name: (knobs, timeout rate, page limit)
MIXES: dict[str, tuple[FaultKnobs, float, int]] = {
    "server_errors": (FaultKnobs(error_rate=0.15, seed=1), 0.0, 200),
    "rate_limited_retry_after": (FaultKnobs(rate_limit_rate=0.02, retry_after_s=1, seed=2), 0.0, 200),
    "dropped_connections": (FaultKnobs(drop_rate=0.1, seed=3), 0.0, 200),
    "timeouts": (FaultKnobs(seed=4), 0.02, 200),
    "duplicates_across_pages": (FaultKnobs(duplicate_rate=0.3, seed=5), 0.0, 200),
    "records_updated_mid_read": (FaultKnobs(mutate_rate=0.3, seed=6, mutate_at=MUTATE_AT), 0.0, 200),
    "malformed_in_transit": (FaultKnobs(malformed_rate=0.0004, seed=7), 0.0, 500),
    "mutations_malformed_latency": (
        FaultKnobs(mutate_rate=0.2, malformed_rate=0.0003, latency_s=0.002, seed=9, mutate_at=MUTATE_AT),
        0.0,
        250,
    ),
    "everything": (
        FaultKnobs(
            error_rate=0.05,
            rate_limit_rate=0.03,
            retry_after_s=0,
            drop_rate=0.03,
            duplicate_rate=0.2,
            mutate_rate=0.2,
            malformed_rate=0.0003,
            latency_s=0.001,
            seed=10,
            mutate_at=MUTATE_AT,
        ),
        0.01,
        200,
    ),
    "everything_large_pages": (
        FaultKnobs(
            error_rate=0.1,
            rate_limit_rate=0.05,
            retry_after_s=0,
            drop_rate=0.05,
            duplicate_rate=0.5,
            mutate_rate=0.5,
            malformed_rate=0.0003,
            seed=12,
            mutate_at=MUTATE_AT,
        ),
        0.05,
        1000,
    ),
}
STATS: dict[str, dict] = {}


def _ground_truth(db: Path) -> tuple[dict, dict]:
    conn = sqlite3.connect(db)
    dossiers = {}
    for (payload,) in conn.execute("SELECT payload FROM dossiers"):
        row = dossier_row(pseudonymise_dossier(json.loads(payload), KEY), "x")
        dossiers[row["MaHoSo"]] = row
    events = {}
    for (payload,) in conn.execute("SELECT payload FROM dossier_events"):
        row = event_row(json.loads(payload), "x")
        events[(row["MaHoSo"], row["STT"])] = row
    conn.close()
    return dossiers, events


def _landed(paths: Paths, dataset: str) -> tuple[dict, int]:
    """Latest version per key over every batch, and how many rows were landed twice within one batch."""
    schema, version = (DOSSIERS, "NgayCapNhat") if dataset == "dossiers" else (DOSSIER_EVENTS, "ThoiDiemGhiNhan")
    latest: dict = {}
    duplicated = 0
    for batch in committed_batches(paths.dataset_landing("dossier_api", dataset)):
        rows = pq.read_table(batch, schema=schema).to_pylist()
        keys = Counter(r["MaHoSo"] if dataset == "dossiers" else (r["MaHoSo"], r["STT"]) for r in rows)
        duplicated += sum(n - 1 for n in keys.values())
        for r in rows:
            k = r["MaHoSo"] if dataset == "dossiers" else (r["MaHoSo"], r["STT"])
            if k not in latest or r[version] > latest[k][version]:
                latest[k] = r
    return latest, duplicated


def _strip(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "_batch_id"}


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_fault_mix_loses_and_duplicates_nothing(mix, source_copy, tmp_path):
    knobs, timeout_rate, page_limit = MIXES[mix]
    paths = Paths(tmp_path / "data")
    plan = KnobsWithTimeouts(knobs, timeout_rate)
    started = time.monotonic()
    with serve_in_thread(source_copy, TOKEN, faults=plan) as server:
        conn = ApiConnection(
            server.base_url, TOKEN, timeout=CLIENT_TIMEOUT, max_attempts=10, backoff_initial=0.005, backoff_max=0.02
        )
        stats = []
        # The night's window, then the next one: records updated while the first was read move to it.
        for lo, hi in ((None, END), (END, SECOND_WINDOW_END)):
            for dataset in ("dossiers", "dossier_events"):
                stats.append(extract_window(conn, dataset, lo, hi, paths, KEY, page_limit=page_limit))
        counts = Counter(e.kind for e in server.fault_log.entries)
    elapsed = time.monotonic() - started

    injected = {
        "error": knobs.error_rate,
        "rate_limit": knobs.rate_limit_rate,
        "drop": knobs.drop_rate,
        "duplicate": knobs.duplicate_rate,
        "mutate": knobs.mutate_rate,
        "malformed": knobs.malformed_rate,
        "latency": knobs.latency_s,
        "timeout": timeout_rate,
    }
    for kind, rate in injected.items():
        if rate:
            assert counts[kind] >= 1, f"{mix}: injected kind {kind} never fired ({dict(counts)})"

    dossiers, events = _ground_truth(source_copy)
    assert len(dossiers) == N_DOSSIERS
    for dataset, truth in (("dossiers", dossiers), ("dossier_events", events)):
        landed, duplicated = _landed(paths, dataset)
        lost = truth.keys() - landed.keys()
        extra = landed.keys() - truth.keys()
        assert not lost, f"{mix}: {len(lost)} {dataset} lost, e.g. {sorted(lost)[:3]}"
        assert not extra, f"{mix}: {len(extra)} {dataset} landed that the source lacks"
        assert duplicated == 0, f"{mix}: {duplicated} {dataset} duplicated within a batch"
        different = [k for k in truth if _strip(landed[k]) != _strip(truth[k])]
        assert not different, f"{mix}: {len(different)} {dataset} differ from the source, e.g. {different[:3]}"
    # Records broken in transit were read again whole: nothing of the (good) source stays quarantined.
    assert sum(s["quarantined"] for s in stats) == 0
    STATS[mix] = {
        "faults": dict(counts),
        "seconds": round(elapsed, 1),
        "dossiers": len(dossiers),
        "events": len(events),
        "passes": [s["passes"] for s in stats],
        "attempts": [s["attempts"] for s in stats],
    }
    print(f"\nfault mix {mix}: {json.dumps(STATS[mix])}")
