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


def test_ops_records_of_every_shape_become_one_table(tmp_path):
    """Quality records carry observed values of any shape (numbers, text, objects): they still make one
    typed table (DuckDB's read_json_auto union ran out of memory on a six-year backfill's records)."""
    import json

    from parmetrics.publish import _records_table

    folder = tmp_path / "quality_results" / "batch=x"
    folder.mkdir(parents=True)
    records = [
        {"recorded_at": "2026-11-26T10:00:00+00:00", "suite": "a", "observed_value": 3, "success": True},
        {"recorded_at": "2026-11-26T10:00:01+00:00", "suite": "b", "observed_value": "3 of 4", "success": False},
        {"recorded_at": "2026-11-26T10:00:02+00:00", "suite": "c", "observed_value": {"min": 1}, "kwargs": [1, 2]},
    ]
    for i, record in enumerate(records):
        (folder / f"{i}.json").write_text(json.dumps(record))
    (folder / ".3.json.tmp").write_text("{not json")  # a writer's temporary file is never read
    table = _records_table(tmp_path / "quality_results")
    assert table.num_rows == 3
    assert table.column("observed_value").to_pylist() == ["3", "3 of 4", '{"min": 1}']
    assert table.column("kwargs").to_pylist() == [None, None, "[1, 2]"]
    assert table.column("success").to_pylist() == [True, False, None]
    assert str(table.schema.field("recorded_at").type).startswith("timestamp")
    assert _records_table(tmp_path / "nothing_here") is None
