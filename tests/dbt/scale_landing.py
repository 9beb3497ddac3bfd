"""Synthesise a large landing zone fast, from a small simulated one (for the dbt scale measurements).

The simulator makes a realistic province but is slow at millions of dossiers. This copies its landing
``factor`` times with DuckDB: every copy k gets new dossier numbers (``<MaHoSo>~<k>``) and keeps the
dates, so the copies keep the simulator's distributions (units, procedures, lateness, long-running
dossiers). Dossiers and events land as monthly history batches (``batch=hist_YYYYMM``, by update /
recording month, as the monthly history twins land them); the reference, finance and document-DB
datasets are copied as they are.

With ``nightly_day`` the changes of that day and after are held back into a separate directory, one
batch per day and dataset (``batch=day_YYYYMMDD``): dossiers updated that day and their events. A
dossier received before ``nightly_day`` gets an earlier, still-pending version in the history, so a
day batch carries updates of existing dossiers as well as new ones, like a real nightly window. Land
the day batches one by one to measure successive nightly builds.

    .venv/bin/python tests/dbt/scale_landing.py --source .data/landing --target /tmp/scale/data \\
        --factor 25 --nightly-day 2026-11-19
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from parmetrics.landing.writer import MANIFEST, file_sha256

COPIED = ("reference", "finance", "document_db")


def _write_batches(con: duckdb.DuckDBPyConnection, select_sql: str, dataset_dir: Path) -> dict[str, int]:
    """COPY ``select_sql`` (which has a ``batch`` column) into ``batch=<id>/part-NNNNN.parquet`` + manifests."""
    scratch = dataset_dir.parent / f".scratch-{dataset_dir.name}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"copy ({select_sql}) to '{scratch}' "
        "(format parquet, compression zstd, partition_by (batch), row_group_size 122880)"
    )
    counts = {}
    dataset_dir.mkdir(parents=True, exist_ok=True)
    for part_dir in sorted(scratch.glob("batch=*")):
        batch_id = part_dir.name.removeprefix("batch=")
        final = dataset_dir / part_dir.name
        shutil.rmtree(final, ignore_errors=True)
        final.mkdir()
        files = {}
        rows = 0
        for i, f in enumerate(sorted(part_dir.glob("*.parquet"))):
            target = final / f"part-{i:05d}.parquet"
            f.rename(target)
            files[target.name] = file_sha256(target)
            rows += con.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]
        manifest = {
            "batch_id": batch_id,
            "window": {"synthesised": True},
            "row_count": rows,
            "files": files,
            "committed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (final / MANIFEST).write_text(json.dumps(manifest, indent=2))
        counts[batch_id] = rows
    shutil.rmtree(scratch, ignore_errors=True)
    return counts


def synthesise(source: Path, target: Path, factor: int, nightly_day: date | None = None) -> dict[str, int]:
    """Land ``factor`` copies of ``source``'s dossiers and events under ``target/landing``.

    Returns row counts. With ``nightly_day``, that day's changes go to ``target/nightly/landing`` instead
    (move them into ``target/landing`` to simulate the nightly run).
    """
    started = time.monotonic()
    landing = target / "landing"
    for name in COPIED:
        if (source / name).exists():
            shutil.copytree(source / name, landing / name, dirs_exist_ok=True)
    day = f"timestamp '{nightly_day.isoformat()}'" if nightly_day else "timestamp '9999-12-31'"
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    con.execute(f"create view copies as select range as k from range({factor})")
    options = "union_by_name = true, hive_partitioning = false"
    dossiers = f"read_parquet('{source}/dossier_api/dossiers/batch=*/*.parquet', {options})"
    events = f"read_parquet('{source}/dossier_api/dossier_events/batch=*/*.parquet', {options})"
    copied_dossiers = f"""
        select d.* replace (d.MaHoSo || '~' || copies.k as MaHoSo, d.applicant_key || '~' || copies.k as applicant_key)
        from {dossiers} as d cross join copies
    """
    history = f"""
        select * replace ('hist_' || strftime(NgayCapNhat, '%Y%m') as _batch_id),
            'hist_' || strftime(NgayCapNhat, '%Y%m') as batch
        from ({copied_dossiers}) where NgayCapNhat < {day}
        union all
        -- The pending version of a dossier the nightly window finishes or updates.
        select * replace (
                null::timestamp as NgayKetThucXuLy, null::timestamp as NgayTra,
                case when TrangThaiHoSo in (8, 9, 10) then 4 else TrangThaiHoSo end as TrangThaiHoSo,
                [] as DanhSachGiayToKetQua, null::integer as MucDoHaiLong,
                NgayTiepNhan + interval 1 hour as NgayCapNhat,
                'hist_' || strftime(NgayTiepNhan + interval 1 hour, '%Y%m') as _batch_id),
            'hist_' || strftime(NgayTiepNhan + interval 1 hour, '%Y%m') as batch
        from ({copied_dossiers})
        where NgayCapNhat >= {day} and NgayTiepNhan + interval 1 hour < {day}
    """
    nightly = f"""
        select * replace ('day_' || strftime(NgayCapNhat, '%Y%m%d') as _batch_id),
            'day_' || strftime(NgayCapNhat, '%Y%m%d') as batch
        from ({copied_dossiers}) where NgayCapNhat >= {day}
    """
    copied_events = f"""
        select e.* replace (e.MaHoSo || '~' || copies.k as MaHoSo) from {events} as e cross join copies
    """
    event_history = f"""
        select * replace ('hist_' || strftime(ThoiDiemGhiNhan, '%Y%m') as _batch_id),
            'hist_' || strftime(ThoiDiemGhiNhan, '%Y%m') as batch
        from ({copied_events}) where ThoiDiemGhiNhan < {day}
    """
    event_nightly = f"""
        select * replace ('day_' || strftime(ThoiDiemGhiNhan, '%Y%m%d') as _batch_id),
            'day_' || strftime(ThoiDiemGhiNhan, '%Y%m%d') as batch
        from ({copied_events}) where ThoiDiemGhiNhan >= {day}
    """
    counts = {}
    for dataset, hist_sql, day_sql in (
        ("dossiers", history, nightly),
        ("dossier_events", event_history, event_nightly),
    ):
        written = _write_batches(con, hist_sql, landing / "dossier_api" / dataset)
        counts[f"{dataset}.history"] = sum(written.values())
        if nightly_day:
            written = _write_batches(con, day_sql, target / "nightly" / "landing" / "dossier_api" / dataset)
            counts[f"{dataset}.nightly"] = sum(written.values())
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="a simulated landing directory")
    parser.add_argument("--target", type=Path, required=True, help="the data directory to create")
    parser.add_argument("--factor", type=int, default=25)
    parser.add_argument("--nightly-day", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    print(json.dumps(synthesise(args.source, args.target, args.factor, args.nightly_day), indent=2))


if __name__ == "__main__":
    main()
