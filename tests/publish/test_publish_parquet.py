"""The Parquet exports belong to their publication: written per publication, switched with the DuckDB
file, switched back by a rollback, and never a mix of two publications as BI sees them."""

from __future__ import annotations

import os

import duckdb

from parmetrics.config import Paths
from parmetrics.publish import publish, rollback


def make_build(p: Paths, overdue: int, scores: int) -> None:
    """Two marts whose every row carries the build's ``tag``, so a mix of two publications shows."""
    p.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(p.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.overdue_dossiers as "
            "select 'HS-' || range as dossier_code, ? as tag from range(?)",
            [f"{overdue}/{scores}", overdue],
        )
        con.execute(
            "create or replace table marts.criteria_scores as select range as id, ? as tag from range(?)",
            [f"{overdue}/{scores}", scores],
        )


def parquet_as_bi_sees_it(p: Paths) -> dict[str, list[tuple]]:
    """Every file under ``published/parquet/``, read through the path BI uses."""
    folder = p.published / "parquet"
    with duckdb.connect() as con:
        return {
            f.name: sorted(con.execute(f"select * from read_parquet('{f}')").fetchall())
            for f in sorted(folder.iterdir())
        }


def test_rollback_restores_the_parquet_set_row_for_row(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 271, 40)
    publish(p)
    first = parquet_as_bi_sees_it(p)
    assert sorted(first) == ["criteria_scores.parquet", "overdue_dossiers.parquet"]
    assert len(first["overdue_dossiers.parquet"]) == 271
    make_build(p, 274, 41)
    publish(p)
    assert len(parquet_as_bi_sees_it(p)["overdue_dossiers.parquet"]) == 274

    rollback(p)
    restored = parquet_as_bi_sees_it(p)
    assert restored == first  # row for row, 271 overdue dossiers again
    assert {row[1] for rows in restored.values() for row in rows} == {"271/40"}
    # The rolled-back publication's set is gone with its version file.
    sets = sorted(os.listdir(p.published / "parquet_versions"))
    versions = sorted(v.name for v in (p.published / "versions").iterdir())
    assert [f"par_metrics-{s}.duckdb" for s in sets] == versions and len(sets) == 1


def test_rollback_to_a_publication_from_before_per_publication_sets_exports_its_set(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 5, 7)
    publish(p)
    # As the layout was: a real folder of files, no per-publication sets.
    import shutil

    (p.published / "parquet").unlink()
    shutil.copytree(next((p.published / "parquet_versions").iterdir()), p.published / "parquet")
    shutil.rmtree(p.published / "parquet_versions")
    make_build(p, 9, 8)
    publish(p)
    assert (p.published / "parquet").is_symlink()
    rollback(p)
    got = parquet_as_bi_sees_it(p)
    assert (len(got["overdue_dossiers.parquet"]), len(got["criteria_scores.parquet"])) == (5, 7)


def test_debris_of_a_killed_export_is_removed_by_the_next_publish(tmp_path):
    p = Paths(tmp_path)
    make_build(p, 3, 3)
    publish(p)
    sets = p.published / "parquet_versions"
    # A publisher killed during its export leaves a hidden half set; one killed between its export and
    # its swap leaves a whole set that was never published.
    (sets / ".20990101T000000000000Z.tmp-0123abcd").mkdir()
    (sets / ".20990101T000000000000Z.tmp-0123abcd" / "criteria_scores.parquet").write_bytes(b"PAR1 half")
    (sets / "20990101T000000000000Z").mkdir()
    (sets / "20990101T000000000000Z" / "criteria_scores.parquet").write_bytes(b"PAR1 never published")
    (p.published / ".parquet.link-0123abcd").symlink_to("parquet_versions/20990101T000000000000Z")
    make_build(p, 4, 4)
    publish(p)
    leftovers = [
        str(f.relative_to(p.published)) for f in p.published.rglob("*") if ".tmp" in f.name or "2099" in str(f)
    ]
    assert leftovers == [] and not list(p.published.glob(".parquet.link-*"))
    assert len(parquet_as_bi_sees_it(p)["criteria_scores.parquet"]) == 4


def test_orphans_of_the_old_layout_are_removed(tmp_path):
    p = Paths(tmp_path)
    legacy = p.published / "parquet"
    legacy.mkdir(parents=True)
    (legacy / "overdue_dossiers.parquet").write_bytes(b"old")
    (legacy / ".overdue_dossiers.parquet.5f0c2e9d4b3a4e1f9a7c6b5d4e3f2a1b.tmp").write_bytes(b"killed")
    make_build(p, 2, 2)
    publish(p)
    assert legacy.is_symlink()
    assert sorted(parquet_as_bi_sees_it(p)) == ["criteria_scores.parquet", "overdue_dossiers.parquet"]
    assert not [f for f in p.published.rglob("*.tmp")]
