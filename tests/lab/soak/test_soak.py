"""The soak: a short seeded run injects every fault kind and loses nothing, and its checker sees real damage.

One soak (three fault rounds and the drain, two dbt builds, so that a publish is killed over an earlier
publication) is shared by the module; the checker tests damage copies of its data directory, so they
cannot pass by checking nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from parmetrics.config import Paths
from parmetrics.lab.soak import truth as t
from parmetrics.lab.soak.faults import ALL_KINDS, POISON_MARK
from parmetrics.lab.soak.kills import record_kill, run_and_kill
from parmetrics.lab.soak.runner import KILL_KINDS, RoundResult, Soak, SoakSettings, passed, write_report
from parmetrics.landing.writer import committed_batches

# Three rounds: the runner forces every kind that has not fired yet into the rounds left. A build after
# round 2 publishes once, so the drain's publish (killed first) has a last good file to keep.
SETTINGS = SoakSettings(rounds=3, seed=20261120, dossiers=500, build_every=2)


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
    shutil.copytree(run.state.work, target, ignore=shutil.ignore_patterns("sim", "gx", "archive"))
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
    assert report["publications"] >= 1 and run.state.paths.published_db.exists()
    # The soak compared something: the whole source landed, broken records were made and kept out.
    drain = report["round_results"][-1]
    assert drain["landed"]["dossiers"] >= SETTINGS.dossiers
    assert report["poisoned_records"] >= 1 and report["bad_files_dropped"] >= 1
    written = write_report(report, tmp_path)
    assert json.loads(written.read_text())["totals"]["records lost"] == 0


def test_every_kill_kind_lands_mid_stage_and_the_rerun_leaves_it_whole(soak):
    run, report = soak
    kills = report["kill_details"]
    for kind in KILL_KINDS:
        landed = [k for k in kills if k["kind"] == kind and k["landed"]]
        assert landed, f"no {kind} landed mid-stage: {[k for k in kills if k['kind'] == kind]}"
        assert report["kills"][kind]["landed"] == len(landed) == report["faults"][kind]
    for kill in kills:
        if not kill["landed"]:
            continue
        # The evidence the stage was running when it was killed, and its log kept.
        assert kill["returncode"] == -9 and kill["evidence"] and kill["hidden_after_kill"], kill
        assert (run.state.work / kill["log"]).exists(), kill
        after = kill["after_rerun"]
        if kill["kind"] == "extract_kill":
            assert kill["pages_served"] >= kill["kill_after_pages"] >= 1 and ".tmp-" in kill["evidence"], kill
            assert after == {
                "hidden_left": [],
                "visible_debris": [],
                "batch_committed": True,
                "records lost": 0,
                "duplicates": 0,
                "violations": 0,
            }, kill
        else:
            assert kill["after_kill"] == {
                "published_is_last_good": True,
                "opens_read_only": True if kill["over_previous"] else None,
                "visible_changed": [],
            }, kill
            assert after == {"hidden_left": [], "published_is_build": True, "opens_read_only": True}, kill
    # The case that matters for readers: a publish killed while an earlier publication was in place.
    assert any(k["landed"] and k["kind"] == "publish_kill" and k["over_previous"] for k in kills), kills


def test_a_child_that_fails_on_its_own_is_a_stage_error_with_its_log_tail(tmp_path):
    run = Soak(tmp_path / "work", SETTINGS)
    result = RoundResult(0, ("", ""), {})
    script = "import sys; print('extracting', flush=True); sys.exit('ReconciliationError: window does not add up')"
    outcome = run_and_kill(run.state.work, [script], {}, tmp_path / "work" / "logs" / "child.log", lambda: None)
    kill = {"kind": "extract_kill"}
    record_kill(run.state, kill, outcome, False, "the extractor failed", result)
    assert kill["missed"] == "the extractor failed"
    assert run.state.kill_counts["extract_kill"] == {"landed": 0, "missed": 1}
    assert len(result.errors) == 1 and "exited 1" in result.errors[0], result.errors
    assert "extracting ReconciliationError: window does not add up" in result.errors[0], result.errors


def test_the_checker_reports_debris_a_reader_would_see(soak, damaged):
    dataset_dir = damaged.dataset_landing("dossier_api", "dossiers")
    published = damaged.published
    assert t.landing_debris(dataset_dir) == []
    before = t.visible_files(published)
    assert "par_metrics.duckdb" in before
    (dataset_dir / "batch=20990101000000_20990102000000").mkdir()
    batch = committed_batches(dataset_dir)[-1]
    shutil.copyfile(sorted(batch.glob("part-*.parquet"))[0], batch / "part-77777.parquet")
    (dataset_dir / ".batch=20990101000000_20990102000000.tmp-x").mkdir()  # hidden: no reader sees it
    assert t.landing_debris(dataset_dir) == [
        "batch=20990101000000_20990102000000 (no manifest)",
        f"{batch.name}/part-77777.parquet",
    ]
    (published / ".par_metrics-x.duckdb").write_bytes(b"half")
    assert t.visible_files(published) == before
    (published / "par_metrics.duckdb").write_bytes(b"swapped")
    assert t.visible_files(published) != before


def _truth(run: Soak) -> t.SourceTruth:
    return t.source_truth(run.state.db, run.state.key)


def test_the_checker_reports_a_deleted_part_file_as_lost_records(soak, damaged):
    run, _ = soak
    clean, _ = t.check_landing(damaged, _truth(run), None, run.state.poison)
    assert not clean.failed, clean.to_json()
    # The history batch holds most records: deleting one of its parts loses records no other batch has.
    history = committed_batches(damaged.dataset_landing("dossier_api", "dossiers"))[0]
    part = sorted(history.glob("part-*.parquet"))[0]
    part.unlink()
    findings, _ = t.check_landing(damaged, _truth(run), None, run.state.poison)
    assert findings.figure("records lost") > 0, findings.to_json()


def test_the_checker_reports_a_batch_landed_twice_as_duplicates(soak, damaged):
    run, _ = soak
    batch = committed_batches(damaged.dataset_landing("dossier_api", "dossier_events"))[-1]
    part = sorted(batch.glob("part-*.parquet"))[0]
    shutil.copyfile(part, batch / "part-99999.parquet")
    findings, _ = t.check_landing(damaged, _truth(run), None, run.state.poison)
    assert findings.figure("duplicates") > 0, findings.to_json()


def test_the_checker_reports_a_broken_record_that_landed(soak, damaged):
    run, _ = soak
    poison = next(p for p in run.state.poison.entries)
    batch = committed_batches(damaged.dataset_landing("dossier_api", poison.dataset))[-1]
    part = sorted(batch.glob("part-*.parquet"))[0]
    column = t.MARK_COLUMN[poison.dataset]
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace ('{poison.mark}' as {column}) from read_parquet('{part}') limit 1) "
            f"to '{batch / 'part-99998.parquet'}' (format parquet)"
        )
    findings, _ = t.check_landing(damaged, _truth(run), None, run.state.poison)
    assert findings.counts["poison_landed"] >= 1 and poison.mark.startswith(POISON_MARK), findings.to_json()


def test_the_checker_compares_staging_and_marts_with_the_source(soak, damaged):
    run, _ = soak
    build = damaged.build_db
    assert not t.check_build(build, _truth(run), None, run.state.poison).failed
    with duckdb.connect(str(build)) as con:
        # Swap in a latest-version table that lacks one dossier.
        con.execute(
            "create table intermediate.damaged as select * from intermediate.int_dossiers "
            "where dossier_id <> (select min(dossier_id) from intermediate.int_dossiers)"
        )
        con.execute("drop table intermediate.int_dossiers")
        con.execute("alter table intermediate.damaged rename to int_dossiers")
        con.execute("insert into marts.dossier_facts select * from marts.dossier_facts limit 2")
    findings = t.check_build(build, _truth(run), None, run.state.poison)
    assert findings.counts["lost"] >= 1 and findings.counts["duplicate_in_marts"] == 2, findings.to_json()


def test_the_checker_reports_a_publication_that_is_not_the_verified_build(soak, damaged):
    run, _ = soak
    published = damaged.published_db
    allowed = {"last good": run.state.last_good}
    assert not t.check_publication(published, allowed, expect=run.state.last_good).failed
    with duckdb.connect(str(published)) as con:
        con.execute("delete from marts.criteria_scores where rowid % 2 = 0")
    findings = t.check_publication(published, allowed)
    assert findings.figure("bad publishes") == 1, findings.to_json()
    published.write_bytes(b"not a duckdb file")
    findings = t.check_publication(published, allowed)
    assert findings.figure("bad publishes") == 1 and "unreadable" in findings.examples["bad_publish"][0]


def test_the_checker_reports_a_good_finance_file_that_did_not_land(soak, damaged):
    run, _ = soak
    assert not t.check_finance(damaged, run.state.finance).failed
    (dataset, period) = next(iter(run.state.finance.winners))
    shutil.rmtree(damaged.dataset_landing("finance", dataset) / f"batch={period}")
    findings = t.check_finance(damaged, run.state.finance)
    assert findings.counts["good_file_not_landed"] == 1, findings.to_json()
