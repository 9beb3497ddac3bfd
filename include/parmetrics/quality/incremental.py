"""The incremental part of the mart gate: which suites the current publication passed, and the rows
of a mart that differ from it (README: *Only what changed, where that is as strict*)."""

from __future__ import annotations

import duckdb
import pandas as pd


def trusted_suites(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Suite → fingerprint of every mart suite whose last outcome in the current publication was a pass.

    A publication carries ``ops.quality_results`` as of itself, so its last mart-stage record of a suite
    is the gate that let it be published. Publications from before fingerprints were recorded (or
    without the table) trust nothing.
    """
    try:
        rows = con.execute(
            """
            select suite, success, suite_fingerprint from (
                select *, row_number() over (partition by suite order by recorded_at desc, success) as latest
                from published.ops.quality_results where stage = 'marts'
            ) where latest = 1
            """
        ).fetchall()
    except duckdb.Error:
        return {}
    return {suite: fingerprint for suite, success, fingerprint in rows if success and fingerprint}


def same_shape(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """The table exists in the build and has the same columns, in order and type, in the publication."""
    schema, name = table.split(".")
    shapes = [
        con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
            [catalog, schema, name],
        ).fetchall()
        for catalog in ("build", "published")
    ]
    return bool(shapes[0]) and shapes[0] == shapes[1]


def incremental_frame(con: duckdb.DuckDBPyConnection, table: str, key: list[str]) -> pd.DataFrame:
    """The rows of ``build.<table>`` that are not in ``published.<table>`` (as a multiset, so a row
    duplicated in the build counts as changed), with every build row sharing their key.

    The published rows passed this suite when they were published; a nightly build changes few of them.
    Keys are matched with ``is not distinct from`` so a changed row with a null key is in the frame.
    """
    changed = f"select * from build.{table} except all select * from published.{table}"
    match = " and ".join(f"b.{k} is not distinct from c.{k}" for k in key)
    return con.execute(
        f"with changed as ({changed}) select b.* from build.{table} b semi join changed c on {match}"
    ).df()
