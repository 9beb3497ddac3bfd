"""What a mart suite is: where the suites are, their fingerprint, and whether one may validate only
the rows that changed since the current publication (see ``quality/incremental.py``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from parmetrics.config import EXPECTATIONS_DIR


def suite_fingerprint(suite_def: dict[str, Any]) -> str:
    """What a suite checks, as a hash: rows passed under one fingerprint are not trusted under another."""
    canonical = json.dumps(
        {"expectations": suite_def["expectations"], "meta": suite_def.get("meta", {})}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# Expectations that hold for a table when they hold for each of its rows (or, for uniqueness, for
# each group of rows sharing the incremental key): the only ones a suite may hold to be validated
# on changed rows. The table's column list is the same in every frame drawn from it.
ROW_LEVEL = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_value_lengths_to_equal",
        "expect_column_value_lengths_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
    }
)
UNIQUENESS = {"expect_column_values_to_be_unique": "column", "expect_compound_columns_to_be_unique": "column_list"}


def incremental_key(suite_def: dict[str, Any]) -> list[str] | None:
    """The key of a suite that may validate only changed rows, or None if it must see the whole table.

    A suite opts in with a non-empty ``meta.incremental.key`` and qualifies only if every expectation is row-level
    without ``mostly`` (a share of the table) and every uniqueness expectation covers the key, so that
    all rows that could duplicate a changed row share its key and are in the frame.
    """
    incremental = suite_def.get("meta", {}).get("incremental")
    if not incremental or "table" not in suite_def["meta"]:
        return None
    key = list(incremental["key"])
    if not key:
        return None
    for e in suite_def["expectations"]:
        kwargs = e.get("kwargs", {})
        if "mostly" in kwargs:
            return None
        if e["type"] in UNIQUENESS:
            columns = kwargs[UNIQUENESS[e["type"]]]
            columns = [columns] if isinstance(columns, str) else columns
            if not set(key) <= set(columns):
                return None
        elif e["type"] not in ROW_LEVEL:
            return None
    return key


def mart_suites() -> list[Path]:
    return sorted((EXPECTATIONS_DIR / "marts").glob("*.json"))
