import duckdb
import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.publish import PublishError, file_sha256, publish, rollback


def make_build(p: Paths, rows: int) -> None:
    p.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        con.execute("create or replace table marts.criteria_scores as select range as id from range(?)", [rows])
        con.execute("create or replace table staging.secret_stuff as select 1 as x")


def published_rows(p: Paths) -> int:
    with duckdb.connect(str(p.published_db), read_only=True) as con:
        return con.execute("select count(*) from marts.criteria_scores").fetchone()[0]


def test_publish_copies_only_marts_verifies_and_logs(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 10)
    record = publish(p, run_id="r1")
    assert record["row_counts"] == {"marts.criteria_scores": 10}
    assert record["file_checksum"] == file_sha256(p.published_db)
    with duckdb.connect(str(p.published_db), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
    assert schemas == {"marts"}  # staging never reaches BI
    assert (p.published / "parquet" / "criteria_scores.parquet").exists()
    assert [r["run_id"] for r in ops.read_records(p, "publish_log")] == ["r1"]
    assert not list(p.published.glob(".par_metrics-*"))


def test_reader_holding_the_old_file_keeps_working_and_sees_the_new_one_on_reopen(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 3)
    publish(p)
    reader = duckdb.connect(str(p.published_db), read_only=True)
    make_build(p, 5)
    publish(p)  # must not block on, or disturb, the open reader
    assert reader.execute("select count(*) from marts.criteria_scores").fetchone()[0] == 3
    reader.close()
    assert published_rows(p) == 5


def test_rollback_restores_the_previous_version_and_keeps_seven(tmp_path):
    p = Paths(tmp_path)
    for n in range(1, 10):
        make_build(p, n)
        publish(p)
    assert len(list((p.published / "versions").glob("*.duckdb"))) == 7
    assert published_rows(p) == 9
    rollback(p)
    assert published_rows(p) == 8


def test_publishing_an_empty_build_is_refused_and_keeps_the_last_publication(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 4)
    publish(p)
    before = file_sha256(p.published_db)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("drop table marts.criteria_scores")
    with pytest.raises(PublishError, match="holds no table"):
        publish(p)
    assert file_sha256(p.published_db) == before


def test_publication_carries_the_ops_records_as_of_itself(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 2)
    ops.write_record(p, "quality_results", {"run_id": "r0", "suite": "s", "expectation": "e", "success": False})
    publish(p, run_id="r1")
    make_build(p, 3)
    publish(p, run_id="r2")
    with duckdb.connect(str(p.published_db), read_only=True) as con:
        quality = con.execute("select run_id, suite, success from ops.quality_results").fetchall()
        log = con.execute("select run_id from ops.publish_log").fetchall()
    assert quality == [("r0", "s", False)]
    assert log == [("r1",)], "publish_log runs up to the previous publication"


def test_rollback_steps_back_one_publication_at_a_time(tmp_path):
    p = Paths(tmp_path)
    for n in (1, 2, 3):
        make_build(p, n)
        publish(p)
    rollback(p)
    assert published_rows(p) == 2
    rollback(p)
    assert published_rows(p) == 1
    with pytest.raises(PublishError, match="no previous version"):
        rollback(p)
