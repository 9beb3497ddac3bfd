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
        "landing.dossier_api__dossiers",
        "landing.finance__dang_ky_doanh_nghiep",
        "landing.landing__batch_manifests",
        "staging.stg_landing__batches",
        "staging.stg_dossier_api__dossiers",
        "staging.stg_dossier_api__dossier_events",
        "staging.stg_reference__units",
        "staging.stg_reference__procedures",
        "staging.stg_reference__website_listings",
        "staging.stg_document_db__outgoing_documents",
        "staging.stg_document_db__incoming_documents",
        "staging.stg_document_db__work_files",
        "staging.stg_document_db__assigned_tasks",
        "staging.stg_finance__budget_revenue",
        "staging.stg_finance__public_investment",
        "staging.stg_finance__enterprise_registrations",
        "intermediate.int_dossiers",
        "intermediate.int_dossier_events",
        "intermediate.int_units",
        "intermediate.int_procedure_snapshots",
        "intermediate.int_website_listings",
        "intermediate.int_outgoing_documents",
        "intermediate.int_budget_revenue",
        "intermediate.int_landing_batches",
        "intermediate.int_periods",
        "intermediate.int_dossier_timeliness",
        "intermediate.int_criteria_counts",
        "intermediate.int_dossier_event_summary",
        "intermediate.int_dossier_period_counts",
        "marts.criteria_scores",
        "marts.criteria_scores_restated",
        "marts.scorecard_766",
        "marts.par_scorecard",
        "marts.dossier_facts",
        "marts.overdue_dossiers",
        "marts.due_soon_dossiers",
        "marts.dossier_violations",
        "marts.expired_procedures_listed",
        "marts.year_end_forecast",
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


def test_an_empty_datasets_landing_view_has_its_declared_columns_and_types(empty_warehouse: Warehouse) -> None:
    # Typed out from SOURCES.md §3 (the enterprise registrations file) and the landing view's reader columns.
    columns = empty_warehouse.rows(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'landing' and table_name = 'finance__dang_ky_doanh_nghiep' order by ordinal_position"
    )
    assert columns == [
        ("ky_bao_cao", "VARCHAR"),
        ("ma_don_vi_hanh_chinh", "VARCHAR"),
        ("so_dn_thanh_lap_moi", "BIGINT"),
        ("von_dang_ky", "DOUBLE"),
        ("so_du_an_moi", "BIGINT"),
        ("von_dau_tu_dang_ky", "DOUBLE"),
        ("_period", "VARCHAR"),
        ("_version", "INTEGER"),
        ("_source_file", "VARCHAR"),
        ("filename", "VARCHAR"),
        ("file_row_number", "BIGINT"),
    ]
