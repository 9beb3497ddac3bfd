"""The soak: a short seeded run injects every fault kind and loses nothing, and its checker sees real damage.

One soak (three fault rounds and the drain, one dbt build) is shared by the module; the checker tests
damage copies of its data directory, so they cannot pass by checking nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from parmetrics.config import Paths
from parmetrics.landing.writer import committed_batches
from parmetrics.soak import truth as t
from parmetrics.soak.faults import ALL_KINDS, POISON_MARK
from parmetrics.soak.runner import Soak, SoakSettings, passed, write_report

# Three rounds: the runner forces every kind that has not fired yet into the rounds left.
SETTINGS = SoakSettings(rounds=3, seed=20261120, dossiers=500, build_every=0)


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> tuple[Soak, dict]:
    work = tmp_path_factory.mktemp("soak") / "work"
    run = Soak(work, SETTINGS)
    report = run.run()
    return run, report


@pytest.fixture
def damaged(soak: tuple[Soak, dict], tmp_path: Path) -> Paths:
    """A private copy of the soak's data directory, to damage."""
    run, _ = soak
    target = tmp_path / "copy"
    shutil.copytree(run.work, target, ignore=shutil.ignore_patterns("sim", "gx", "archive"))
    return Paths(target)


def test_a_short_soak_injects_every_fault_kind_and_loses_nothing(soak, tmp_path):
    run, report = soak
    missing = [k for k in ALL_KINDS if not report["faults"][k]]
    assert not missing, f"fault kinds never injected: {missing} ({report['faults']})"
    assert report["totals"] == {
        "records lost": 0,
        "duplicates": 0,
        "bad publishes": 0,
        "violations": 0,
        "stage errors": 0,
    }, json.dumps(report["problems"], indent=1)
    assert passed(report)
    assert report["publications"] >= 1 and run.paths.published_db.exists()
    # The soak compared something: the whole source landed, broken records were made and kept out.
    drain = report["round_results"][-1]
    assert drain["landed"]["dossiers"] >= SETTINGS.dossiers
    assert report["poisoned_records"] >= 1 and report["bad_files_dropped"] >= 1
    written = write_report(report, tmp_path)
    assert json.loads(written.read_text())["totals"]["records lost"] == 0


def _truth(run: Soak) -> t.SourceTruth:
    return t.source_truth(run.db, run.key)


def test_the_checker_reports_a_deleted_part_file_as_lost_records(soak, damaged):
    run, _ = soak
    clean, _ = t.check_landing(damaged, _truth(run), None, run.poison)
    assert not clean.failed, clean.to_json()
    # The history batch holds most records: deleting one of its parts loses records no other batch has.
    history = committed_batches(damaged.dataset_landing("dossier_api", "dossiers"))[0]
    part = sorted(history.glob("part-*.parquet"))[0]
    part.unlink()
    findings, _ = t.check_landing(damaged, _truth(run), None, run.poison)
    assert findings.figure("records lost") > 0, findings.to_json()


def test_the_checker_reports_a_batch_landed_twice_as_duplicates(soak, damaged):
    run, _ = soak
    batch = committed_batches(damaged.dataset_landing("dossier_api", "dossier_events"))[-1]
    part = sorted(batch.glob("part-*.parquet"))[0]
    shutil.copyfile(part, batch / "part-99999.parquet")
    findings, _ = t.check_landing(damaged, _truth(run), None, run.poison)
    assert findings.figure("duplicates") > 0, findings.to_json()


def test_the_checker_reports_a_broken_record_that_landed(soak, damaged):
    run, _ = soak
    poison = next(p for p in run.poison.entries)
    batch = committed_batches(damaged.dataset_landing("dossier_api", poison.dataset))[-1]
    part = sorted(batch.glob("part-*.parquet"))[0]
    column = t.MARK_COLUMN[poison.dataset]
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace ('{poison.mark}' as {column}) from read_parquet('{part}') limit 1) "
            f"to '{batch / 'part-99998.parquet'}' (format parquet)"
        )
    findings, _ = t.check_landing(damaged, _truth(run), None, run.poison)
    assert findings.counts["poison_landed"] >= 1 and poison.mark.startswith(POISON_MARK), findings.to_json()


def test_the_checker_compares_staging_and_marts_with_the_source(soak, damaged):
    run, _ = soak
    build = damaged.build_db
    assert not t.check_build(build, _truth(run), None, run.poison).failed
    with duckdb.connect(str(build)) as con:
        # Staging models are views: swap in a table that lacks one dossier.
        con.execute(
            "create table staging.damaged as select * from staging.stg_dossier_api__dossiers "
            "where dossier_id <> (select min(dossier_id) from staging.stg_dossier_api__dossiers)"
        )
        con.execute("drop view staging.stg_dossier_api__dossiers")
        con.execute("alter table staging.damaged rename to stg_dossier_api__dossiers")
        con.execute("insert into marts.dossier_facts select * from marts.dossier_facts limit 2")
    findings = t.check_build(build, _truth(run), None, run.poison)
    assert findings.counts["lost"] >= 1 and findings.counts["duplicate_in_marts"] == 2, findings.to_json()


def test_the_checker_reports_a_publication_that_is_not_the_verified_build(soak, damaged):
    run, _ = soak
    published = damaged.published_db
    allowed = {"last good": run.last_good}
    assert not t.check_publication(published, allowed, expect=run.last_good).failed
    with duckdb.connect(str(published)) as con:
        con.execute("delete from marts.criteria_scores where rowid % 2 = 0")
    findings = t.check_publication(published, allowed)
    assert findings.figure("bad publishes") == 1, findings.to_json()
    published.write_bytes(b"not a duckdb file")
    findings = t.check_publication(published, allowed)
    assert findings.figure("bad publishes") == 1 and "unreadable" in findings.examples["bad_publish"][0]


def test_the_checker_reports_a_good_finance_file_that_did_not_land(soak, damaged):
    run, _ = soak
    assert not t.check_finance(damaged, run.finance).failed
    (dataset, period) = next(iter(run.finance.winners))
    shutil.rmtree(damaged.dataset_landing("finance", dataset) / f"batch={period}")
    findings = t.check_finance(damaged, run.finance)
    assert findings.counts["good_file_not_landed"] == 1, findings.to_json()
