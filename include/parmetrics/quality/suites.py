"""What a mart suite is: where the suites are, their fingerprint, whether one may validate only the rows
that changed since the current publication, and which columns its verdict on a row depends on (see
``quality/incremental.py``)."""

from __future__ import annotations

import hashlib
import json
import re
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
# Expectations on the table's shape (its column names), not on any row's values.
SHAPE = frozenset({"expect_table_columns_to_match_ordered_list", "expect_table_columns_to_match_set"})
UNIQUENESS = {"expect_column_values_to_be_unique": "column", "expect_compound_columns_to_be_unique": "column_list"}
# The keyword arguments that name the columns an expectation reads.
COLUMN_ARGUMENTS = ("column", "column_A", "column_B", "column_list")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _columns(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def incremental_key(suite_def: dict[str, Any]) -> list[str] | None:
    """The key of a suite that may validate only changed rows, or None if it must see the whole table.

    A suite opts in with a non-empty ``meta.incremental.key`` and qualifies only if every expectation is
    row-level without ``mostly`` (a share of the table), one uniqueness expectation is on exactly the
    key (so a publication that passed the suite has one row per key, and a build row is matched to the
    one published row of its key) and every other uniqueness expectation covers the key (so all rows
    that could duplicate a changed row share its key and are in the frame).
    """
    incremental = suite_def.get("meta", {}).get("incremental")
    if not incremental or "table" not in suite_def["meta"]:
        return None
    key = list(incremental["key"])
    if not key:
        return None
    key_is_unique = False
    for e in suite_def["expectations"]:
        kwargs = e.get("kwargs", {})
        if "mostly" in kwargs:
            return None
        if e["type"] in UNIQUENESS:
            columns = set(_columns(kwargs[UNIQUENESS[e["type"]]]))
            if not set(key) <= columns:
                return None
            key_is_unique = key_is_unique or columns == set(key)
        elif e["type"] not in ROW_LEVEL:
            return None
    return key if key_is_unique else None


def columns_read(suite_def: dict[str, Any], table_columns: list[str]) -> list[str]:
    """The columns of ``table_columns`` whose values a suite's verdict on a row depends on, in table order.

    A row-level expectation reads the columns its arguments name and those its ``row_condition``
    mentions (every word of the condition that is a column name: more than it needs, never fewer); an
    expectation on the table's columns reads no value. Two rows equal on these columns get the same
    verdict from every expectation of the suite.
    """
    read: set[str] = set()
    for e in suite_def["expectations"]:
        if e["type"] in SHAPE:
            continue
        kwargs = e.get("kwargs", {})
        for argument in COLUMN_ARGUMENTS:
            if argument in kwargs:
                read.update(_columns(kwargs[argument]))
        condition = kwargs.get("row_condition")
        if condition:
            read.update(word for word in _IDENTIFIER.findall(condition) if word in table_columns)
    return [c for c in table_columns if c in read]


# Expectations whose verdict on a row depends only on whether the column's value is null.
NULLNESS = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_null"})


def columns_read_for_nullness(suite_def: dict[str, Any], compared: list[str]) -> list[str]:
    """Those of ``compared`` whose value no expectation reads beyond whether it is null.

    A column named only by ``NULLNESS`` expectations and mentioned in no row condition (a condition's
    columns are compared by value): two rows equally null there get the same verdict. ``as_of`` is the case in point:
    one value per build, in every row of the criteria marts, checked only for being there; compared by
    value, every row would count as changed every night.
    """
    by_value: set[str] = set()
    for e in suite_def["expectations"]:
        if e["type"] in SHAPE:
            continue
        kwargs = e.get("kwargs", {})
        condition = kwargs.get("row_condition")
        if condition:
            by_value.update(_IDENTIFIER.findall(condition))
        if e["type"] in NULLNESS:
            continue  # its column only for being null; its condition's columns are read by value above
        for argument in COLUMN_ARGUMENTS:
            if argument in kwargs:
                by_value.update(_columns(kwargs[argument]))
    key = set((suite_def.get("meta", {}).get("incremental") or {}).get("key") or [])
    return [c for c in compared if c not in by_value and c not in key]


def mart_suites() -> list[Path]:
    return sorted((EXPECTATIONS_DIR / "marts").glob("*.json"))
