"""Landing suites: a batch that breaks one is never swapped in; the previous batch stays."""

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


def dossier(i: int, *, unit="H30.01", due_days=5, updated=None) -> dict:
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
    }


@pytest.fixture
def landed_units(tmp_path) -> Paths:
    p = Paths(tmp_path)
    land(p, "reference", "don_vi", "202610", UNITS, UNITS_ROWS)
    return p


def dossiers_batch(p: Paths, rows, batch="b2") -> None:
    land(p, "dossier_api", "dossiers", batch, DOSSIERS, rows, api_total=len(rows), quarantined=0)


def failed_expectations(p: Paths) -> set[tuple[str, str]]:
    return {(r["suite"], r["expectation"]) for r in ops.read_records(p, "quality_results") if not r["success"]}


def test_a_good_batch_lands(landed_units):
    p = landed_units
    rows = [dossier(i) for i in range(100)]
    land(p, "dossier_api", "dossiers", "b2", DOSSIERS, rows, docs=True, api_total=len(rows), quarantined=0)
    assert [b.name for b in committed_batches(p.dataset_landing("dossier_api", "dossiers"))] == ["batch=b2"]
    assert failed_expectations(p) == set()
    passed = [r["suite"] for r in ops.read_records(p, "quality_results") if r["success"]]
    assert "landing.dossier_api.dossiers" in passed


def test_a_rejected_batch_shows_in_data_docs(landed_units):
    p = landed_units
    rows = [dossier(i, unit="H99.99") for i in range(3)]
    with pytest.raises(QualityGateError):
        land(p, "dossier_api", "dossiers", "b4", DOSSIERS, rows, docs=True, api_total=3, quarantined=0)
    index = p.root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert "landing__dossier_api__dossiers" in index.read_text()


@pytest.mark.parametrize(
    ("rows", "suite", "expectation"),
    [
        # Due before received in 5% of dossiers (1% is tolerated as data-entry slips).
        (
            [dossier(i, due_days=-1 if i % 20 == 0 else 5) for i in range(100)],
            "landing.dossier_api.dossiers",
            "expect_column_values_to_be_in_set",
        ),
        # A unit code the reference data does not know.
        (
            [dossier(i, unit="H99.99" if i == 7 else "H30.01") for i in range(100)],
            "landing.dossier_api.dossiers",
            "expect_column_values_to_be_in_set",
        ),
        # One dossier id with two conflicting records.
        (
            [*[dossier(i) for i in range(10)], {**dossier(3), "TrangThaiHoSo": 9}],
            "landing.dossier_api.dossiers",
            "expect_column_values_to_be_unique",
        ),
    ],
)
def test_a_bad_dossier_batch_is_kept_out_and_the_previous_batch_stays(landed_units, rows, suite, expectation):
    p = landed_units
    dossiers_batch(p, [dossier(i) for i in range(100)], batch="b2")
    before = read_manifest(committed_batches(p.dataset_landing("dossier_api", "dossiers"))[0])
    with pytest.raises(QualityGateError, match=f"suite {suite}: {expectation}"):
        dossiers_batch(p, rows, batch="b2")
    batches = committed_batches(p.dataset_landing("dossier_api", "dossiers"))
    assert [read_manifest(b)["files"] for b in batches] == [before["files"]], "the good batch is untouched"
    assert (suite, expectation) in failed_expectations(p)
    assert list((p.quarantine / "dossier_api" / "dossiers" / "rejected").glob("batch=b2-*")), "kept for diagnosis"


def test_rows_that_do_not_reconcile_with_the_source_total_are_refused(landed_units):
    with pytest.raises(QualityGateError, match=r"dossier_api\.dossiers\.reconciliation"):
        land(landed_units, "dossier_api", "dossiers", "b3", DOSSIERS, [dossier(1)], api_total=3, quarantined=1)


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


def test_a_month_of_revenue_ninety_percent_below_the_previous_is_refused(tmp_path):
    p = Paths(tmp_path)
    land(p, "finance", "thu_ngan_sach", "202608", BUDGET_REVENUE, revenue("202608", 8_000))
    land(p, "finance", "thu_ngan_sach", "202609", BUDGET_REVENUE, revenue("202609", 9_000))  # +1,000
    land(p, "finance", "thu_ngan_sach", "202610", BUDGET_REVENUE, revenue("202610", 9_950))  # +950: fine
    with pytest.raises(QualityGateError, match=r"thu_ngan_sach\.month_on_month: expect_column_values_to_be_between"):
        land(p, "finance", "thu_ngan_sach", "202611", BUDGET_REVENUE, revenue("202611", 10_000))  # +50: −95%
    assert [b.name for b in committed_batches(p.dataset_landing("finance", "thu_ngan_sach"))] == [
        "batch=202608",
        "batch=202609",
        "batch=202610",
    ]
