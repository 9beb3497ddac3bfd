"""Eight anomalies injected at the source, run through the DAGs (landing → build → gate → publish).

Each scenario starts from a copy of one good baseline (a published file built from a simulated
source) and a copy of that source, injects one anomaly, runs the DAGs with ``dag.test()`` and checks
what the gate did. Landing anomalies are legal but surprising data (ARCHITECTURE.md, *Two kinds of
rules*): the batch lands and each is recorded as a warning naming its rule. A mart anomaly is blocked
with a message naming the expectation and leaves the published file's checksum unchanged.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.landing.writer import committed_batches
from parmetrics.publish import file_sha256
from tests.dags.conftest import KEY, TOKEN, load_dag

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.timeout(1800)]
CLOCK = "2026-11-20T06:00:00"
# The next incremental window after the baseline (its high-water mark is 05:55, the margin 15 min).
CHANGED_AT = "20261120054500"


def set_env(mp: pytest.MonkeyPatch, paths: Paths, port: int, clock: str = CLOCK) -> None:
    conn = {"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http", "password": TOKEN}
    mp.setenv("AIRFLOW_CONN_DOSSIER_API", json.dumps(conn))
    mp.setenv("PARMETRICS_DATA_DIR", str(paths.root))
    mp.setenv("PARMETRICS_CLOCK", clock)
    mp.setenv("PARMETRICS_PSEUDONYM_KEY", KEY)
    mp.setenv("AIRFLOW_VAR_FINANCE_INBOX", str(paths.inbox / "finance"))
    mp.setenv("AIRFLOW_VAR_REFERENCE_INBOX", str(paths.reference_inbox))


def run(dag_id: str):
    return load_dag(dag_id).test()


def criteria(paths: Paths) -> list[tuple]:
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        return con.execute("select * from marts.criteria_scores order by all").fetchall()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, source_db, airflow_db):
    """A good publication: reference and dossiers landed, built, gated, published."""
    from parmetrics.lab.simulators.dossier_api import serve_in_thread
    from parmetrics.lab.simulators.reference_files import write_don_vi_file

    root = tmp_path_factory.mktemp("baseline")
    paths = Paths(root / "data")
    source = root / "dossier_api.sqlite"
    shutil.copy(source_db, source)
    write_don_vi_file(paths.reference_inbox, month="202611")
    with pytest.MonkeyPatch.context() as mp, serve_in_thread(source, TOKEN) as server:
        set_env(mp, paths, server.port)
        for dag_id in ("ingest_reference", "ingest_dossiers", "build_marts"):
            assert run(dag_id).state == "success", dag_id
    return paths, source


@pytest.fixture
def scenario(baseline, tmp_path, monkeypatch):
    """A private copy of the baseline and its source; yields (paths, source db, serve)."""
    from parmetrics.lab.simulators.dossier_api import serve_in_thread

    base_paths, base_source = baseline
    paths = Paths(tmp_path / "data")
    shutil.copytree(base_paths.root, paths.root, symlinks=True)
    source = tmp_path / "dossier_api.sqlite"
    shutil.copy(base_source, source)
    with serve_in_thread(source, TOKEN) as server:
        set_env(monkeypatch, paths, server.port)
        yield paths, source


def change_dossiers(source: Path, pick, change) -> int:
    """Rewrite the dossiers ``pick(index, record)`` selects as if the office changed them at CHANGED_AT."""
    con = sqlite3.connect(source)
    rows = con.execute("select ma_ho_so, payload from dossiers order by ma_ho_so").fetchall()
    changed = 0
    for index, (code, payload) in enumerate(rows):
        record = json.loads(payload)
        if not pick(index, record):
            continue
        record = change(record)
        record["NgayCapNhat"] = CHANGED_AT
        con.execute("delete from dossiers where ma_ho_so = ?", [code])
        con.execute(
            "insert into dossiers (ngay_cap_nhat, ma_ho_so, payload) values (?, ?, ?)",
            [CHANGED_AT, code, json.dumps(record, ensure_ascii=False)],
        )
        changed += 1
    con.commit()
    con.close()
    return changed


def accepted(record: dict) -> bool:
    return record["NgayTiepNhan"] is not None and record["TrangThaiHoSo"] not in (1, 3, 7)


def failed(paths: Paths) -> set[tuple[str, str]]:
    return {(r["suite"], r["expectation"]) for r in ops.read_records(paths, "quality_results") if not r["success"]}


def run_landing(dag_id: str, paths: Paths):
    """(the DAG run, the quality records its landing wrote)."""
    from datetime import UTC, datetime

    since = datetime.now(UTC).isoformat(timespec="microseconds")
    dag_run = run(dag_id)
    return dag_run, [r for r in ops.read_records(paths, "quality_results") if r["recorded_at"] >= since]


def assert_landed_with_a_warning(dag_run, records, suite, *rules) -> list[dict]:
    assert dag_run.state == "success"
    warnings = [r for r in records if r.get("severity") == "warning"]
    assert {(r["suite"], r["rule"]) for r in warnings} == {(suite, rule) for rule in rules}
    assert all(r["message"].endswith("landed anyway: an anomaly check only warns") for r in warnings)
    assert not [r for r in records if r.get("severity") == "critical"]
    return warnings


# ---------------------------------------------------------------- landing anomalies: warnings


def test_due_before_received_in_five_percent_lands_with_a_warning(scenario):
    paths, source = scenario
    dossiers = paths.dataset_landing("dossier_api", "dossiers")
    landed_before = [b.name for b in committed_batches(dossiers)]

    def due_before_received(r):
        r["NgayHenTra"] = "20190101000000"
        return r

    # 5% of the accepted dossiers, plus 95 unchanged ones touched in the same window.
    changed = change_dossiers(source, lambda i, r: accepted(r) and i % 20 == 0, due_before_received)
    assert changed > 5
    change_dossiers(source, lambda i, r: accepted(r) and i % 20 in (1, 2, 3), lambda r: r)
    [warning] = assert_landed_with_a_warning(
        *run_landing("ingest_dossiers", paths), "landing.dossier_api.dossiers", "due_not_before_received"
    )
    assert warning["unexpected_count"] == changed
    assert len(committed_batches(dossiers)) == len(landed_before) + 1, "the batch landed"


def test_unknown_unit_code_lands_with_a_warning(scenario):
    paths, source = scenario

    def unknown_unit(r):
        r["MaDonVi"] = "H99.99"
        return r

    assert change_dossiers(source, lambda i, r: i == 10, unknown_unit) == 1
    # The unit is unknown, and it differs from the one the landed version of the dossier names.
    warnings = assert_landed_with_a_warning(
        *run_landing("ingest_dossiers", paths), "landing.dossier_api.dossiers", "unit_known", "unit_consistent"
    )
    assert {r["rule"]: r["unexpected_count"] for r in warnings} == {"unit_known": 1, "unit_consistent": 1}
    assert next(r for r in warnings if r["rule"] == "unit_known")["failing_row_sample"] == ["H99.99"]


def test_one_dossier_id_naming_another_unit_lands_with_a_warning(scenario):
    paths, source = scenario

    def moved_to_another_unit(r):
        # The same dossier number now claims another (known) receiving unit: two records disagree.
        r["MaDonVi"] = "H30" if r["MaDonVi"] != "H30" else "H30.01"
        return r

    assert change_dossiers(source, lambda i, r: i == 20, moved_to_another_unit) == 1
    assert_landed_with_a_warning(
        *run_landing("ingest_dossiers", paths), "landing.dossier_api.dossiers", "unit_consistent"
    )


def test_a_month_of_revenue_ninety_five_percent_below_the_previous_lands_with_a_warning(scenario):
    from parmetrics.lab.simulators.finance_files import render_finance_csv, rows_for, write_finance_file
    from parmetrics.lab.simulators.reference_files import write_atomic

    paths, _ = scenario
    inbox = paths.inbox / "finance"
    for period in ("202608", "202609"):
        write_finance_file(inbox, "thu_ngan_sach", period, "csv")
    assert run("ingest_finance").state == "success"
    # October's export: each sector's year-to-date total grew by 5% of September's monthly revenue.
    aug, sept = (
        {r["ma_khu_vuc"]: r["thuc_hien_luy_ke"] for r in rows_for("thu_ngan_sach", p)} for p in ("202608", "202609")
    )
    october = rows_for("thu_ngan_sach", "202610")
    for row in october:
        code = row["ma_khu_vuc"]
        row["thuc_hien_luy_ke"] = round(sept[code] + 0.05 * (sept[code] - aug[code]), 2)
    write_atomic(inbox, "thu_ngan_sach_202610.csv", render_finance_csv("thu_ngan_sach", october))
    [warning] = assert_landed_with_a_warning(
        *run_landing("ingest_finance", paths), "landing.finance.thu_ngan_sach.month_on_month", "revenue_not_collapsed"
    )
    assert warning["subject"] == "thu_ngan_sach_202610.csv"
    assert [b.name for b in committed_batches(paths.dataset_landing("finance", "thu_ngan_sach"))] == [
        "batch=202608",
        "batch=202609",
        "batch=202610",
    ]


# ---------------------------------------------------------------- mart anomalies


def assert_mart_blocked(paths, dag_run, published_before, suite, expectation, capfd):
    assert dag_run.state == "failed"
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["quality_gate"] == "failed", states
    assert states["publish"] == "upstream_failed"
    assert file_sha256(paths.published_db) == published_before
    assert (suite, expectation) in failed(paths)
    assert f"suite {suite}: {expectation}" in capfd.readouterr().out + capfd.readouterr().err


def corrupt_build_after_dbt(monkeypatch, paths: Paths, statement: str) -> None:
    """A defect in the transformation (the only way a mart rate > 1 or a vanished unit arises)."""
    from parmetrics.orchestration import build

    real = build.dbt_build

    def dbt_build_with_defect(run_id: str) -> dict:
        result = real(run_id)
        with duckdb.connect(str(paths.build_db)) as con:
            con.execute(statement)
        return result

    monkeypatch.setattr(build, "dbt_build", dbt_build_with_defect)


def test_a_mart_rate_above_one_blocks_publication(scenario, monkeypatch, capfd):
    paths, _ = scenario
    before = file_sha256(paths.published_db)
    corrupt_build_after_dbt(
        monkeypatch,
        paths,
        "update marts.criteria_scores set rate = 1.4 where criterion_code = '766.2.1' and denominator > 0",
    )
    dag_run = run("build_marts")
    assert_mart_blocked(paths, dag_run, before, "marts.criteria_scores", "expect_column_values_to_be_between", capfd)


def test_a_unit_with_records_missing_from_a_mart_blocks_publication(scenario, monkeypatch, capfd):
    paths, _ = scenario
    before = file_sha256(paths.published_db)
    corrupt_build_after_dbt(
        monkeypatch,
        paths,
        "delete from marts.criteria_scores where unit_code = (select min(unit_code) from marts.criteria_scores "
        "where unit_level = 'department')",
    )
    dag_run = run("build_marts")
    assert_mart_blocked(
        paths, dag_run, before, "marts.criteria_scores.units_present", "expect_table_row_count_to_equal", capfd
    )


def test_a_seventy_percent_drop_in_rows_blocks_publication(scenario, capfd):
    paths, source = scenario
    before = file_sha256(paths.published_db)
    # The source comes back from an old backup holding 30% of its dossiers; the window is re-read.
    con = sqlite3.connect(source)
    codes = [c for (c,) in con.execute("select ma_ho_so from dossiers order by ma_ho_so").fetchall()]
    con.executemany("delete from dossiers where ma_ho_so = ?", [[c] for i, c in enumerate(codes) if i % 10 >= 3])
    con.commit()
    con.close()
    shutil.rmtree(paths.ops / "source_watermarks")
    assert run("ingest_dossiers").state == "success"
    dag_run = run("build_marts")
    assert_mart_blocked(paths, dag_run, before, "marts.publication_size", "expect_column_values_to_be_between", capfd)


def test_stale_sources_block_publication(scenario, monkeypatch, capfd):
    paths, _ = scenario
    before = file_sha256(paths.published_db)
    # Five days on, nothing new has arrived from any source: the marts would be published as current.
    monkeypatch.setenv("PARMETRICS_CLOCK", "2026-11-25T06:00:00")
    dag_run = run("build_marts")
    assert_mart_blocked(paths, dag_run, before, "marts.freshness", "expect_column_values_to_be_between", capfd)
