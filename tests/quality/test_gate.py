from datetime import date, datetime

import pandas as pd
import pytest

from parmetrics import ops
from parmetrics.config import EXPECTATIONS_DIR, Paths
from parmetrics.quality.errors import QualityGateError
from parmetrics.quality.runner import load_suite, record_and_raise, validate_frame

SUITE = load_suite(EXPECTATIONS_DIR / "marts" / "criteria_scores.json")


def scores(**overrides) -> pd.DataFrame:
    row = {
        "period_grain": "month",
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 10, 31),
        "unit_code": "000.00.00.H41",
        "unit_name": "UBND tỉnh Hòa Bình",
        "unit_level": "province",
        "criterion_code": "766.2.1",
        "criterion_group": "766.2",
        "criterion_name_vi": "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn",
        "criterion_name_en": "Dossiers resolved early or on time",
        "numerator": 9.0,
        "denominator": 10.0,
        "rate": 0.9,
        "points": 18.0,
        "max_points": 20.0,
        "target": 1.0,
        "rule_version": "2022.1",
        "is_period_closed": True,
        "as_of": datetime(2026, 11, 19, 23, 0),
    }
    second = {**row, "unit_code": "000.01.00.H41", "unit_level": "department"}
    second.update(overrides)
    return pd.DataFrame([row, second])


def test_good_scores_pass():
    assert validate_frame(scores(), SUITE).success


@pytest.mark.parametrize(
    ("overrides", "expectation"),
    [
        ({"rate": 1.5}, "expect_column_values_to_be_between"),
        ({"points": 25.0}, "expect_column_pair_values_a_to_be_greater_than_b"),
        ({"unit_code": "000.00.00.H41", "unit_level": "province"}, "expect_compound_columns_to_be_unique"),
        ({"period_grain": "week"}, "expect_column_values_to_be_in_set"),
    ],
)
def test_each_broken_rule_is_named(overrides, expectation, tmp_path):
    result = validate_frame(scores(**overrides), SUITE)
    assert [f.expectation for f in result.failures] == [expectation]
    with pytest.raises(QualityGateError, match=f"suite marts.criteria_scores: {expectation}"):
        record_and_raise(Paths(tmp_path), [result], run_id="r1", stage="marts")
    recorded = list(ops.read_records(Paths(tmp_path), "quality_results"))
    assert [(r["suite"], r["expectation"], r["success"]) for r in recorded] == [
        ("marts.criteria_scores", expectation, False)
    ]
    assert recorded[0]["failing_row_sample"], "an example of the failing rows is kept"


def test_amount_ratios_may_exceed_one():
    ok = scores(criterion_code="PAR.8.revenue_vs_estimate", rate=1.3, points=0.5, max_points=0.5)
    assert validate_frame(ok, SUITE).success
