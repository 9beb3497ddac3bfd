"""The mart gate refuses an empty publication and one that lost most of its rows or units.

Hand-made build and published files; only the ``marts.publication_size`` suite runs (the real file in
``expectations/marts``), so each case shows what that rule alone decides.
"""

from __future__ import annotations

import duckdb
import pytest

from parmetrics import ops
from parmetrics.config import EXPECTATIONS_DIR, Paths
from parmetrics.quality import mart_gate
from parmetrics.quality.errors import QualityGateError
from parmetrics.quality.mart_gate import run_mart_gate

HISTORY_MARTS = ("criteria_scores", "criteria_scores_restated", "dossier_facts", "par_scorecard", "scorecard_766")


@pytest.fixture(autouse=True)
def only_the_size_suite(monkeypatch):
    monkeypatch.setattr(mart_gate, "mart_suites", lambda: [EXPECTATIONS_DIR / "marts" / "publication_size.json"])


def write_marts(path, sizes: dict[str, tuple[int, int]]) -> None:
    """Each mart with ``rows`` rows spread over ``units`` distinct unit codes (round robin)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        for table, (rows, units) in sizes.items():
            con.execute(f"create or replace table marts.{table} (unit_code varchar, n integer)")
            if rows:
                con.execute(
                    f"insert into marts.{table} select 'U' || (range % {units}), range::integer from range({rows})"
                )


def sizes(**overrides: tuple[int, int]) -> dict[str, tuple[int, int]]:
    base = {t: (10, 4) for t in HISTORY_MARTS}
    return {**base, **overrides}


def gate(p: Paths, build: dict, published: dict | None = None) -> None:
    write_marts(p.build_db, build)
    if published is not None:
        write_marts(p.published_db, published)
    run_mart_gate(p, run_id="t", docs=False)


def test_a_first_publication_with_rows_in_every_history_mart_passes(tmp_path):
    gate(Paths(tmp_path), sizes())


def test_a_first_publication_with_an_empty_criteria_mart_is_refused_naming_the_table(tmp_path):
    p = Paths(tmp_path)
    with pytest.raises(QualityGateError) as err:
        gate(p, sizes(criteria_scores=(0, 0)))
    message = str(err.value)
    assert "suite marts.publication_size" in message
    assert "expect_column_values_to_be_between(rows): 1 unexpected" in message
    assert "table_name=marts.criteria_scores previous_rows=None units=0 previous_units=None" in message
    (failure,) = [r for r in ops.read_records(p, "quality_results") if not r["success"]]
    assert failure["failing_row_sample"] == [
        {"rows": 0, "table_name": "marts.criteria_scores", "previous_rows": None, "units": 0, "previous_units": None}
    ]


def test_a_mart_missing_from_the_build_counts_as_empty(tmp_path):
    build = sizes()
    del build["scorecard_766"]
    with pytest.raises(QualityGateError, match=r"table_name=marts\.scorecard_766 previous_rows=None units=0"):
        gate(Paths(tmp_path), build)


def test_losing_more_than_half_the_rows_against_the_previous_publication_is_refused(tmp_path):
    # 4 of the previous 10 rows: 0.4 < 0.5.
    with pytest.raises(QualityGateError) as err:
        gate(Paths(tmp_path), sizes(dossier_facts=(4, 4)), sizes())
    message = str(err.value)
    assert "expect_column_values_to_be_between(rows_vs_previous): 1 unexpected" in message
    assert "table_name=marts.dossier_facts previous_rows=10 units=4 previous_units=4" in message
    assert "units_vs_previous" not in message


def test_exactly_half_the_rows_and_units_still_passes(tmp_path):
    gate(Paths(tmp_path), sizes(dossier_facts=(5, 2)), sizes())


def test_losing_most_units_with_the_rows_kept_is_refused(tmp_path):
    # Same 10 rows, but all in one unit where there were 4: 0.25.
    with pytest.raises(QualityGateError) as err:
        gate(Paths(tmp_path), sizes(par_scorecard=(10, 1)), sizes())
    message = str(err.value)
    assert "expect_column_values_to_be_between(units_vs_previous): 1 unexpected" in message
    assert "table_name=marts.par_scorecard previous_rows=10 units=1 previous_units=4" in message
    assert "(rows_vs_previous)" not in message


def test_an_empty_mart_after_a_full_one_fails_both_the_empty_and_the_collapse_rule(tmp_path):
    with pytest.raises(QualityGateError) as err:
        gate(Paths(tmp_path), sizes(criteria_scores=(0, 0)), sizes())
    message = str(err.value)
    for column in ("rows", "rows_vs_previous", "units_vs_previous"):
        assert f"expect_column_values_to_be_between({column}): 1 unexpected" in message


def test_growth_and_present_tense_lists_are_not_collapses(tmp_path):
    # The overdue list may empty out (a province that cleared its backlog): it is not a history mart.
    previous = {**sizes(), "overdue_dossiers": (274, 9)}
    gate(Paths(tmp_path), {**sizes(criteria_scores=(40, 8)), "overdue_dossiers": (0, 0)}, previous)


def test_data_docs_show_each_gate_and_keep_only_the_newest_runs(tmp_path, monkeypatch):
    """Each gate renders its own validations (not every kept run again) into a site whose index lists
    every kept run; a run past the kept number leaves the store and the site."""
    from parmetrics.quality import runner

    monkeypatch.setattr(runner, "KEEP_VALIDATION_RUNS", 2)
    p = Paths(tmp_path)
    write_marts(p.build_db, sizes())
    for run_id in ("gate-1", "gate-2", "gate-3"):
        run_mart_gate(p, run_id=run_id, docs=True)
    site = tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site"
    pages = sorted(str(page.relative_to(site / "validations")) for page in (site / "validations").rglob("*.html"))
    assert [page.split("/")[1] for page in pages] == ["gate-2", "gate-3"]
    assert all(page.startswith("marts__publication_size/") for page in pages)
    index = (site / "index.html").read_text()
    assert "gate-2" in index and "gate-3" in index and "gate-1" not in index
