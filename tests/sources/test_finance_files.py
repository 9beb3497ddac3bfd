"""The finance inbox (SOURCES.md §3): good files land exactly; every broken rule quarantines the file."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.landing.schemas import BUDGET_REVENUE
from parmetrics.landing.writer import committed_batches, read_manifest
from parmetrics.sources.file_drops import PROCESSING, claim_files, vn_number
from parmetrics.sources.finance_files import land_finance_inbox

from .finance_fixtures import (
    BUDGET_COLUMNS,
    budget_rows,
    csv_bytes,
    write_budget_csv,
    write_budget_xlsx,
)


@pytest.fixture
def data_paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "data")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def _landed(paths: Paths, period: str) -> list[dict]:
    batch = paths.dataset_landing("finance", "thu_ngan_sach") / f"batch={period}"
    return pq.read_table(batch, schema=BUDGET_REVENUE).to_pylist()


def _expected(period: str, file: str, version: int = 0) -> list[dict]:
    return [
        {
            "ky_bao_cao": r[0],
            "ma_khu_vuc": r[1],
            "ten_khu_vuc": r[2],
            "du_toan_nam": r[3],
            "thuc_hien_luy_ke": r[4],
            "_period": period,
            "_version": version,
            "_source_file": file,
        }
        for r in budget_rows(period)
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.234.567,89", 1234567.89), ("1234567", 1234567.0), ("0", 0.0), ("12,5", 12.5), ("-1.000", -1000.0)],
)
def test_vietnamese_numbers(text, value):
    assert vn_number(text) == value


@pytest.mark.parametrize("text", ["1,234,567.89", "abc", "1.23", "12.34.5"])
def test_not_vietnamese_numbers(text):
    with pytest.raises(ValueError, match="Vietnamese format"):
        vn_number(text)


def test_a_csv_lands_exactly_its_rows_and_moves_to_the_archive(inbox, data_paths):
    write_budget_csv(inbox, "202610")
    [outcome] = land_finance_inbox(inbox, data_paths)
    assert outcome["status"] == "landed" and outcome["rows"] == len(budget_rows("202610"))
    assert _landed(data_paths, "202610") == _expected("202610", "thu_ngan_sach_202610.csv")
    assert not list(inbox.glob("*.csv")) and not list((inbox / PROCESSING).iterdir())
    assert (data_paths.root / "archive" / "finance" / "thu_ngan_sach_202610.csv").exists()


def test_an_xlsx_with_title_rows_and_a_reconciling_total_lands_without_the_total(inbox, data_paths):
    write_budget_xlsx(inbox, "202610", titles=5)
    [outcome] = land_finance_inbox(inbox, data_paths)
    assert outcome["status"] == "landed", outcome
    assert _landed(data_paths, "202610") == _expected("202610", "thu_ngan_sach_202610.xlsx")


def test_a_resend_supersedes_an_older_version_changes_nothing_and_same_bytes_twice_change_nothing(inbox, data_paths):
    original = write_budget_csv(inbox, "202610")
    original_bytes = original.read_bytes()
    assert land_finance_inbox(inbox, data_paths)[0]["status"] == "landed"
    changed = [(*r[:3], r[3], r[4] + 1) for r in budget_rows("202610")]
    write_budget_csv(inbox, "202610", version=2, rows=changed)
    assert land_finance_inbox(inbox, data_paths)[0]["status"] == "landed"
    landed = _landed(data_paths, "202610")
    assert {r["_version"] for r in landed} == {2}
    assert [r["thuc_hien_luy_ke"] for r in landed] == [r[4] for r in changed]
    # The first send arriving again (late) does not undo the correction.
    (inbox / "thu_ngan_sach_202610.csv").write_bytes(original_bytes)
    assert land_finance_inbox(inbox, data_paths)[0]["status"] == "superseded"
    # The correction sent twice: nothing changes, not even the batch's files.
    batch = committed_batches(data_paths.dataset_landing("finance", "thu_ngan_sach"))[0]
    before = read_manifest(batch)
    write_budget_csv(inbox, "202610", version=2, rows=changed)
    assert land_finance_inbox(inbox, data_paths)[0]["status"] == "unchanged"
    assert read_manifest(batch) == before
    assert len(committed_batches(data_paths.dataset_landing("finance", "thu_ngan_sach"))) == 1


def test_a_resend_and_its_original_dropped_together_end_with_the_resend(inbox, data_paths):
    write_budget_csv(inbox, "202610", version=3, rows=budget_rows("202610")[:2])
    write_budget_csv(inbox, "202610")
    outcomes = land_finance_inbox(inbox, data_paths)
    assert [o["status"] for o in outcomes] == ["landed", "landed"]
    assert {r["_version"] for r in _landed(data_paths, "202610")} == {3}


def _good_csv_text(period: str = "202610") -> str:
    return csv_bytes(BUDGET_COLUMNS, budget_rows(period)).decode("utf-8-sig")


def _csv(inbox: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = inbox / name
    path.write_bytes(text.encode(encoding))
    return path


# Every rule of SOURCES.md §3, each with a bad file: (file name, how to make it, rule in the reason).
BAD_FILES = {
    "wrong encoding": lambda inbox: _csv(inbox, "thu_ngan_sach_202610.csv", _good_csv_text(), "utf-16"),
    "missing column": lambda inbox: _csv(
        inbox, "thu_ngan_sach_202610.csv", _good_csv_text().replace(";thuc_hien_luy_ke", "", 1)
    ),
    "renamed column": lambda inbox: _csv(
        inbox, "thu_ngan_sach_202610.csv", _good_csv_text().replace("du_toan_nam", "du_toan", 1)
    ),
    "text in a number column": lambda inbox: _csv(
        inbox, "thu_ngan_sach_202610.csv", _good_csv_text().replace("120.000,50", "một trăm", 1)
    ),
    "negative amount": lambda inbox: _csv(
        inbox, "thu_ngan_sach_202610.csv", _good_csv_text().replace("98.765,25", "-98.765,25", 1)
    ),
    "totals do not reconcile": lambda inbox: write_budget_xlsx(
        inbox, "202610", total=("Tổng cộng", None, None, 1.0, 2.0)
    ),
    "period does not match": lambda inbox: _csv(inbox, "thu_ngan_sach_202611.csv", _good_csv_text("202610")),
    "empty file": lambda inbox: _csv(inbox, "thu_ngan_sach_202610.csv", ""),
    "header only": lambda inbox: _csv(inbox, "thu_ngan_sach_202610.csv", _good_csv_text().splitlines()[0]),
    "xlsx not a workbook": lambda inbox: _csv(inbox, "thu_ngan_sach_202610.xlsx", _good_csv_text()),
    "bad file name": lambda inbox: _csv(inbox, "thu_ngan_sach_2026.csv", _good_csv_text()),
    "unknown dataset": lambda inbox: _csv(inbox, "chi_ngan_sach_202610.csv", _good_csv_text()),
}
RULES = {
    "wrong encoding": "wrong encoding: not UTF-8",
    "missing column": "missing or renamed column: thuc_hien_luy_ke",
    "renamed column": "missing or renamed column: du_toan_nam",
    "text in a number column": "invalid value: row 2, column du_toan_nam: not a number",
    "negative amount": "negative amount: row 2: thuc_hien_luy_ke: -98765.25 is below 0",
    "totals do not reconcile": "totals do not reconcile: column du_toan_nam",
    "period does not match": (
        "period does not match the file name: row 2: ky_bao_cao '2026-10' is not the period of the file name (202611)"
    ),
    "empty file": "empty file",
    "header only": "empty file: no data rows",
    "xlsx not a workbook": "wrong encoding: not a readable XLSX workbook",
    "bad file name": "bad file name",
    "unknown dataset": "unknown dataset",
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_file_breaking_the_contract_is_quarantined_with_a_one_line_reason(case, inbox, data_paths):
    bad = BAD_FILES[case](inbox)
    good = write_budget_csv(inbox, "202609")  # another period: a bad file never stops a good one
    outcomes = {o["file"]: o for o in land_finance_inbox(inbox, data_paths)}
    assert outcomes[good.name]["status"] == "landed"
    outcome = outcomes[bad.name]
    assert outcome["status"] == "quarantined"
    reason = outcome["reason"]
    assert reason.startswith(f"{bad.name}: {RULES[case]}"), reason
    assert "\n" not in reason
    # The file sits in quarantine beside its one-line reason, with an ops.quarantine record …
    moved = data_paths.quarantine / "finance" / bad.name
    assert moved.exists()
    assert (data_paths.quarantine / "finance" / f"{bad.name}.reason").read_text(encoding="utf-8") == reason + "\n"
    [record] = list(ops.read_records(data_paths, "quarantine"))
    assert {record[k] for k in ("source", "ref", "reason")} == {"finance", bad.name, reason}
    assert record["landed_at"]
    # … and nothing from it landed: only the good file's period has a batch.
    landed = [p.name for p in data_paths.landing.rglob("batch=*")]
    assert landed == ["batch=202609"]
    assert not [p for p in inbox.iterdir() if p.is_file()] and not list((inbox / PROCESSING).iterdir())


def test_claiming_ignores_hidden_files_and_folders(inbox):
    (inbox / ".thu_ngan_sach_202610.csv.tmp").write_text("partial")
    (inbox / "reference").mkdir()
    write_budget_csv(inbox, "202610")
    assert [p.name for p in claim_files(inbox)] == ["thu_ngan_sach_202610.csv"]
    assert claim_files(inbox) == []
