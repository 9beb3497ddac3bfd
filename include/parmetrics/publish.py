"""Publishing: copy the marts into a new file, verify it, and atomically swap it in.

BI tools open ``published/par_metrics.duckdb`` read-only. A new publication is built beside it under
a hidden name, verified (opened read-only, row counts compared with the build), then renamed over
the published path: ``rename`` is atomic, so a reader sees the old file or the new one, never half
of one, and a reader holding the old file open keeps its inode until it reopens. The previous
versions are kept under ``published/versions/``.

The Parquet exports belong to their publication. Each publication's set is written, whole, to
``published/parquet_versions/<stamp>/`` (the stamp of its version file) before the swap, and
``published/parquet`` is a symbolic link to the current set, replaced by a rename right after the
DuckDB file: a BI tool reading ``published/parquet/<table>.parquet`` sees one publication's set or the
next one's, never a mix. ``rollback`` switches the link back with the file; a set whose publication
never happened (a publisher killed before its swap) is removed by the next publish.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from parmetrics import ops
from parmetrics.config import Paths

log = logging.getLogger(__name__)
PUBLISHED_SCHEMAS = ("marts",)
KEEP_VERSIONS = 7


class PublishError(RuntimeError):
    pass


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? order by 1, 2",
        [catalog],
    ).fetchall()
    return [(s, t) for s, t in rows if s in PUBLISHED_SCHEMAS]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _records_table(folder: Path) -> pa.Table | None:
    """Every JSON record of one ops table as an Arrow table (nested values as JSON text).

    Built in Python rather than with ``read_json_auto(…, union_by_name)``: after a six-year backfill
    (1,600 small quality records with differently shaped observed values) DuckDB's schema inference
    over the union ran out of 18 GB for 6.6 MB of JSON.
    """
    rows = [json.loads(path.read_text()) for path in sorted(folder.rglob("*.json")) if not path.name.startswith(".")]
    if not rows:
        return None
    columns = {}
    for key in sorted({k for row in rows for k in row}):
        values = [row.get(key) for row in rows]
        values = [
            json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, dict | list) else v for v in values
        ]
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1 and not kinds <= {int, float}:
            # One column, one type: a value that is sometimes a number and sometimes text is text.
            values = [None if v is None else str(v) for v in values]
        if key.endswith("_at"):
            values = _as_timestamps(values)
        columns[key] = values
    return pa.table(columns)


def _as_timestamps(values: list) -> list:
    """ISO instants (``recorded_at``, ``published_at`` …) as datetimes, when every one of them parses."""
    try:
        return [None if v is None else datetime.fromisoformat(v) for v in values]
    except (TypeError, ValueError):
        return values


def _copy_ops_records(con: duckdb.DuckDBPyConnection, ops_dir: Path, counts: dict[str, int]) -> None:
    """Carry the ops.* records as of this publication (ARCHITECTURE.md): one table per record folder.

    ``ops.publish_log`` therefore holds the publications before this one: a file cannot hold its own
    checksum.
    """
    con.execute("create schema if not exists ops").fetchall()
    for table in ops.TABLES:
        folder = ops_dir / table
        records = _records_table(folder) if folder.exists() else None
        if records is None:
            continue
        con.register("ops_records", records)
        try:
            con.execute(f"create table ops.{table} as select * from ops_records order by recorded_at").fetchall()
        finally:
            con.unregister("ops_records")
        counts[f"ops.{table}"] = con.execute(f"select count(*) from ops.{table}").fetchall()[0][0]


def build_publication(build_db: Path, target: Path, ops_dir: Path | None = None) -> dict[str, int]:
    """Copy the published schemas of the build file (and the ops records) into a new file.

    Returns the row count of every table written.
    """
    counts: dict[str, int] = {}
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{build_db}' as build (read_only)")
        for schema, table in _tables(con, "build"):
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from build.{schema}.{table}")
            counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
        con.execute("detach build")
        if ops_dir is not None:
            _copy_ops_records(con, ops_dir, counts)
        con.execute("checkpoint")
    finally:
        con.close()
    _fsync(target)
    return counts


def verify_publication(path: Path, expected: dict[str, int]) -> None:
    """Open the new file read-only and check that every table holds the rows the build holds."""
    with duckdb.connect(str(path), read_only=True) as con:
        for name, rows in expected.items():
            got = con.execute(f"select count(*) from {name}").fetchone()[0]
            if got != rows:
                raise PublishError(f"verification failed for {path.name}: {name} has {got} rows, expected {rows}")


def export_parquet(path: Path, out_dir: Path, tables: list[str]) -> None:
    """Write one Parquet file per mart into ``out_dir``, as one set: the files are written into a hidden
    folder beside it, which is renamed to ``out_dir`` once every file is complete."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            for name in tables:
                target = tmp / f"{name.split('.', 1)[1]}.parquet"
                con.execute(f"copy (select * from {name}) to '{target}' (format parquet, compression zstd)")
        if out_dir.exists():
            shutil.rmtree(out_dir)  # a set left by a publisher killed before its swap: rewritten
        tmp.rename(out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def parquet_sets(paths: Paths) -> Path:
    return paths.published / "parquet_versions"


def parquet_link(paths: Paths) -> Path:
    """Where BI reads the Parquet exports: ``published/parquet/<table>.parquet``."""
    return paths.published / "parquet"


def _stamp_of(version: Path) -> str:
    return version.name.removeprefix("par_metrics-").removesuffix(".duckdb")


def switch_parquet(paths: Paths, stamp: str) -> None:
    """Point ``published/parquet`` at the set of publication ``stamp`` with one rename.

    The link is relative, so a data directory moved or mounted elsewhere keeps it valid. A real folder
    there (the layout before sets were kept per publication) is replaced once, non-atomically.
    """
    link = parquet_link(paths)
    tmp = paths.published / f".parquet.link-{uuid.uuid4().hex}"
    os.symlink(Path(parquet_sets(paths).name) / stamp, tmp)
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp, link)
    _fsync(paths.published)


def current_parquet_stamp(paths: Paths) -> str | None:
    link = parquet_link(paths)
    return Path(os.readlink(link)).name if link.is_symlink() else None


def _remove_debris(paths: Paths) -> None:
    """What a killed publisher or rollback leaves: hidden staging files, half-written Parquet sets,
    temporary links, and complete sets whose publication never happened."""
    published = paths.published
    for debris in published.glob(".par_metrics-*.duckdb*"):
        debris.unlink(missing_ok=True)
    for debris in published.glob(".parquet.link-*"):
        debris.unlink(missing_ok=True)
    sets = parquet_sets(paths)
    if sets.is_dir():
        kept = {_stamp_of(v) for v in (published / "versions").glob("par_metrics-*.duckdb")}
        kept.add(current_parquet_stamp(paths) or "")
        for entry in sets.iterdir():
            if entry.name.startswith(".") or entry.name not in kept:
                shutil.rmtree(entry, ignore_errors=True)
    legacy = parquet_link(paths)
    if legacy.is_dir() and not legacy.is_symlink():
        # The layout before sets: files replaced one by one, temporaries of killed exports left behind.
        for debris in legacy.glob(".*.parquet.*.tmp"):
            debris.unlink(missing_ok=True)


def _prune_versions(paths: Paths, keep: int) -> None:
    files = sorted((paths.published / "versions").glob("par_metrics-*.duckdb"))
    for old in files[:-keep]:
        old.unlink(missing_ok=True)
        shutil.rmtree(parquet_sets(paths) / _stamp_of(old), ignore_errors=True)


def publish(paths: Paths, *, run_id: str | None = None, build_db: Path | None = None) -> dict[str, Any]:
    """Publish the build's marts atomically; returns the publish-log record."""
    build_db = build_db or paths.build_db
    published = paths.published_db
    published.parent.mkdir(parents=True, exist_ok=True)
    _remove_debris(paths)
    staging = published.parent / f".par_metrics-{uuid.uuid4().hex}.duckdb"
    try:
        counts = build_publication(build_db, staging, paths.ops)
        if not any(name.startswith("marts.") for name in counts):
            raise PublishError(f"the build file {build_db} holds no table in schemas {PUBLISHED_SCHEMAS}")
        verify_publication(staging, counts)
        checksum = file_sha256(staging)
        previous = file_sha256(published) if published.exists() else None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        marts = sorted(n for n in counts if n.startswith("marts."))
        export_parquet(staging, parquet_sets(paths) / stamp, marts)
        os.replace(staging, published)
        _fsync(published.parent)
        # Keep what we published; a hard link costs no space. Linked only after the swap, so a
        # crash never leaves a version that was not published.
        versions = published.parent / "versions"
        versions.mkdir(exist_ok=True)
        os.link(published, versions / f"par_metrics-{stamp}.duckdb")
    finally:
        staging.unlink(missing_ok=True)
    switch_parquet(paths, stamp)
    _prune_versions(paths, KEEP_VERSIONS)
    record = {
        "run_id": run_id,
        "published_at": stamp,
        "file_checksum": checksum,
        "previous_checksum": previous,
        "row_counts": counts,
        "version_file": f"versions/par_metrics-{stamp}.duckdb",
    }
    ops.write_record(paths, "publish_log", record)
    log.info("published %s (%s)", published, counts)
    return record


def rollback(paths: Paths) -> Path:
    """Restore the version published before the current one (and forget the current one), its Parquet
    set with it."""
    published = paths.published_db
    versions = sorted((paths.published / "versions").glob("par_metrics-*.duckdb"))
    current = [i for i, v in enumerate(versions) if published.exists() and os.path.samefile(v, published)]
    # A crash between the swap and the link leaves the current file without a version entry.
    index = current[-1] if current else len(versions)
    if index < 1:
        raise PublishError("no previous version to roll back to")
    previous = versions[index - 1]
    stamp = _stamp_of(previous)
    if not (parquet_sets(paths) / stamp).is_dir():
        # Published before sets were kept per publication: its set is exported again from its file.
        with duckdb.connect(str(previous), read_only=True) as con:
            catalog = con.execute("select current_database()").fetchone()[0]
            marts = [f"{schema}.{table}" for schema, table in _tables(con, catalog)]
        export_parquet(previous, parquet_sets(paths) / stamp, marts)
    tmp = paths.published / f".par_metrics-{uuid.uuid4().hex}.duckdb"
    os.link(previous, tmp)
    os.replace(tmp, published)
    _fsync(paths.published)
    switch_parquet(paths, stamp)
    for newer in versions[index:]:
        newer.unlink(missing_ok=True)
        shutil.rmtree(parquet_sets(paths) / _stamp_of(newer), ignore_errors=True)
    ops.write_record(paths, "publish_log", {"rolled_back_to": previous.name, "file_checksum": file_sha256(published)})
    return previous
