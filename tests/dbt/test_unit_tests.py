"""dbt's unit tests of the criteria logic pass, and a wrong model fails them.

The unit tests live in the YAML beside the models they test (``unit_tests:``): the classification at T
and period membership (int_dossier_timeliness), the finish time, supplement pause and due time
(int_dossier_lifecycle), the scoring methods, zero denominators and the province roll-up
(criteria_scores), the groups, covered maximum and ranking (scorecard_766) — inputs and expected rows
typed out from METRICS.md. Pipeline builds skip them (they test logic on fixtures, not data;
``dbt_runner.dbt_env``), so this is where they run. dbt reads the column types of a tested model's
inputs from the build file, so they run against a copy of the empty-landing build.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dbt_support import DBT_PROJECT, Warehouse, dbt_invoke

UNIT_TESTS = {
    "int_dossier_lifecycle.finished_at_precedence_supplement_pause_and_due_time",
    "int_dossier_timeliness.classification_at_t_and_period_membership",
    "criteria_scores.scoring_methods_zero_denominators_and_the_province_roll_up",
    "scorecard_766.groups_total_covered_maximum_and_rank_among_units_in_force",
}

# One wrong rule per tested model: (file, right text, wrong text, the unit test that must fail).
MUTATIONS = [
    (
        "macros/classify_dossiers.sql",
        "when cast({{ d }}.effective_finish as date) < cast({{ d }}.due_at as date) then 'early'",
        "when cast({{ d }}.effective_finish as date) <= cast({{ d }}.due_at as date) then 'early'",
        "int_dossier_timeliness.classification_at_t_and_period_membership",
    ),
    (
        "models/intermediate/int_dossier_lifecycle.sql",
        "events.first_processed_event_at,\n                        dossiers.returned_at,",
        "dossiers.returned_at,\n                        events.first_processed_event_at,",
        "int_dossier_lifecycle.finished_at_precedence_supplement_pause_and_due_time",
    ),
    (
        "macros/score_points.sql",
        "lambda band: band[1] <= {{ rate }})[1][2]",
        "lambda band: band[1] <= {{ rate }})[-1][2]",
        "criteria_scores.scoring_methods_zero_denominators_and_the_province_roll_up",
    ),
    (
        "models/marts/scorecard_766.sql",
        "coalesce(sum(max_points) filter (where points is not null), 0) as covered_max_points",
        "coalesce(sum(max_points), 0) as covered_max_points",
        "scorecard_766.groups_total_covered_maximum_and_rank_among_units_in_force",
    ),
]


def _copy_of_build(warehouse: Warehouse, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(warehouse.path.parents[1], data)
    return data


def _unit_test_statuses(data: Path, work: Path, project: Path = DBT_PROJECT) -> dict[str, str]:
    dbt_invoke(data, work, "test", "--select", "test_type:unit", project=project, unit_tests=True, check=False)
    results = json.loads((work / "dbt_target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".", 2)[2]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}


def test_the_unit_tests_of_the_criteria_logic_pass(empty_warehouse: Warehouse, tmp_path: Path) -> None:
    data = _copy_of_build(empty_warehouse, tmp_path)
    assert _unit_test_statuses(data, tmp_path) == dict.fromkeys(UNIT_TESTS, "pass")


def test_a_wrong_rule_in_each_tested_model_fails_its_unit_test(empty_warehouse: Warehouse, tmp_path: Path) -> None:
    data = _copy_of_build(empty_warehouse, tmp_path)
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    for relative, right, wrong, _ in MUTATIONS:
        path = project / relative
        text = path.read_text()
        assert text.count(right) == 1, (relative, right)
        path.write_text(text.replace(right, wrong))
    assert _unit_test_statuses(data, tmp_path, project) == {name: "fail" for *_, name in MUTATIONS}
