"""The finance simulator's files through the extractor: every good file lands exactly, every bad one is refused."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.lab.simulators.finance_files import BAD_FILE_RULES, DATASETS, bad_finance_files, write_finance_file
from parmetrics.landing.schemas import LANDING_SCHEMAS
from parmetrics.sources.file_drops import parse_file_name, parse_rows
from parmetrics.sources.finance_files import SPECS, land_finance_inbox

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


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_simulated_good_files_land_their_rows(tmp_path: Path, dataset: str, fmt: str):
    inbox = tmp_path / "inbox"
    paths = Paths(tmp_path / "data")
    path = write_finance_file(inbox, dataset, "202610", fmt)
    expected = parse_rows(path, parse_file_name(path.name), SPECS[dataset])
    [outcome] = land_finance_inbox(inbox, paths)
    assert outcome["status"] == "landed", outcome
    batch = paths.dataset_landing("finance", dataset) / "batch=202610"
    landed = pq.read_table(batch, schema=LANDING_SCHEMAS[("finance", dataset)]).to_pylist()
    assert landed == expected and len(landed) > 0
