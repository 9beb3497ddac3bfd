"""The incremental part of the mart gate: which suites the current publication passed, and the rows
of a mart whose verdict may differ from the one the publication got (README: *Only what changed,
where that is as strict*)."""

from __future__ import annotations

from collections.abc import Iterable

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


def table_shape(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    """(column, type) of ``<catalog>.<table>`` in order — a table or a view — or [] when it is missing."""
    schema, name = table.split(".")
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [catalog, schema, name],
    ).fetchall()


def same_shape(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """The table exists in the build and has the same columns, in order and type, in the publication."""
    build = table_shape(con, "build", table)
    return bool(build) and build == table_shape(con, "published", table)


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def changed_rows_query(table: str, key: list[str], compared: list[str], nullness: Iterable[str] = ()) -> str:
    """SQL for the rows of ``build.<table>`` whose suite verdict may differ from the publication's.

    The publication's ``table`` passed the suite, whose uniqueness expectation on ``key`` makes its
    keys unique, so each build row has at most one published row of its key. A build row is left out
    only if that row exists and is equal to it on ``compared`` (the columns the suite reads) and no
    other build row has its key: it then gets the same verdict from every row-level expectation, and
    cannot break uniqueness. Every other row is in — a new key, a changed value, a null key — and so
    is every build row sharing a key with one of them, so uniqueness is checked over all rows that
    could collide. Duplicated keys are found by the 64-bit hash of the key: a collision only adds rows.

    Only the compared columns are joined, which is what makes this cheaper than a difference of the
    whole rows (``except all``) on a wide table with millions of rows. Of the ``nullness`` columns (a
    subset of ``compared`` that the suite checks only for being null or not) only that is compared.
    """
    nullness = set(nullness)
    keys = [_quoted(k) for k in key]
    others = [_quoted(c) for c in compared if c not in key]
    projection = ", ".join([*keys, *others])
    on = " and ".join(f"b.{k} = p.{k}" for k in keys)
    differs = " or ".join(
        [
            f"p.{keys[0]} is null",
            *(
                f"(b.{c} is null) <> (p.{c} is null)" if column in nullness else f"b.{c} is distinct from p.{c}"
                for column, c in zip([c for c in compared if c not in key], others, strict=True)
            ),
        ]
    )
    key_hash = f"hash({', '.join(keys)})"
    build_key_hash = f"hash({', '.join(f'b.{k}' for k in keys)})"
    match = " and ".join(f"b.{k} is not distinct from c.{k}" for k in keys)
    return f"""
        with
        b as (select {projection} from build.{table}),
        p as (select {projection} from published.{table}),
        differing as (select {", ".join(f"b.{k}" for k in keys)} from b left join p on {on} where {differs}),
        repeated as (select {key_hash} as key_hash from b group by key_hash having count(*) > 1)
        select b.* from build.{table} as b
        where exists (select 1 from differing as c where {match})
            or {build_key_hash} in (select key_hash from repeated)
    """


def incremental_frame(
    con: duckdb.DuckDBPyConnection, table: str, key: list[str], compared: list[str], nullness: Iterable[str] = ()
) -> pd.DataFrame:
    """The rows of ``build.<table>`` that must be validated again (:func:`changed_rows_query`)."""
    return con.execute(changed_rows_query(table, key, compared, nullness)).df()
