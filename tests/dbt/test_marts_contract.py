"""The published marts match the marts contract kept in the repository, ``docs/contracts/marts.yml``
(MARTS.md as data): the same tables, and for each its columns exactly, in order and type. The file itself
obeys the contract's rule — changes are additive only, so within a table the revision that added a column
(``since``) never decreases: a new column is appended, never inserted.

A build over an empty landing has every mart with its final shape (dbt model contracts are enforced), so
that is what is compared.
"""

from __future__ import annotations

import yaml
from dbt_support import REPO_ROOT, Warehouse

CONTRACT = REPO_ROOT / "docs" / "contracts" / "marts.yml"


def contract() -> dict:
    return yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))


def built_columns(warehouse: Warehouse, table: str) -> list[tuple[str, str]]:
    return [
        (name, data_type.lower())
        for name, data_type in warehouse.rows(
            "select column_name, data_type from information_schema.columns where table_schema = 'marts' "
            "and table_name = ? order by ordinal_position",
            [table],
        )
    ]


def test_the_published_tables_are_those_of_the_contract(empty_warehouse: Warehouse) -> None:
    built = {
        r[0]
        for r in empty_warehouse.rows("select table_name from information_schema.tables where table_schema = 'marts'")
    }
    assert built == set(contract()["marts"])


def test_columns_follow_the_contract_in_order_and_type(empty_warehouse: Warehouse) -> None:
    differing = {}
    for table, spec in contract()["marts"].items():
        expected = [(c["name"], c["type"]) for c in spec["columns"]]
        got = built_columns(empty_warehouse, table)
        if got != expected:
            differing[table] = {"built": got, "contract": expected}
    assert not differing


def test_the_contract_only_ever_grew_at_the_end() -> None:
    doc = contract()
    for table, spec in doc["marts"].items():
        table_since = spec.get("since", 1)
        revisions = [c.get("since", 1) for c in spec["columns"]]
        assert revisions == sorted(revisions), f"{table}: a column was inserted before an older one"
        assert all(table_since <= r <= doc["revision"] for r in revisions), table
        names = [c["name"] for c in spec["columns"]]
        assert len(names) == len(set(names)), table
        assert set(spec["key"]) <= set(names), table


def test_dossier_lists_carry_the_dossier_number_and_no_personal_field() -> None:
    personal = {"applicant_name", "id_number", "phone", "email", "address", "owner_name"}
    for table, spec in contract()["marts"].items():
        names = {c["name"] for c in spec["columns"]}
        assert not names & personal, table
        if "dossier_key" in names:
            assert "dossier_code" in names, table
