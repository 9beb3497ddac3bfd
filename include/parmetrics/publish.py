"""Publishing: copy the marts into a new file, verify it, and atomically swap it in.

BI tools open ``published/par_metrics.duckdb`` read-only. A new publication is built beside it under
a hidden name, verified (opened read-only, row counts compared with the build), then renamed over
the published path: ``rename`` is atomic, so a reader sees the old file or the new one, never half
of one, and a reader holding the old file open keeps its inode until it reopens. The previous
versions are kept under ``published/versions/``.

dbt builds the marts into a file of their own (``warehouse/par_metrics_marts.duckdb``), so a
publication starts as a byte copy of that file — what a night changed costs nothing more than what
it did not — to which the ``ops.*`` records and the publication's stamp are added. (A build file that
still holds the marts beside every other layer has its marts tables copied one by one instead.)

The Parquet exports belong to their publication. Each publication's set is written, whole, to
``published/parquet_versions/<stamp>/`` (the stamp of its version file), and ``published/parquet`` is
a symbolic link to the current set, switched by one rename after the DuckDB file: a BI tool reading
``published/parquet/<table>.parquet`` sees one publication's set or the next one's, never a mix.
``publish(…, parquet=True)`` writes the set before the swap and switches the link right after it;
the build DAG publishes with ``parquet=False`` and ``publish_reports`` writes the set from the version
file (:func:`publish_parquet`) — at millions of dossiers the export costs more than the rest of the
publication, and BI readers of the DuckDB file need not wait for it. ``rollback`` switches the link
back with the file; a set whose publication never happened (a publisher killed before its swap) is
removed by the next publish.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
# The publication's own row (as_of, rule versions), built by dbt; publish adds its stamp.
PUBLICATION_TABLE = "marts.publication"


class PublishError(RuntimeError):
    pass


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def marts_source(paths: Paths) -> Path:
    """The file holding the build's marts: their own file when dbt built one, else the build file."""
    return paths.marts_db if paths.marts_db.exists() else paths.build_db


def _relations(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """``schema.name`` of every published table and view of ``catalog``."""
    rows = con.execute(
        """
        select schema_name, table_name from duckdb_tables() where database_name = $1
        union all
        select schema_name, view_name from duckdb_views() where database_name = $1 and not internal
        order by 1, 2
        """,
        [catalog],
    ).fetchall()
    return [f"{s}.{t}" for s, t in rows if s in PUBLISHED_SCHEMAS]


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
        con.execute(f"drop table if exists ops.{table}")  # a marts file never holds any; a stale one goes
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


def marts_counts(source: Path) -> dict[str, int]:
    """Rows of every published table and view of ``source``: what the publication must hold."""
    with duckdb.connect(str(source), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        return {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in _relations(con, catalog)}


def _copy_marts_file(source: Path, staging: Path, *, whole_file: bool) -> None:
    """The marts into the (already created, empty) hidden file: a byte copy of the marts file, or, from a
    build file that holds every layer (``whole_file`` off), its marts tables one by one."""
    if whole_file:
        with source.open("rb") as src, staging.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 24)
        return
    staging.unlink()  # DuckDB refuses an empty file as a database
    with duckdb.connect(str(staging)) as con:
        con.execute(f"attach '{source}' as build (read_only)")
        for name in _relations(con, "build"):
            schema = name.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {name} as select * from build.{name}")


def _write_publication_records(staging: Path, ops_dir: Path | None, stamp: str, counts: dict[str, int]) -> None:
    """Add what only publishing knows to the hidden file: the ops records as of now and the stamp."""
    with duckdb.connect(str(staging)) as con:
        has_publication = con.execute(
            "select count(*) from duckdb_columns() where schema_name || '.' || table_name = ? "
            "and column_name = 'published_at'",
            [PUBLICATION_TABLE],
        ).fetchone()[0]
        if has_publication:
            published_at = datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ")
            con.execute(f"update {PUBLICATION_TABLE} set published_at = ?", [published_at])
        if ops_dir is not None:
            _copy_ops_records(con, ops_dir, counts)
        con.execute("checkpoint")
    _fsync(staging)


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


# The Parquet sets' lock file: it stays (an flock is released with its holder; the file is not debris).
PARQUET_LOCK = ".parquet.lock"


@contextmanager
def parquet_lock(paths: Paths, *, wait: bool = True) -> Iterator[bool]:
    """The Parquet sets' lock (``fcntl.flock``, released by a killed holder): held while a set is
    written, the link switched or sets removed. Yields False, without it, when ``wait`` is off and
    another process holds it."""
    paths.published.mkdir(parents=True, exist_ok=True)
    fd = os.open(paths.published / PARQUET_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _stamp_of(version: Path) -> str:
    return version.name.removeprefix("par_metrics-").removesuffix(".duckdb")


def version_file(paths: Paths, stamp: str) -> Path:
    return paths.published / "versions" / f"par_metrics-{stamp}.duckdb"


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
    temporary links, and complete sets whose publication never happened. The Parquet part waits for
    no one: while another process holds the sets' lock (a set being written), it is left for later."""
    published = paths.published
    for debris in published.glob(".par_metrics-*.duckdb*"):
        debris.unlink(missing_ok=True)
    with parquet_lock(paths, wait=False) as locked:
        if not locked:
            return
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
    # Their Parquet sets go now, or with the next publish's debris if a set is being written.
    with parquet_lock(paths, wait=False) as locked:
        if locked:
            for old in files[:-keep]:
                shutil.rmtree(parquet_sets(paths) / _stamp_of(old), ignore_errors=True)


def _published_checksum(paths: Paths) -> str | None:
    """The checksum of the current publication: the one its publish (or rollback) recorded, when that
    record's version is the file published now — published files never change — else hashed again."""
    published = paths.published_db
    if not published.exists():
        return None
    records = sorted(ops.read_records(paths, "publish_log"), key=lambda r: r.get("recorded_at") or "")
    if records:
        last = records[-1]
        name = last.get("version_file") or f"versions/{last.get('rolled_back_to', '')}"
        version = paths.published / name
        if last.get("file_checksum") and version.is_file() and os.path.samefile(version, published):
            return last["file_checksum"]
    return file_sha256(published)


def publish(
    paths: Paths, *, run_id: str | None = None, build_db: Path | None = None, parquet: bool = True
) -> dict[str, Any]:
    """Publish the build's marts atomically; returns the publish-log record.

    ``build_db``: the file holding the marts (default :func:`marts_source`). ``parquet``: write the
    publication's Parquet set before the swap and switch to it right after (else
    :func:`publish_parquet` does it later, from the version file).
    """
    source = build_db or marts_source(paths)
    published = paths.published_db
    published.parent.mkdir(parents=True, exist_ok=True)
    _remove_debris(paths)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    counts = marts_counts(source) if source.exists() else {}
    if not any(name.startswith("marts.") for name in counts):
        raise PublishError(f"the build file {source} holds no table in schemas {PUBLISHED_SCHEMAS}")
    marts = sorted(counts)
    staging = published.parent / f".par_metrics-{uuid.uuid4().hex}.duckdb"
    staging.touch(exist_ok=False)
    try:
        _copy_marts_file(source, staging, whole_file=source != paths.build_db)
        _write_publication_records(staging, paths.ops, stamp, counts)
        verify_publication(staging, counts)
        checksum = file_sha256(staging)
        previous = _published_checksum(paths)
        if parquet:
            with parquet_lock(paths):
                export_parquet(staging, parquet_sets(paths) / stamp, marts)
        os.replace(staging, published)
        _fsync(published.parent)
        # Keep what we published; a hard link costs no space. Linked only after the swap, so a
        # crash never leaves a version that was not published.
        versions = published.parent / "versions"
        versions.mkdir(exist_ok=True)
        os.link(published, version_file(paths, stamp))
    finally:
        staging.unlink(missing_ok=True)
    if parquet:
        with parquet_lock(paths):
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


def _is_current(paths: Paths, stamp: str) -> bool:
    version = version_file(paths, stamp)
    return paths.published_db.exists() and version.exists() and os.path.samefile(version, paths.published_db)


def publish_parquet(paths: Paths, stamp: str | None = None) -> str | None:
    """Write the Parquet set of publication ``stamp`` (default: the current one) from its version file
    and, if it is still the current publication, switch ``published/parquet`` to it. Returns the stamp
    whose set ``published/parquet`` shows afterwards (None before any).

    A set that exists already is kept (it was written whole); a publication that is no longer kept, or
    no longer current when its set is done, only gets its set (a rollback or the next publication's own
    set decides the link)."""
    if stamp is None:
        current = [
            v for v in (paths.published / "versions").glob("par_metrics-*.duckdb") if _is_current(paths, _stamp_of(v))
        ]
        if not current:
            return current_parquet_stamp(paths)
        stamp = _stamp_of(current[-1])
    version = version_file(paths, stamp)
    with parquet_lock(paths):
        if not version.exists():
            log.warning("publication %s is no longer kept: no Parquet set for it", stamp)
            return current_parquet_stamp(paths)
        target = parquet_sets(paths) / stamp
        if not target.is_dir():
            with duckdb.connect(str(version), read_only=True) as con:
                catalog = con.execute("select current_database()").fetchone()[0]
                marts = _relations(con, catalog)
            export_parquet(version, target, marts)
        if _is_current(paths, stamp):
            switch_parquet(paths, stamp)
    return current_parquet_stamp(paths)


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
    with parquet_lock(paths):
        if not (parquet_sets(paths) / stamp).is_dir():
            # Its set was never written (published before sets were kept per publication, or by the build
            # DAG before publish_reports wrote it): exported again from its file.
            with duckdb.connect(str(previous), read_only=True) as con:
                catalog = con.execute("select current_database()").fetchone()[0]
                marts = _relations(con, catalog)
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
