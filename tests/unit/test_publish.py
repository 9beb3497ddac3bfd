import os

import duckdb
import pytest

from parmetrics import ops
from parmetrics import publish as publish_module
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


# ---- publishing from a copy of the current publication ------------------------------------------

FACTS = [(f"d{i:03d}", i % 5, f"u{i % 3}") for i in range(60)]
VIOLATIONS = [(f"d{i:03d}", rule) for i in range(0, 60, 4) for rule in ("late", "no_apology")]


def make_dossier_build(p: Paths, facts: list[tuple], violations: list[tuple], late_type: str = "integer") -> None:
    p.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.dossier_facts (dossier_key varchar, late {late_type}, unit varchar)"
        )
        con.execute("create or replace table marts.dossier_violations (dossier_key varchar, rule varchar)")
        con.execute("create or replace table marts.criteria_scores as select range as id from range(?)", [len(facts)])
        con.executemany("insert into marts.dossier_facts values (?, ?, ?)", facts)
        con.executemany("insert into marts.dossier_violations values (?, ?)", violations)


def published_equals_build(p: Paths) -> None:
    """Every mart of the publication holds the build's rows, as a multiset (EXCEPT ALL both ways)."""
    with duckdb.connect(str(p.published_db), read_only=True) as con:
        con.execute(f"attach '{p.build_db}' as build (read_only)")
        for table in ("dossier_facts", "dossier_violations", "criteria_scores"):
            for a, b in ((f"marts.{table}", f"build.marts.{table}"), (f"build.marts.{table}", f"marts.{table}")):
                diff = con.execute(f"select * from {a} except all select * from {b}").fetchall()
                assert diff == [], f"{a} has rows {b} lacks: {diff}"


def test_a_publication_from_the_previous_one_replaces_only_changed_keys_and_equals_the_build(tmp_path):
    p = Paths(tmp_path)
    make_dossier_build(p, FACTS, VIOLATIONS)
    first = publish(p, run_id="r1")
    assert first["replaced_keys"] == {}, "nothing to start from: every table written whole"
    facts = [f for f in FACTS if f[0] != "d007"]  # a dossier gone
    facts[3] = ("d003", 9, "u0")  # a dossier changed
    facts += [("d100", 1, "u1"), (None, 2, "u2"), FACTS[10]]  # new, null key, an exact duplicate
    violations = [v for v in VIOLATIONS if v != ("d004", "late")] + [("d005", "late"), ("d100", "late")]
    make_dossier_build(p, facts, violations)
    second = publish(p, run_id="r2")
    # d003, d007, d100, the null key, d010 (violations are written whole: their rows carry as_of)
    assert second["replaced_keys"] == {"marts.dossier_facts": 5}
    assert second["row_counts"]["marts.dossier_facts"] == len(facts)
    published_equals_build(p)
    # Nothing changed: nothing replaced, still equal.
    assert publish(p, run_id="r3")["replaced_keys"] == {"marts.dossier_facts": 0}
    published_equals_build(p)
    # The version published before is untouched (published files are copied, never written).
    first_version = p.published / first["version_file"]
    with duckdb.connect(str(first_version), read_only=True) as con:
        assert sorted(con.execute("select * from marts.dossier_facts").fetchall()) == sorted(FACTS)


def test_a_mart_whose_columns_changed_is_written_whole(tmp_path):
    p = Paths(tmp_path)
    make_dossier_build(p, FACTS, VIOLATIONS)
    publish(p)
    make_dossier_build(p, FACTS, VIOLATIONS, late_type="double")
    assert publish(p)["replaced_keys"] == {}
    published_equals_build(p)
    with duckdb.connect(str(p.published_db), read_only=True) as con:
        assert con.execute("select data_type from duckdb_columns() where column_name = 'late'").fetchone() == (
            "DOUBLE",
        )


def test_a_mart_gone_from_the_build_is_gone_from_the_publication(tmp_path):
    p = Paths(tmp_path)
    make_dossier_build(p, FACTS, VIOLATIONS)
    publish(p)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("drop table marts.dossier_violations")
    assert "marts.dossier_violations" not in publish(p)["row_counts"]
    with duckdb.connect(str(p.published_db), read_only=True) as con:
        assert (
            con.execute("select count(*) from duckdb_tables() where table_name = 'dossier_violations'").fetchone()[0]
            == 0
        )


def test_an_unusable_current_publication_falls_back_to_writing_every_table(tmp_path, caplog):
    p = Paths(tmp_path)
    make_dossier_build(p, FACTS, VIOLATIONS)
    publish(p)
    # Not what a publication ever is (they are never written after the swap), but whatever is there,
    # the new publication must not depend on it.
    garbage = p.published / "garbage.tmp"
    garbage.write_bytes(b"not a duckdb file" * 1000)
    os.replace(garbage, p.published_db)
    record = publish(p)
    assert record["replaced_keys"] == {}
    assert "writing every table" in caplog.text
    published_equals_build(p)


def test_a_fragmented_copy_is_rewritten_compact(tmp_path, monkeypatch):
    p = Paths(tmp_path)
    make_dossier_build(p, FACTS, VIOLATIONS)
    publish(p)
    # Any free block counts as fragmentation (the real thresholds are a quarter of the file and 64 MB).
    monkeypatch.setattr(publish_module, "MAX_FREE_SHARE", -1.0)
    monkeypatch.setattr(publish_module, "MIN_FREE_BYTES", -1)
    make_dossier_build(p, [(k, late + 1, u) for k, late, u in FACTS], VIOLATIONS)
    assert publish(p)["replaced_keys"] == {}
    published_equals_build(p)


def test_a_replacement_that_misses_the_builds_rows_is_refused(tmp_path, monkeypatch):
    """The content check is what makes the copy safe: a replacement that got the rows wrong must not be
    published (publish then writes every table instead)."""
    p = Paths(tmp_path)
    make_dossier_build(p, FACTS, VIOLATIONS)
    publish(p)
    make_dossier_build(p, [*FACTS, ("d200", 1, "u1")], VIOLATIONS)
    monkeypatch.setattr(publish_module, "_replace_changed_keys", lambda con, name, key: 0)  # replaces nothing
    with pytest.raises(PublishError, match="does not hold the build's rows"):
        publish_module.build_publication(p.build_db, tmp_path / "x.duckdb", base=p.published_db)
    assert publish(p)["replaced_keys"] == {}
    published_equals_build(p)
