"""The finance simulator's files through the extractor: every good file lands exactly, every bad one is refused."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.lab.simulators.finance_files import BAD_FILE_RULES, DATASETS, bad_finance_files, write_finance_file
from parmetrics.landing.schemas import LANDING_SCHEMAS
from parmetrics.sources.finance_files import land_finance_inbox

# The simulator's rule names → the rule each reason names.
REASON_FOR_RULE = {
    "wrong_encoding": "wrong encoding",
    "missing_column": "missing or renamed column",
    "renamed_column": "missing or renamed column",
    "text_in_number_column": "invalid value",
    "negative_amount": "negative amount",
    "totals_do_not_reconcile": "totals do not reconcile",
    "period_does_not_match_name": "period does not match the file name",
    "empty_file": "empty file",
}


def test_every_rule_of_the_catalogue_is_quarantined_with_its_reason(tmp_path: Path):
    inbox = tmp_path / "inbox"
    paths = Paths(tmp_path / "data")
    bad = bad_finance_files(inbox)
    assert {b.rule for b in bad} == set(BAD_FILE_RULES)
    good = write_finance_file(inbox, "thu_ngan_sach", "202509", "xlsx")
    outcomes = {o["file"]: o for o in land_finance_inbox(inbox, paths)}
    assert outcomes[good.name]["status"] == "landed"
    for b in bad:
        o = outcomes[b.path.name]
        assert o["status"] == "quarantined", (b.rule, o)
        assert o["reason"].startswith(f"{b.path.name}: {REASON_FOR_RULE[b.rule]}"), (b.rule, o["reason"])
        assert (paths.quarantine / "finance" / b.path.name).exists()
    assert len(list(ops.read_records(paths, "quarantine"))) == len(bad)
    assert [p.name for p in paths.landing.rglob("batch=*")] == ["batch=202509"]


# What each column of the contract holds (docs/sources.md §3), typed out: text, an amount, a whole count.
COLUMNS = {
    "thu_ngan_sach": {"ky_bao_cao": "text", "ma_khu_vuc": "text", "ten_khu_vuc": "text",
                      "du_toan_nam": "amount", "thuc_hien_luy_ke": "amount"},
    "giai_ngan_dau_tu_cong": {"ky_bao_cao": "text", "ma_don_vi": "text", "ma_du_an": "text", "ten_du_an": "text",
                              "ke_hoach_von_nam": "amount", "giai_ngan_luy_ke": "amount"},
    "dang_ky_doanh_nghiep": {"ky_bao_cao": "text", "ma_don_vi_hanh_chinh": "text", "so_dn_thanh_lap_moi": "count",
                             "von_dang_ky": "amount", "so_du_an_moi": "count", "von_dau_tu_dang_ky": "amount"},
}  # fmt: skip


def _vn(cell: object, kind: str) -> object:
    """A cell read the simplest way the contract allows: '1.234,5' → 1234.5; numeric cells as they are."""
    if cell is None or cell == "":
        return None
    if kind == "text":
        return str(cell)
    if isinstance(cell, str):
        cell = float(cell.replace(".", "").replace(",", "."))
    return int(cell) if kind == "count" else float(cell)


def _read_independently(path: Path, dataset: str) -> list[dict]:
    """The file's data rows, read with the standard csv module / openpyxl (the extractor uses its own
    reader and python-calamine), without the extractor's parser."""
    if path.suffix == ".csv":
        import csv

        rows = list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines(), delimiter=";"))
    else:
        from openpyxl import load_workbook

        rows = [list(r) for r in load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)]
    kinds = COLUMNS[dataset]
    start = next(i for i, r in enumerate(rows) if r and r[0] == "ky_bao_cao")
    header = rows[start]
    out = []
    for r in rows[start + 1 :]:
        if not any(c not in (None, "") for c in r) or r[0] == "Tổng cộng":
            continue
        out.append({c: _vn(r[header.index(c)], kind) for c, kind in kinds.items()})
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_simulated_good_files_land_their_rows(tmp_path: Path, dataset: str, fmt: str):
    inbox = tmp_path / "inbox"
    paths = Paths(tmp_path / "data")
    path = write_finance_file(inbox, dataset, "202610", fmt)
    expected = _read_independently(path, dataset)
    lineage = {"_period": "202610", "_version": 0, "_source_file": path.name}
    [outcome] = land_finance_inbox(inbox, paths)
    assert outcome["status"] == "landed", outcome
    batch = paths.dataset_landing("finance", dataset) / "batch=202610"
    landed = pq.read_table(batch, schema=LANDING_SCHEMAS[("finance", dataset)]).to_pylist()
    assert len(landed) > 0
    assert landed == [{**row, **lineage} for row in expected]
