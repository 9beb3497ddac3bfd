"""Landing suites: a contract rule keeps a batch out (the previous batch stays); an anomaly check only warns.

Rows are typed out here and written straight through a ``BatchWriter`` with the gate, so the gate is
the only thing deciding (the extractors' per-record checks are tested in ``tests/sources``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.landing.schemas import BUDGET_REVENUE, DOSSIERS, UNITS
from parmetrics.landing.writer import BatchWriter, committed_batches, read_manifest
from parmetrics.quality.errors import QualityGateError
from parmetrics.quality.landing_gate import landing_gate

UNITS_ROWS = [
    {"ma_don_vi": "H30", "ten_don_vi": "UBND tỉnh Hòa Bình", "cap": "tinh", "hieu_luc_tu": date(2019, 1, 1)},
    {"ma_don_vi": "H30.01", "ten_don_vi": "Sở Tư pháp", "cap": "so", "hieu_luc_tu": date(2019, 1, 1)},
]


def land(p: Paths, source: str, dataset: str, batch: str, schema, rows, docs=False, **manifest):
    target = p.dataset_landing(source, dataset)
    g = landing_gate(p, source, dataset, run_id="test", docs=docs)
    with BatchWriter(target, batch, schema, gate=g) as writer:
        writer.write_rows(
            [{**r, "_snapshot_month": batch, "_source_file": "f"} if schema is UNITS else r for r in rows]
        )
        writer.commit(**manifest)


def dossier(i: int, *, unit="H30.01", due_days=5, updated=None, **fields) -> dict:
    received = datetime(2026, 10, 1, 9, 0) + timedelta(hours=i)
    return {
        "MaHoSo": f"D{i:05d}",
        "MaDonVi": unit,
        "MaTTHC": "1.001",
        "KenhThucHien": 1,
        "LoaiDoiTuong": 1,
        "NgayTiepNhan": received,
        "NgayHenTra": received + timedelta(days=due_days),
        "TrangThaiHoSo": 4,
        "DuocThanhToanTrucTuyen": 0,
        "NgayCapNhat": updated or received,
        "_batch_id": "b",
        **fields,
    }


@pytest.fixture
def landed_units(tmp_path) -> Paths:
    p = Paths(tmp_path)
    land(p, "reference", "don_vi", "202610", UNITS, UNITS_ROWS)
    return p


def dossiers_batch(p: Paths, rows, batch="b2", docs=False) -> None:
    land(p, "dossier_api", "dossiers", batch, DOSSIERS, rows, docs=docs, api_total=len(rows), quarantined=0)


def failures(p: Paths, severity: str | None = None) -> list[dict]:
    return [
        r
        for r in ops.read_records(p, "quality_results")
        if not r["success"] and (severity is None or r["severity"] == severity)
    ]


def landed(p: Paths, source: str, dataset: str) -> list[str]:
    return [b.name for b in committed_batches(p.dataset_landing(source, dataset))]


def test_a_good_batch_lands_with_one_success_record_per_suite(landed_units):
    p = landed_units
    dossiers_batch(p, [dossier(i) for i in range(100)], docs=True)
    assert landed(p, "dossier_api", "dossiers") == ["batch=b2"]
    assert failures(p) == []
    passed = {
        r["suite"]: r for r in ops.read_records(p, "quality_results") if r["success"] and r.get("dataset") == "dossiers"
    }
    assert set(passed) == {
        "landing.dossier_api.dossiers.schema",
        "landing.dossier_api.dossiers",
        "landing.dossier_api.dossiers.reconciliation",
    }
    record = passed["landing.dossier_api.dossiers"]
    assert (record["stage"], record["subject"], record["expectation"]) == (
        "landing",
        "dossier_api/dossiers/batch=b2",
        "*",
    )


def test_a_batch_breaking_a_contract_rule_is_kept_out_and_shows_in_data_docs(landed_units):
    p = landed_units
    dossiers_batch(p, [dossier(i) for i in range(100)], batch="b2")
    before = read_manifest(committed_batches(p.dataset_landing("dossier_api", "dossiers"))[0])
    rows = [dossier(i, KenhThucHien=99 if i == 7 else 1) for i in range(100)]
    with pytest.raises(
        QualityGateError, match=r"suite landing\.dossier_api\.dossiers: expect_column_values_to_be_in_set"
    ):
        dossiers_batch(p, rows, batch="b2", docs=True)
    batches = committed_batches(p.dataset_landing("dossier_api", "dossiers"))
    assert [read_manifest(b)["files"] for b in batches] == [before["files"]], "the good batch is untouched"
    assert list((p.quarantine / "dossier_api" / "dossiers" / "rejected").glob("batch=b2-*")), "kept for diagnosis"
    [record] = failures(p)
    assert record["severity"] == "critical"
    assert record["column"] == "KenhThucHien"
    assert record["failing_row_sample"] == [99]
    assert record["unexpected_count"] == 1
    assert record["message"] == (
        "dossier_api/dossiers/batch=b2: landing.dossier_api.dossiers KenhThucHien_in_set failed for 1 of 100 rows "
        "(e.g. 99); not landed: it breaks a contract rule"
    )
    index = p.root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert "landing__dossier_api__dossiers" in index.read_text()


def test_a_null_unit_is_never_a_pass(landed_units):
    # The known-unit check of a null unit comes out NULL in SQL: it must count as a failure, and the
    # contract (a dossier always has its unit) rejects the batch.
    with pytest.raises(QualityGateError, match=r"expect_column_values_to_not_be_null\(MaDonVi\)"):
        dossiers_batch(landed_units, [dossier(i, unit=None if i == 3 else "H30.01") for i in range(10)])
    by_rule = {(r["rule"], r["severity"]) for r in failures(landed_units)}
    assert ("MaDonVi_not_null", "critical") in by_rule
    assert ("unit_known", "warning") in by_rule


@pytest.mark.parametrize(
    ("rows", "rule", "sample"),
    [
        # Due before received in 5 of 100 dossiers: a data-entry slip, legal data.
        (
            [dossier(i, due_days=-1 if i % 20 == 0 else 5) for i in range(100)],
            "due_not_before_received",
            ["D00000", "D00020", "D00040"],
        ),
        # A unit code the reference data does not know yet (it may lag a new unit).
        ([dossier(i, unit="H99.99" if i == 7 else "H30.01") for i in range(100)], "unit_known", ["H99.99"]),
    ],
)
def test_an_anomaly_lands_the_batch_and_warns(landed_units, rows, rule, sample):
    p = landed_units
    dossiers_batch(p, rows)
    assert landed(p, "dossier_api", "dossiers") == ["batch=b2"]
    [record] = failures(p)
    assert (record["severity"], record["stage"], record["rule"]) == ("warning", "landing", rule)
    assert record["subject"] == "dossier_api/dossiers/batch=b2"
    assert record["failing_row_sample"][:3] == sample
    assert record["message"].endswith("landed anyway: an anomaly check only warns")
    assert "\n" not in record["message"]


def test_a_dossier_naming_another_unit_than_its_landed_version_lands_with_a_warning(landed_units):
    p = landed_units
    dossiers_batch(p, [dossier(i) for i in range(10)], batch="b1")
    dossiers_batch(p, [dossier(3, unit="H30", updated=datetime(2026, 10, 5))], batch="b2")
    assert landed(p, "dossier_api", "dossiers") == ["batch=b1", "batch=b2"]
    [record] = failures(p)
    assert (record["rule"], record["severity"], record["failing_row_sample"]) == (
        "unit_consistent",
        "warning",
        ["D00003"],
    )


def test_rows_that_do_not_reconcile_with_the_source_total_are_refused(landed_units):
    with pytest.raises(QualityGateError, match=r"dossier_api\.dossiers\.reconciliation"):
        land(landed_units, "dossier_api", "dossiers", "b3", DOSSIERS, [dossier(1)], api_total=3, quarantined=1)
    [record] = failures(landed_units)
    assert (record["severity"], record["failing_row_sample"]) == ("critical", [-1])


def test_a_manifest_without_the_source_total_is_unreconciled_not_a_pass(landed_units):
    with pytest.raises(QualityGateError, match=r"dossier_api\.dossiers\.reconciliation"):
        land(landed_units, "dossier_api", "dossiers", "b3", DOSSIERS, [dossier(1)], quarantined=0)


def revenue(period: str, ytd: float, version: int = 0) -> list[dict]:
    return [
        {
            "ky_bao_cao": f"{period[:4]}-{period[4:]}",
            "ma_khu_vuc": code,
            "ten_khu_vuc": code,
            "du_toan_nam": 12_000.0,
            "thuc_hien_luy_ke": ytd * share,
            "_period": period,
            "_version": version,
            "_source_file": f"thu_ngan_sach_{period}.csv",
        }
        for code, share in (("NQD", 0.6), ("FDI", 0.4))
    ]


def land_revenue(p: Paths, period: str, ytd: float) -> None:
    land(
        p,
        "finance",
        "thu_ngan_sach",
        period,
        BUDGET_REVENUE,
        revenue(period, ytd),
        source_file=f"thu_ngan_sach_{period}.csv",
    )


def test_a_month_of_revenue_ninety_five_percent_below_the_previous_lands_with_a_warning(tmp_path):
    p = Paths(tmp_path)
    land_revenue(p, "202608", 8_000)
    land_revenue(p, "202609", 9_000)  # +1,000
    land_revenue(p, "202610", 9_950)  # +950: fine
    land_revenue(p, "202611", 10_000)  # +50: 5.3 % of October's
    assert landed(p, "finance", "thu_ngan_sach") == ["batch=202608", "batch=202609", "batch=202610", "batch=202611"]
    [record] = failures(p)
    assert (record["severity"], record["suite"], record["subject"]) == (
        "warning",
        "landing.finance.thu_ngan_sach.month_on_month",
        "thu_ngan_sach_202611.csv",
    )
    assert record["failing_row_sample"] == ["202611: 5.3 % of the previous month"]
    assert record["message"] == (
        "thu_ngan_sach_202611.csv (finance/thu_ngan_sach/batch=202611): landing.finance.thu_ngan_sach.month_on_month "
        "revenue_not_collapsed failed for 1 of 1 rows (e.g. 202611: 5.3 % of the previous month); landed anyway: "
        "an anomaly check only warns"
    )


def test_a_month_of_revenue_six_percent_of_the_previous_is_legal_and_lands(tmp_path):
    # The case: a sector collects little in one month. It lands; the drop is only reported.
    p = Paths(tmp_path)
    land_revenue(p, "202601", 1_000)
    land_revenue(p, "202602", 2_000)  # +1,000
    land_revenue(p, "202603", 2_060)  # +60: 6 %
    assert landed(p, "finance", "thu_ngan_sach")[-1] == "batch=202603"
    assert [r["failing_row_sample"] for r in failures(p, "warning")] == [["202603: 6.0 % of the previous month"]]
    assert failures(p, "critical") == []
