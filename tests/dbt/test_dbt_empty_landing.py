"""A build before anything has landed (or with only a crashed writer's debris) succeeds, empty."""

from __future__ import annotations

import pytest
from dbt_support import Warehouse


def test_only_debris_was_landed(empty_warehouse: Warehouse) -> None:
    landing = empty_warehouse.path.parents[1] / "landing" / "dossier_api" / "dossiers"
    assert [p.name[:9] for p in landing.iterdir()] == [".batch=x."]


@pytest.mark.parametrize(
    "relation",
    [
        "staging.stg_dossier_api__dossiers",
        "staging.stg_dossier_api__dossier_events",
        "staging.stg_reference__units",
        "intermediate.int_periods",
        "intermediate.int_dossier_timeliness",
        "marts.criteria_scores",
    ],
)
def test_relations_exist_and_are_empty(empty_warehouse: Warehouse, relation: str) -> None:
    assert empty_warehouse.scalar(f"select count(*) from {relation}") == 0


def test_as_of_is_null(empty_warehouse: Warehouse) -> None:
    assert empty_warehouse.rows("select as_of from intermediate.int_as_of") == [(None,)]


def test_criteria_scores_has_the_contract_columns(empty_warehouse: Warehouse) -> None:
    columns = empty_warehouse.rows(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'criteria_scores' order by ordinal_position"
    )
    assert columns == [
        ("period_grain", "VARCHAR"),
        ("period_start", "DATE"),
        ("period_end", "DATE"),
        ("unit_code", "VARCHAR"),
        ("unit_name", "VARCHAR"),
        ("unit_level", "VARCHAR"),
        ("criterion_code", "VARCHAR"),
        ("criterion_group", "VARCHAR"),
        ("criterion_name_vi", "VARCHAR"),
        ("criterion_name_en", "VARCHAR"),
        ("numerator", "DOUBLE"),
        ("denominator", "DOUBLE"),
        ("rate", "DOUBLE"),
        ("points", "DOUBLE"),
        ("max_points", "DOUBLE"),
        ("target", "DOUBLE"),
        ("rule_version", "VARCHAR"),
        ("is_period_closed", "BOOLEAN"),
        ("as_of", "TIMESTAMP"),
    ]
