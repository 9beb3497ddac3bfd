"""A deterministic dossier dataset for the simulated province, stored as the API will serve it.

Each dossier is simulated as a life story (submission, intake, processing, supplement requests,
apologies, finish, return, rating, sync) on the working-day calendar, then cut at ``config.end``: the
source shows only what was recorded before it. Every dossier draws from its own RNG seeded by
(seed, index), so the output depends on the seed alone and generation streams day by day.

The SQLite file is both what the API simulator serves and the ground truth the tests compare with:
each record's exact JSON payload is stored pre-serialised and keyed in the API's keyset order.

Realism (the province of :mod:`.province`, from 2019-01-01 with :meth:`DossierDataConfig.province`):
volume by unit size with a Tết dip and a year-end peak; in-person intake only in office hours on
working days, online submissions at any time; due = acceptance + the time limit of the catalogue
snapshot in force at acceptance (3 % of dossiers without ``NgayHenTra``); per-unit lateness (three
chronically late units), apology and backdating habits; supplement requests (some twice); online
share, online payment and portal sync rising with :func:`adoption`, digitisation, e-results and VNeID
with :func:`digitisation` (after 2022); districts and old communes receive nothing after 2025-06-30.
Generation streams whole days, optionally in worker processes, in bounded memory.

Where each part lives: :mod:`.dossier_config` (what to generate), :mod:`.dossier_volume` (how many
dossiers a day, which procedures and units, the adoption curves), :mod:`.dossier_story` (one dossier's
life and the source's view of it), :mod:`.applicants` (personal data), :mod:`.office_hours` (office
time and timestamps); this module streams the days and writes the SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from parmetrics.lab.simulators.dossier_config import PROVINCE_START, DossierDataConfig
from parmetrics.lab.simulators.dossier_story import INTAKE_DESK, SPECIALIST_DESK, render, simulate
from parmetrics.lab.simulators.dossier_volume import Choosers, adoption, daily_counts, day_batches, digitisation
from parmetrics.lab.simulators.province import Catalogue

# Re-exported: the other simulators and the tests read the desks, the adoption curves and the config here.
__all__ = [
    "DB_FILENAME",
    "GENERATOR_VERSION",
    "INTAKE_DESK",
    "PROVINCE_START",
    "SPECIALIST_DESK",
    "DossierDataConfig",
    "adoption",
    "digitisation",
    "generate_dossiers",
    "read_meta",
    "write_dossier_db",
]

DB_FILENAME = "dossier_api.sqlite"
# Bumped whenever the same config would generate different data (cached demo sources are rebuilt).
GENERATOR_VERSION = "province-2"

SCHEMA_SQL = """
CREATE TABLE dossiers (
    ngay_cap_nhat TEXT NOT NULL,
    ma_ho_so TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (ngay_cap_nhat, ma_ho_so)
) WITHOUT ROWID;
CREATE TABLE dossier_events (
    thoi_diem_ghi_nhan TEXT NOT NULL,
    ma_ho_so TEXT NOT NULL,
    stt INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (thoi_diem_ghi_nhan, ma_ho_so, stt)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Built after the bulk insert: cheaper than maintaining them row by row.
INDEX_SQL = "CREATE UNIQUE INDEX dossiers_by_ma_ho_so ON dossiers (ma_ho_so);"


def generate_dossiers(config: DossierDataConfig) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Streams (dossier record, its status events) as the API serves them, in submission order."""
    code_seq: Counter = Counter()
    choosers = Choosers(config.seed)
    catalogue = Catalogue(config.start.date(), config.end.date())
    index = 0
    for day, count in daily_counts(config):
        code_seq.clear()
        stories = [simulate(config, index + k, day, code_seq, choosers, catalogue) for k in range(count)]
        index += count
        for story in stories:
            yield render(story, config.end)


# A rendered dossier ready for SQLite: (NgayCapNhat, MaHoSo, payload, status, event rows).
_Rows = tuple[str, str, str, int, list[tuple[str, str, int, str]]]
_WORKER_STATE: dict[tuple[Any, ...], tuple[Choosers, Catalogue]] = {}


def _render_days(config: DossierDataConfig, days: list[tuple[date, int, int]]) -> list[_Rows]:
    """Simulates and renders whole days (a unit of work for a worker process); deterministic."""
    key = (config.seed, config.start, config.end)
    if key not in _WORKER_STATE:
        _WORKER_STATE.clear()
        _WORKER_STATE[key] = (Choosers(config.seed), Catalogue(config.start.date(), config.end.date()))
    choosers, catalogue = _WORKER_STATE[key]
    out: list[_Rows] = []
    code_seq: Counter = Counter()
    for day, count, first in days:
        code_seq.clear()
        for k in range(count):
            record, events = render(simulate(config, first + k, day, code_seq, choosers, catalogue), config.end)
            out.append(
                (
                    record["NgayCapNhat"],
                    record["MaHoSo"],
                    _dumps(record),
                    record["TrangThaiHoSo"],
                    [(e["ThoiDiemGhiNhan"], e["MaHoSo"], e["STT"], _dumps(e)) for e in events],
                )
            )
    return out


def _rendered(config: DossierDataConfig, workers: int) -> Iterator[list[_Rows]]:
    """Batches in order; with workers > 1 computed by a process pool, at most 2 × workers ahead."""
    batches = day_batches(config)
    if workers <= 1:
        for days in batches:
            yield _render_days(config, days)
        return
    import collections
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ctx.Pool(workers) as pool:
        pending: collections.deque = collections.deque()
        for days in batches:
            pending.append(pool.apply_async(_render_days, (config, days)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


try:  # msgspec (required by Airflow) writes the same bytes as json.dumps below, three times faster
    from msgspec.json import Encoder as _Encoder

    _encode = _Encoder().encode

    def _dumps(value: dict[str, Any]) -> str:
        return _encode(value).decode()

except ImportError:  # pragma: no cover

    def _dumps(value: dict[str, Any]) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_dossier_db(
    out_dir: Path,
    config: DossierDataConfig | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Generates the dataset into ``<out_dir>/dossier_api.sqlite`` (replaced atomically); returns its path.

    Streams in bounded memory; ``workers`` processes simulate whole days in parallel (default: the
    CPU count, at most 4; the output does not depend on it). ``progress(done, total)`` is called per batch."""
    config = config or DossierDataConfig()
    if workers is None:
        workers = min(4, os.cpu_count() or 1) if config.total >= 20_000 else 1
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / DB_FILENAME
    tmp = out_dir / f".{DB_FILENAME}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    # Rows are first appended to a staging file in generation order, then copied into the keyed
    # tables sorted by key: a sequential B-tree build gives dense pages (half the size of inserting
    # out of order) and needs no random I/O, whatever the volume.
    staging = out_dir / f".{DB_FILENAME}.staging-{os.getpid()}"
    staging.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
        conn.execute("PRAGMA soft_heap_limit=268435456")  # SQLite frees cache to stay near 256 MiB
        # WITHOUT ROWID rows bigger than ~1/4 page spill to overflow pages (4 KiB per dossier at the
        # default page size): 16 KiB pages keep the ~1.2 KB payloads inline (less than half the file).
        conn.execute("PRAGMA page_size=16384")
        conn.executescript(SCHEMA_SQL)
        conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
        conn.execute("PRAGMA staging.journal_mode=OFF")
        conn.execute("PRAGMA staging.synchronous=OFF")
        conn.execute("CREATE TABLE staging.dossiers (ngay_cap_nhat TEXT, ma_ho_so TEXT, payload TEXT)")
        conn.execute("CREATE TABLE staging.dossier_events (t TEXT, ma_ho_so TEXT, stt INTEGER, payload TEXT)")
        statuses: Counter = Counter()
        n_events = 0
        dossier_rows: list[tuple[str, str, str]] = []
        event_rows: list[tuple[str, str, int, str]] = []

        def flush() -> None:
            conn.executemany("INSERT INTO staging.dossiers VALUES (?, ?, ?)", dossier_rows)
            conn.executemany("INSERT INTO staging.dossier_events VALUES (?, ?, ?, ?)", event_rows)
            dossier_rows.clear()
            event_rows.clear()

        done = 0
        for batch in _rendered(config, workers):
            for updated, code, payload, status, events in batch:
                statuses[status] += 1
                dossier_rows.append((updated, code, payload))
                event_rows.extend(events)
                n_events += len(events)
                if len(dossier_rows) >= config.insert_batch_size:
                    flush()
            done += len(batch)
            if progress is not None:
                progress(done, config.total)
        flush()
        conn.commit()
        conn.execute("INSERT INTO dossiers SELECT * FROM staging.dossiers ORDER BY 1, 2")
        conn.execute("INSERT INTO dossier_events SELECT * FROM staging.dossier_events ORDER BY 1, 2, 3")
        conn.commit()
        conn.execute("DETACH DATABASE staging")
        staging.unlink(missing_ok=True)
        conn.execute(INDEX_SQL)
        meta = {
            "config": json.dumps(asdict(config), default=str, sort_keys=True),
            "dossiers": str(sum(statuses.values())),
            "dossier_events": str(n_events),
            "statuses": json.dumps({str(k): statuses[k] for k in sorted(statuses)}),
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        conn.commit()
    finally:
        conn.close()
        staging.unlink(missing_ok=True)
    os.replace(tmp, final)
    return final


def read_meta(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the simulated dossier API dataset (SQLite).")
    parser.add_argument("--out", type=Path, required=True, help="directory for dossier_api.sqlite")
    parser.add_argument("--seed", type=int, default=DossierDataConfig.seed)
    parser.add_argument("--n-dossiers", type=int, default=DossierDataConfig.n_dossiers)
    parser.add_argument("--end", default=None, help="ISO local time; nothing is recorded at or after it")
    parser.add_argument("--dossiers-per-year", type=int, default=None, help="the 2019→end province at this rate")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    end = datetime.fromisoformat(args.end) if args.end else DossierDataConfig.end
    if args.dossiers_per_year:
        config = DossierDataConfig.province(args.seed, args.dossiers_per_year, end)
    else:
        config = DossierDataConfig(seed=args.seed, n_dossiers=args.n_dossiers, end=end)
    path = write_dossier_db(args.out, config, workers=args.workers)
    meta = read_meta(path)
    print(f"{path}: {meta['dossiers']} dossiers, {meta['dossier_events']} events, statuses {meta['statuses']}")


if __name__ == "__main__":
    main()
