"""The mart gate validates only the rows a build changed, and only when that is as strict as all rows.

A small "facts" mart with one row per key: the gate passes it, it is published, then the build
changes. Every case below would publish a bad row if the gate trusted rows it must not trust.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import duckdb
import pytest

from parmetrics import ops
from parmetrics.config import EXPECTATIONS_DIR, Paths
from parmetrics.publish import publish
from parmetrics.quality import mart_gate
from parmetrics.quality.errors import QualityGateError
from parmetrics.quality.mart_gate import run_mart_gate
from parmetrics.quality.runner import SuiteResult, load_suite
from parmetrics.quality.suites import columns_read, columns_read_for_nullness, incremental_key, suite_fingerprint

SUITE = {
    "name": "marts.facts",
    "meta": {"table": "marts.facts", "incremental": {"key": ["fact_key"]}},
    "expectations": [
        {"type": "expect_table_columns_to_match_ordered_list", "kwargs": {"column_list": ["fact_key", "late_days"]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "fact_key"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "fact_key"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "late_days", "min_value": 0}},
    ],
}
GOOD = [(f"k{i:03d}", i % 7) for i in range(200)]


@pytest.fixture
def suites(tmp_path, monkeypatch):
    """The gate's suites are this one suite, written where the test can change it."""
    folder = tmp_path / "suites"
    folder.mkdir()

    def write(suite: dict) -> None:
        (folder / "facts.json").write_text(json.dumps(suite))

    write(SUITE)
    monkeypatch.setattr(mart_gate, "mart_suites", lambda: sorted(folder.glob("*.json")))
    return write


def build(p: Paths, rows: list[tuple]) -> None:
    p.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.facts (fact_key varchar, late_days integer)")
        con.executemany("insert into marts.facts values (?, ?)", rows)


def gate_and_publish(p: Paths, rows: list[tuple], run_id: str = "r1") -> None:
    build(p, rows)
    run_mart_gate(p, run_id=run_id, docs=False)
    publish(p, run_id=run_id)


def run(p: Paths, rows: list[tuple]) -> SuiteResult:
    build(p, rows)
    (result,) = run_mart_gate(p, run_id="r2", docs=False)
    return result


def failed(p: Paths, rows: list[tuple]) -> list[tuple[str, int | None]]:
    build(p, rows)
    with pytest.raises(QualityGateError, match=r"suite marts\.facts"):
        run_mart_gate(p, run_id="r2", docs=False)
    return [
        (r["expectation"], r["unexpected_count"])
        for r in ops.read_records(p, "quality_results")
        if r["run_id"] == "r2" and not r["success"]
    ]


def test_a_nightly_build_validates_only_the_rows_it_changed(tmp_path, suites):
    p = Paths(tmp_path)
    gate_and_publish(p, GOOD)
    changed = [*GOOD[:150], ("k150", 40), *GOOD[151:], ("k900", 2)]  # one row updated, one added
    result = run(p, changed)
    assert (result.rows, result.table_rows) == (2, 201)
    (record,) = [r for r in ops.read_records(p, "quality_results") if r["run_id"] == "r2"]
    assert record["observed_value"] == "4 expectations passed on 2 changed rows of 201"
    assert record["suite_fingerprint"] == suite_fingerprint(SUITE)
    # The same build without the shortcut: every row.
    (full,) = run_mart_gate(p, run_id="r3", docs=False, incremental=False)
    assert (full.rows, full.table_rows) == (201, None)


def test_the_first_publication_is_validated_whole(tmp_path, suites):
    p = Paths(tmp_path)
    result = run(p, GOOD)
    assert (result.rows, result.table_rows) == (200, None)


def test_a_changed_row_that_breaks_a_rule_is_caught(tmp_path, suites):
    p = Paths(tmp_path)
    gate_and_publish(p, GOOD)
    assert failed(p, [*GOOD[:10], ("k010", -3), *GOOD[11:]]) == [("expect_column_values_to_be_between", 1)]


def test_a_changed_row_with_a_null_key_is_in_the_frame(tmp_path, suites):
    p = Paths(tmp_path)
    gate_and_publish(p, GOOD)
    assert failed(p, [*GOOD, (None, 1)]) == [("expect_column_values_to_not_be_null", 1)]


def test_a_new_row_duplicating_the_key_of_an_unchanged_row_is_caught(tmp_path, suites):
    p = Paths(tmp_path)
    gate_and_publish(p, GOOD)
    # Both rows with k005 are in the frame, though only one of them changed.
    assert failed(p, [*GOOD, ("k005", 3)]) == [("expect_column_values_to_be_unique", 2)]


def test_an_exact_copy_of_an_unchanged_row_is_caught(tmp_path, suites):
    p = Paths(tmp_path)
    gate_and_publish(p, GOOD)
    # A set difference would find no change; the multiset difference finds the second copy.
    assert failed(p, [*GOOD, GOOD[5]]) == [("expect_column_values_to_be_unique", 2)]


def test_a_stricter_suite_validates_every_row_again(tmp_path, suites):
    p = Paths(tmp_path)
    gate_and_publish(p, GOOD)
    stricter = copy.deepcopy(SUITE)
    stricter["expectations"][3]["kwargs"]["max_value"] = 5  # the published rows with 6 late days now fail
    suites(stricter)
    assert failed(p, GOOD) == [("expect_column_values_to_be_between", sum(1 for _, d in GOOD if d > 5))]


def test_a_publication_the_gate_did_not_pass_is_not_trusted(tmp_path, suites):
    p = Paths(tmp_path)
    bad = [*GOOD[:3], ("k003", -1), *GOOD[4:]]
    build(p, bad)
    publish(p, run_id="ungated")  # published without a gate: its rows prove nothing
    assert failed(p, bad) == [("expect_column_values_to_be_between", 1)]


def test_a_table_whose_columns_changed_is_validated_whole(tmp_path, suites):
    p = Paths(tmp_path)
    gate_and_publish(p, GOOD)
    build(p, GOOD)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("alter table marts.facts alter late_days type bigint")
    (result,) = run_mart_gate(p, run_id="r2", docs=False)
    assert (result.rows, result.table_rows) == (200, None)


WIDE = {
    **SUITE,
    "expectations": [
        {
            "type": "expect_table_columns_to_match_ordered_list",
            "kwargs": {"column_list": ["fact_key", "late_days", "unit_name"]},
        },
        *SUITE["expectations"][1:],
    ],
}


def build_wide(p: Paths, rows: list[tuple]) -> None:
    p.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.facts (fact_key varchar, late_days integer, unit_name varchar)")
        con.executemany("insert into marts.facts values (?, ?, ?)", rows)


WIDE_ROWS = [(k, d, "Xã A") for k, d in GOOD]


def test_a_change_in_a_column_no_expectation_reads_validates_no_row(tmp_path, suites):
    p = Paths(tmp_path)
    suites(WIDE)
    build_wide(p, WIDE_ROWS)
    run_mart_gate(p, run_id="r1", docs=False)
    publish(p, run_id="r1")
    renamed = [(k, d, "Phường A" if i < 50 else u) for i, (k, d, u) in enumerate(WIDE_ROWS)]
    renamed[120] = ("k120", 3, "Xã A")  # late_days 1 → 3: read by the range rule
    build_wide(p, renamed)
    (result,) = run_mart_gate(p, run_id="r2", docs=False)
    assert (result.rows, result.table_rows) == (1, 200)


def test_a_column_named_in_a_row_condition_is_compared(tmp_path, suites):
    p = Paths(tmp_path)
    conditional = copy.deepcopy(WIDE)
    # At most 3 days late in the communes of "Xã B" only; every published row is in "Xã A".
    conditional["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {
                "column": "late_days",
                "max_value": 3,
                "row_condition": 'unit_name=="Xã B"',
                "condition_parser": "pandas",
            },
        }
    )
    suites(conditional)
    build_wide(p, WIDE_ROWS)
    run_mart_gate(p, run_id="r1", docs=False)
    publish(p, run_id="r1")
    moved = list(WIDE_ROWS)
    moved[6] = ("k006", 6, "Xã B")  # late_days unchanged; now under the condition, and over it
    build_wide(p, moved)
    with pytest.raises(QualityGateError, match=r"suite marts\.facts"):
        run_mart_gate(p, run_id="r2", docs=False)
    failures = [r for r in ops.read_records(p, "quality_results") if r["run_id"] == "r2" and not r["success"]]
    assert [(f["expectation"], f["unexpected_count"]) for f in failures] == [("expect_column_values_to_be_between", 1)]


def test_the_columns_a_suite_reads(tmp_path):
    criteria = load_suite(EXPECTATIONS_DIR / "marts" / "criteria_scores.json")
    table = [
        "period_grain", "period_start", "period_end", "unit_code", "unit_name", "unit_level", "criterion_code",
        "criterion_group", "criterion_name_vi", "criterion_name_en", "numerator", "denominator", "rate", "points",
        "max_points", "target", "rule_version", "is_period_closed", "as_of",
    ]  # fmt: skip
    assert columns_read(criteria, table) == [
        "period_grain", "period_start", "unit_code", "unit_level", "criterion_code", "numerator", "denominator",
        "rate", "points", "max_points", "rule_version", "as_of",
    ]  # fmt: skip
    assert columns_read(SUITE, ["fact_key", "late_days", "unit_name"]) == ["fact_key", "late_days"]


def build_view(p: Paths, rows: list[tuple], as_of: str) -> None:
    """The facts as the marts file holds them: stored rows, one publication row, and the view over both
    that BI reads (``as_of`` on every row, one value per build)."""
    p.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(p.marts_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists mart_rows")
        con.execute("create or replace table mart_rows.facts (fact_key varchar, late_days integer)")
        con.executemany("insert into mart_rows.facts values (?, ?)", rows)
        con.execute(f"create or replace table marts.publication as select timestamp '{as_of}' as as_of")
        con.execute(
            "create or replace view marts.facts as select r.fact_key, r.late_days, p.as_of "
            "from mart_rows.facts as r cross join marts.publication as p"
        )


VIEW_SUITE = {
    **SUITE,
    "expectations": [
        {
            "type": "expect_table_columns_to_match_ordered_list",
            "kwargs": {"column_list": ["fact_key", "late_days", "as_of"]},
        },
        *SUITE["expectations"][1:],
    ],
}


def test_a_view_whose_rows_carry_the_build_instant_is_compared_on_what_the_suite_reads(tmp_path, suites):
    p = Paths(tmp_path)
    suites(VIEW_SUITE)
    build_view(p, GOOD, "2026-11-20 17:00:00")
    run_mart_gate(p, run_id="r1", docs=False)
    publish(p, run_id="r1")
    changed = [*GOOD[:7], ("k007", 5), *GOOD[8:]]
    build_view(p, changed, "2026-11-21 17:00:00")  # as_of moved: every row of the view differs
    (result,) = run_mart_gate(p, run_id="r2", docs=False)
    assert (result.rows, result.table_rows) == (1, 200)


def _reading_as_of(expectation: dict) -> dict:
    suite = copy.deepcopy(VIEW_SUITE)
    suite["expectations"].append(expectation)
    return suite


AS_OF_NOT_NULL = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "as_of"}}
# as_of read by value: a row's verdict depends on it (late_days must be 0 before 2026-11-21).
AS_OF_BY_VALUE = {
    "type": "expect_column_values_to_be_between",
    "kwargs": {
        "column": "late_days",
        "max_value": 0,
        "row_condition": "as_of < '2026-11-21'",
        "condition_parser": "pandas",
    },
}


def test_a_suite_checking_only_that_the_build_instant_is_there_compares_its_nullness(tmp_path, suites):
    """as_of moved on every row, but the suite asks only that it is not null: the one changed row is
    validated; the build instant gone from every row is caught on every row."""
    p = Paths(tmp_path)
    suites(_reading_as_of(AS_OF_NOT_NULL))
    build_view(p, GOOD, "2026-11-20 17:00:00")
    run_mart_gate(p, run_id="r1", docs=False)
    publish(p, run_id="r1")
    changed = [*GOOD[:7], ("k007", 5), *GOOD[8:]]
    build_view(p, changed, "2026-11-21 17:00:00")
    (result,) = run_mart_gate(p, run_id="r2", docs=False)
    assert (result.rows, result.table_rows) == (1, 200)
    build_view(p, changed, "2026-11-22 17:00:00")
    with duckdb.connect(str(p.marts_db)) as con:
        con.execute("update marts.publication set as_of = null")
    with pytest.raises(QualityGateError, match=r"suite marts\.facts"):
        run_mart_gate(p, run_id="r3", docs=False)
    (record,) = [r for r in ops.read_records(p, "quality_results") if r["run_id"] == "r3" and not r["success"]]
    assert (record["expectation"], record["column"], record["unexpected_count"]) == (
        "expect_column_values_to_not_be_null",
        "as_of",
        200,
    )


def test_a_suite_reading_the_build_instant_by_value_validates_every_row_of_the_view(tmp_path, suites):
    p = Paths(tmp_path)
    suites(_reading_as_of(AS_OF_BY_VALUE))
    rows = [(k, 0) for k, _ in GOOD]
    build_view(p, rows, "2026-11-20 17:00:00")
    run_mart_gate(p, run_id="r1", docs=False)
    publish(p, run_id="r1")
    build_view(p, rows, "2026-11-21 17:00:00")
    (result,) = run_mart_gate(p, run_id="r2", docs=False)
    assert (result.rows, result.table_rows) == (200, 200)


def test_the_columns_a_suite_checks_only_for_nulls():
    criteria = load_suite(EXPECTATIONS_DIR / "marts" / "criteria_scores.json")
    compared = [
        "period_grain", "period_start", "unit_code", "unit_level", "criterion_code", "numerator", "denominator",
        "rate", "points", "max_points", "rule_version", "as_of",
    ]  # fmt: skip
    # rate is checked for nulls too, but by value elsewhere; the key's columns are compared by value.
    assert columns_read_for_nullness(criteria, compared) == ["rule_version", "as_of"]
    assert columns_read_for_nullness(_reading_as_of(AS_OF_NOT_NULL), ["fact_key", "late_days", "as_of"]) == ["as_of"]
    assert columns_read_for_nullness(_reading_as_of(AS_OF_BY_VALUE), ["fact_key", "late_days", "as_of"]) == []
    with_condition = _reading_as_of(
        {
            **AS_OF_NOT_NULL,
            "kwargs": {"column": "as_of", "row_condition": "late_days > 0", "condition_parser": "pandas"},
        }
    )
    assert columns_read_for_nullness(with_condition, ["fact_key", "late_days", "as_of"]) == ["as_of"]


def test_a_suite_query_names_the_marts_and_the_build_beside_them(tmp_path, monkeypatch):
    """The marts in their own file, staging in the build file: a suite's query reads both by schema."""
    p = Paths(tmp_path)
    build_view(p, GOOD, "2026-11-20 17:00:00")
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("create schema staging")
        con.execute(
            "create table staging.stg_facts as select 'k' || lpad(range::varchar, 3, '0') as fact_key from range(203)"
        )
    folder = tmp_path / "suites"
    folder.mkdir()
    (folder / "missing.json").write_text(
        json.dumps(
            {
                "name": "marts.facts.present",
                "meta": {"query": "select fact_key from staging.stg_facts anti join marts.facts using (fact_key)"},
                "expectations": [{"type": "expect_table_row_count_to_equal", "kwargs": {"value": 0}}],
            }
        )
    )
    monkeypatch.setattr(mart_gate, "mart_suites", lambda: sorted(folder.glob("*.json")))
    with pytest.raises(QualityGateError, match=r"expect_table_row_count_to_equal.*observed 3"):
        run_mart_gate(p, run_id="r1", docs=False)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda s: s["expectations"][3]["kwargs"].update(mostly=0.9), "a share of the table"),
        (lambda s: s["expectations"].append({"type": "expect_table_row_count_to_be_between", "kwargs": {}}), "size"),
        (lambda s: s["meta"]["incremental"].update(key=["late_days"]), "uniqueness does not cover the key"),
        (
            lambda s: s["expectations"][2].update(
                type="expect_compound_columns_to_be_unique", kwargs={"column_list": ["fact_key", "late_days"]}
            ),
            "the key itself is not unique, so a build row may have several published rows",
        ),
        (lambda s: s["meta"]["incremental"].update(key=[]), "a key is needed to match changed rows"),
        (lambda s: s["meta"].pop("incremental"), "not opted in"),
    ],
)
def test_only_suites_of_row_level_rules_may_skip_unchanged_rows(change, why):
    suite = copy.deepcopy(SUITE)
    assert incremental_key(suite) == ["fact_key"]
    change(suite)
    assert incremental_key(suite) is None, why


def test_the_opted_in_mart_suites_qualify():
    """An expectation added to them that needs the whole table would silently end the shortcut."""
    opted = {p.stem: load_suite(p) for p in (EXPECTATIONS_DIR / "marts").glob("*.json")}
    opted = {name: s for name, s in opted.items() if "incremental" in s["meta"]}
    criteria_key = ["period_grain", "period_start", "unit_code", "criterion_code"]
    assert {name: incremental_key(s) for name, s in opted.items()} == {
        "criteria_scores": criteria_key,
        "criteria_scores_restated": criteria_key,
        "scorecard_766": ["period_grain", "period_start", "unit_code"],
        "par_scorecard": ["year", "unit_code"],
        "dossier_facts": ["dossier_key"],
        "dossier_violations": ["dossier_key", "violation_code"],
        "overdue_dossiers": ["dossier_key"],
        "due_soon_dossiers": ["dossier_key"],
        "expired_procedures_listed": ["unit_code", "procedure_code"],
        "year_end_forecast": ["year", "unit_code", "criterion_code"],
    }


def _reordered(value):
    """The same JSON with every object's keys in reverse order (as another editor might save it)."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def test_fingerprints_follow_what_a_suite_checks_not_how_its_file_is_written(tmp_path: Path):
    base = suite_fingerprint(SUITE)
    # How the file is written does not matter: key order, indentation, the suite's name.
    compact, indented = tmp_path / "a.json", tmp_path / "b.json"
    compact.write_text(json.dumps(SUITE, separators=(",", ":")))
    indented.write_text(json.dumps(_reordered(SUITE), indent=4))
    assert json.dumps(_reordered(SUITE)) != json.dumps(SUITE)
    assert suite_fingerprint(load_suite(compact)) == base
    assert suite_fingerprint(load_suite(indented)) == base
    assert suite_fingerprint({**SUITE, "name": "marts.facts_renamed"}) == base


def _changed(edit) -> dict:
    suite = copy.deepcopy(SUITE)
    edit(suite)
    return suite


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s["expectations"][1]["kwargs"].update(column="late_days"),
        lambda s: s["expectations"][3]["kwargs"].update(min_value=1),
        lambda s: s["expectations"][3].update(type="expect_column_values_to_not_be_null"),
        lambda s: s["expectations"][3].setdefault("meta", {}).update(severity="warning"),
        lambda s: s["expectations"].append({"type": "expect_table_row_count_to_be_between", "kwargs": {}}),
        lambda s: s["expectations"].pop(),
        lambda s: s["meta"]["incremental"].update(key=["late_days"]),
    ],
    ids=["column", "bound", "type", "severity", "added", "removed", "incremental key"],
)
def test_any_change_to_what_a_suite_checks_changes_its_fingerprint(edit):
    assert suite_fingerprint(_changed(edit)) != suite_fingerprint(SUITE)
