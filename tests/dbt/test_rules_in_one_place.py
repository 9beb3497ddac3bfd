"""Each mart rule is checked in one place (dbt_project/README.md, "Which rule is checked where").

The contents of a published table — keys, domains, ranges, a row's values against each other — are its
Great Expectations suite's (the quality gate after dbt); relations between tables are dbt data tests. So
no mart carries a dbt data test of its own, every mart's key is in its suite, and the rules that moved
from dbt to the suites (a rate null exactly when its denominator is 0, every rate >= 0, the key of
dossier_violations) reject what they should there.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from dbt_support import DBT_PROJECT

from parmetrics.config import EXPECTATIONS_DIR
from parmetrics.quality.runner import validate_frame

MARTS = DBT_PROJECT / "models" / "marts"


def _suite(name: str) -> dict:
    return json.loads((EXPECTATIONS_DIR / "marts" / f"{name}.json").read_text())


def _marts() -> list[dict]:
    return [m for p in sorted(MARTS.glob("[!_]*.yml")) for m in yaml.safe_load(p.read_text())["models"]]


def test_no_mart_carries_a_dbt_data_test_and_each_has_its_key_in_its_suite() -> None:
    marts = _marts()
    assert len(marts) == 10
    for model in marts:
        assert "data_tests" not in model and "tests" not in model, model["name"]
        for column in model.get("columns", []):
            assert "data_tests" not in column and "tests" not in column, (model["name"], column["name"])
        kinds = {e["type"] for e in _suite(model["name"])["expectations"]}
        assert kinds & {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}, model["name"]


def test_the_province_roll_up_is_checked_by_dbt_only() -> None:
    assert not (EXPECTATIONS_DIR / "marts" / "criteria_scores.province_rollup.json").exists()
    assert (DBT_PROJECT / "tests" / "criteria_scores_province_is_sum_of_units.sql").exists()


def _criteria_row(**values: object) -> dict:
    row = {
        "period_grain": "month",
        "period_start": pd.Timestamp("2024-03-01"),
        "period_end": pd.Timestamp("2024-03-31"),
        "unit_code": "S01",
        "unit_name": "Sở Tư pháp",
        "unit_level": "department",
        "criterion_code": "766.2.1",
        "criterion_group": "766.2",
        "criterion_name_vi": "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn",
        "criterion_name_en": "Dossiers resolved, or still running, within the deadline",
        "numerator": 15.0,
        "denominator": 20.0,
        "rate": 0.75,
        "points": 15.0,
        "max_points": 20.0,
        "target": 1.0,
        "rule_version": "2022.1",
        "is_period_closed": True,
        "as_of": pd.Timestamp("2024-04-10 12:00"),
    }
    return row | values


def _failures(frame: pd.DataFrame, suite: str) -> list[tuple[str, str | None, int | None]]:
    result = validate_frame(frame, _suite(suite))
    return sorted((f.expectation, f.column, f.unexpected_count) for f in result.failures)


def test_the_criteria_suite_passes_good_rows() -> None:
    rows = [
        _criteria_row(),
        _criteria_row(unit_code="S02", numerator=0.0, denominator=0.0, rate=None, points=None),
        # An amount ratio may exceed 1.
        _criteria_row(criterion_code="PAR.8.new_enterprises", numerator=130.0, denominator=100.0, rate=1.3),
    ]
    assert _failures(pd.DataFrame(rows), "criteria_scores") == []


@pytest.mark.parametrize(
    ("row", "failed"),
    [
        # A denominator of 0 with a rate, and a rate missing beside a denominator.
        (dict(numerator=0.0, denominator=0.0, rate=0.0), ("expect_column_values_to_be_null", "rate", 1)),
        (dict(rate=None, points=None), ("expect_column_values_to_not_be_null", "rate", 1)),
        # Below 0 is wrong for the amount ratios too, which may exceed 1.
        (
            dict(criterion_code="PAR.8.new_enterprises", numerator=-10.0, denominator=100.0, rate=-0.1),
            ("expect_column_values_to_be_between", "rate", 1),
        ),
    ],
)
def test_the_criteria_suite_rejects_a_rate_that_disagrees_with_its_denominator_or_is_negative(
    row: dict, failed: tuple
) -> None:
    frame = pd.DataFrame([_criteria_row(unit_code="S09"), _criteria_row(**row)])
    failures = _failures(frame, "criteria_scores")
    assert failed in failures
    # The negative amount count also fails numerator >= 0; nothing else fails.
    assert {f[:2] for f in failures} - {failed[:2], ("expect_column_values_to_be_between", "numerator")} == set()


def test_the_violations_suite_rejects_a_dossier_twice_for_one_rule() -> None:
    def row(key: str, code: str) -> dict:
        return {
            "dossier_key": key,
            "unit_code": "S01",
            "unit_name": "Sở Tư pháp",
            "procedure_code": "1.0001",
            "violation_code": code,
            "received_at": pd.Timestamp("2024-03-04 08:00"),
            "due_at": pd.Timestamp("2024-03-15 17:00"),
            "finished_at": pd.Timestamp("2024-03-20 09:00"),
            "timeliness": "late",
            "as_of": pd.Timestamp("2024-04-10 12:00"),
            "dossier_code": "D-" + key,
        }

    good = [row("a", "late_without_timely_apology"), row("a", "backdated_completion"), row("b", "backdated_completion")]
    assert _failures(pd.DataFrame(good), "dossier_violations") == []
    twice = [*good, row("a", "backdated_completion")]
    assert _failures(pd.DataFrame(twice), "dossier_violations") == [("expect_compound_columns_to_be_unique", None, 2)]
