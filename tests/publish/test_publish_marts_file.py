"""Publishing from the marts file dbt builds: a byte copy plus the ops records and the publication's stamp,
with its views intact; the Parquet set written later from the version file when the DAG asks for it."""

from __future__ import annotations

import os
from datetime import datetime

import duckdb
import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.publish import (
    current_parquet_stamp,
    file_sha256,
    parquet_lock,
    publish,
    publish_parquet,
    rollback,
)


def make_marts(p: Paths, rows: int, as_of: str) -> None:
    """A marts file as dbt builds it: stored rows without any per-build value, the publication's row,
    and the view BI reads, which carries as_of on every row."""
    p.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("create schema if not exists staging")
        con.execute("create or replace table staging.stg_secret as select 'raw' as x")
    with duckdb.connect(str(p.marts_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists mart_rows")
        con.execute(
            "create or replace table mart_rows.overdue_dossiers as "
            "select 'HS-' || range as dossier_code, range % 5 as working_days_overdue from range(?)",
            [rows],
        )
        con.execute(
            "create or replace table marts.publication as "
            f"select timestamp '{as_of}' as as_of, ['2022.1'] as rule_versions, null::timestamp as published_at"
        )
        con.execute(
            "create or replace view marts.overdue_dossiers as select r.dossier_code, r.working_days_overdue, "
            "p.as_of from mart_rows.overdue_dossiers as r cross join marts.publication as p"
        )


def test_the_marts_file_is_published_whole_with_its_views_records_and_stamp(tmp_path):
    p = Paths(tmp_path)
    make_marts(p, 4, "2026-11-20 17:45:00")
    ops.write_record(p, "quality_results", {"run_id": "r0", "suite": "s", "expectation": "*", "success": True})
    record = publish(p, run_id="r1")
    assert record["row_counts"] == {"marts.overdue_dossiers": 4, "marts.publication": 1, "ops.quality_results": 1}
    assert record["file_checksum"] == file_sha256(p.published_db)
    with duckdb.connect(str(p.published_db), read_only=True) as con:
        rows = con.execute("select * from marts.overdue_dossiers order by dossier_code").fetchall()
        published_at = con.execute("select published_at from marts.publication").fetchone()[0]
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
    assert rows[0] == ("HS-0", 0, datetime(2026, 11, 20, 17, 45))
    assert len(rows) == 4
    assert published_at == datetime.strptime(record["published_at"], "%Y%m%dT%H%M%S%fZ")
    assert schemas == {"marts", "mart_rows", "ops"}  # the build file's staging never reaches BI
    # The view reads its own file's tables, whatever name a reader attaches it under.
    with duckdb.connect() as con:
        con.execute(
            f"attach '{p.published / 'versions' / ('par_metrics-' + record['published_at'] + '.duckdb')}' as v1"
        )
        assert con.execute("select count(*), min(as_of) from v1.marts.overdue_dossiers").fetchone() == (
            4,
            datetime(2026, 11, 20, 17, 45),
        )
    # The marts file itself is untouched: the stamp is the publication's, not the build's.
    with duckdb.connect(str(p.marts_db), read_only=True) as con:
        assert con.execute("select published_at from marts.publication").fetchone() == (None,)
    # The Parquet export is of what BI reads: the view, as_of included.
    with duckdb.connect() as con:
        parquet = p.published / "parquet" / "overdue_dossiers.parquet"
        assert con.execute(f"select count(*), count(as_of) from read_parquet('{parquet}')").fetchone() == (4, 4)


def test_the_previous_checksum_is_the_one_recorded_for_the_file_published_before(tmp_path, monkeypatch):
    p = Paths(tmp_path)
    make_marts(p, 3, "2026-11-20 17:45:00")
    first = publish(p)
    make_marts(p, 4, "2026-11-21 17:45:00")
    second = publish(p)
    assert second["previous_checksum"] == first["file_checksum"]
    rollback(p)  # the first publication again: its rollback record names it and its checksum
    hashed: list[str] = []
    monkeypatch.setattr("parmetrics.publish.file_sha256", lambda path: hashed.append(path.name) or "x")
    make_marts(p, 5, "2026-11-22 17:45:00")
    third = publish(p)
    assert third["previous_checksum"] == first["file_checksum"]
    assert all(name.startswith(".par_metrics-") for name in hashed), "only the new file is hashed"


def test_a_published_file_replaced_by_hand_is_hashed_again(tmp_path):
    p = Paths(tmp_path)
    make_marts(p, 3, "2026-11-20 17:45:00")
    publish(p)
    replaced = tmp_path / "by_hand.duckdb"
    with duckdb.connect(str(replaced)) as con:
        con.execute("create table t as select 42 as answer")
    os.replace(replaced, p.published_db)
    make_marts(p, 4, "2026-11-21 17:45:00")
    by_hand = file_sha256(p.published_db)
    assert publish(p)["previous_checksum"] == by_hand


def parquet_rows(p: Paths) -> int:
    with duckdb.connect() as con:
        return con.execute(
            f"select count(*) from read_parquet('{p.published}/parquet/overdue_dossiers.parquet')"
        ).fetchone()[0]


def test_a_publication_without_its_set_gets_it_from_its_version_file(tmp_path):
    p = Paths(tmp_path)
    make_marts(p, 3, "2026-11-20 17:45:00")
    first = publish(p)
    make_marts(p, 4, "2026-11-21 17:45:00")
    second = publish(p, parquet=False)
    # The DuckDB file is the new publication; BI's Parquet is still the whole previous set.
    assert current_parquet_stamp(p) == first["published_at"]
    assert parquet_rows(p) == 3
    assert not (p.published / "parquet_versions" / second["published_at"]).exists()
    assert publish_parquet(p) == second["published_at"]
    assert parquet_rows(p) == 4
    # Asked again (a retried task): the set is kept as written, the link stays.
    assert publish_parquet(p, second["published_at"]) == second["published_at"]


def test_a_set_finished_after_a_newer_publication_does_not_take_the_link(tmp_path):
    p = Paths(tmp_path)
    make_marts(p, 3, "2026-11-20 17:45:00")
    publish(p)
    make_marts(p, 4, "2026-11-21 17:45:00")
    late = publish(p, parquet=False)
    make_marts(p, 5, "2026-11-22 17:45:00")
    newest = publish(p)
    assert publish_parquet(p, late["published_at"]) == newest["published_at"]
    assert parquet_rows(p) == 5
    assert (p.published / "parquet_versions" / late["published_at"]).is_dir()  # there for a rollback
    rollback(p)
    assert current_parquet_stamp(p) == late["published_at"]
    assert parquet_rows(p) == 4


def test_a_rollback_to_a_publication_whose_set_was_never_written_writes_it(tmp_path):
    p = Paths(tmp_path)
    make_marts(p, 3, "2026-11-20 17:45:00")
    first = publish(p, parquet=False)
    make_marts(p, 4, "2026-11-21 17:45:00")
    publish(p)
    rollback(p)
    assert current_parquet_stamp(p) == first["published_at"]
    assert parquet_rows(p) == 3


def test_a_set_being_written_by_another_process_is_not_taken_for_debris(tmp_path):
    p = Paths(tmp_path)
    make_marts(p, 3, "2026-11-20 17:45:00")
    publish(p)
    half_written = p.published / "parquet_versions" / ".20261121T000000000000Z.tmp-abc"
    half_written.mkdir()
    with parquet_lock(p) as locked:  # as publish_parquet holds it while it writes
        assert locked
        make_marts(p, 4, "2026-11-21 17:45:00")
        publish(p, parquet=False)
        assert half_written.is_dir()
    make_marts(p, 5, "2026-11-22 17:45:00")
    publish(p, parquet=False)
    assert not half_written.exists(), "once no one holds the lock, a killed writer's folder is debris"


def test_publishing_a_marts_file_without_marts_is_refused(tmp_path):
    p = Paths(tmp_path)
    p.warehouse.mkdir(parents=True)
    with duckdb.connect(str(p.marts_db)) as con:
        con.execute("create table main.not_a_mart as select 1 as x")
    with pytest.raises(Exception, match="holds no table in schemas"):
        publish(p)
    assert not p.published_db.exists()
