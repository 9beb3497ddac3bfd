"""The published marts match MARTS.md: the same tables, and for each the columns MARTS.md lists, in order
(criteria_scores exactly; the others may add columns where MARTS.md says "plus" or leaves the list open).

MARTS.md is parsed from the shared design folder beside the repository (../shared/design/MARTS.md); when
it is not there (a standalone checkout) the test is skipped rather than compared with a stale copy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dbt_support import REPO_ROOT, Warehouse

MARTS_MD = Path(REPO_ROOT).parent / "shared" / "design" / "MARTS.md"
# Tables whose MARTS.md column list is given in full (exact, ordered match).
EXACT = {"criteria_scores", "scorecard_766", "year_end_forecast"}
# Marts added to contract v1 (additive changes) that MARTS.md may not list yet: each extends a listed
# mart — its columns, in order, then its own.
ADDITIVE = {
    "criteria_scores_restated": (
        "criteria_scores",
        ["is_restated", "restated_from_unit_codes", "restated_from_unit_count"],
    ),
}


def _contract() -> dict[str, list[str]]:
    text = MARTS_MD.read_text(encoding="utf-8")
    tables: dict[str, list[str]] = {}
    for section in re.split(r"\n## ", text)[1:]:
        heading, _, body = section.partition("\n")
        names = re.findall(r"`marts\.(\w+)`", heading)
        if not names:
            continue
        if "|" in body:  # a table of columns: first cell of each row, split on commas
            columns = []
            for line in body.splitlines():
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if line.startswith("|") and cells[0] not in ("column", "") and not set(cells[0]) <= {"-"}:
                    columns += [c.strip() for c in cells[0].split(",")]
        else:  # an inline list: the backticked words before any "plus"
            # Parenthesised notes ("timeliness (at `as_of`)") are not columns.
            listed = re.sub(r"\([^)]*\)", "", body.split("plus")[0])
            columns = [c for c in re.findall(r"`(\w+)`", listed) if c not in names]
            if not columns:
                columns = [c.strip() for c in re.findall(r"`([^`]+)`", listed)[0].split(",")]
                columns = [re.sub(r"\s*\(.*$", "", c).strip() for c in columns]
        for name in names:
            tables[name] = columns
    return tables


@pytest.fixture(scope="module")
def contract() -> dict[str, list[str]]:
    if not MARTS_MD.exists():
        pytest.skip(f"{MARTS_MD} not found")
    tables = _contract()
    for table, (base, extra) in ADDITIVE.items():
        tables.setdefault(table, tables[base] + extra)
    return tables


def test_the_published_tables_are_those_of_marts_md(empty_warehouse: Warehouse, contract) -> None:
    built = {
        r[0]
        for r in empty_warehouse.rows("select table_name from information_schema.tables where table_schema = 'marts'")
    }
    assert built == set(contract)


def test_columns_follow_marts_md(empty_warehouse: Warehouse, contract) -> None:
    for table, expected in contract.items():
        columns = [
            r[0]
            for r in empty_warehouse.rows(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
                "order by ordinal_position",
                [table],
            )
        ]
        if table in EXACT or table in ADDITIVE:
            assert columns == expected, table
        elif "dossier_key" in expected and "procedure_code" in expected and "channel" not in expected:
            # The actionable lists: "each row carries unit_code, unit_name and dossier_key or procedure_code".
            assert {"unit_code", "unit_name"} <= set(columns), table
            assert {"dossier_key", "procedure_code"} & set(columns), table
        else:
            missing = [c for c in expected if c not in columns]
            assert not missing, (table, missing)
