"""Finance file drops: contract dialect, totals that reconcile, year-to-date figures, deterministic
bytes, and a catalogue of bad files each breaking exactly its rule (checked by an independent reader)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from parmetrics.lab.simulators.finance_files import (
    AMOUNTS,
    BAD_FILE_RULES,
    COLUMNS,
    DATASETS,
    bad_finance_files,
    vn_format,
    write_finance_file,
    write_finance_history,
)

VN_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$")
NAME = re.compile(r"^(?P<dataset>[a-z_]+?)_(?P<period>\d{6})(?:_v\d+)?\.(?P<ext>csv|xlsx)$")


def _number(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if not VN_NUMBER.match(str(value)):
        raise ValueError(value)
    return float(str(value).replace(".", "").replace(",", "."))


def violations(path: Path) -> set[str]:
    """An independent reading of SOURCES.md §3: the set of rules the file breaks."""
    m = NAME.match(path.name)
    assert m, path.name
    dataset, period, ext = m["dataset"], m["period"], m["ext"]
    raw = path.read_bytes()
    if not raw:
        return {"empty_file"}
    total = None
    if ext == "csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return {"wrong_encoding"}
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r]
    else:
        sheet = load_workbook(path, read_only=True).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True) if any(c is not None for c in r)]
        h = next(i for i, r in enumerate(rows[:6]) if r[0] == "ky_bao_cao")
        rows = rows[h:]
        if rows[-1][0] == "Tổng cộng":
            total = rows.pop()
    header = list(rows[0])
    broken = set()
    expected = COLUMNS[dataset]
    if set(expected) - set(header):
        extra = set(header) - set(expected)
        broken.add("renamed_column" if extra else "missing_column")
        return broken
    index = {c: header.index(c) for c in expected}
    sums = dict.fromkeys(AMOUNTS[dataset], 0.0)
    for row in rows[1:]:
        if row[index["ky_bao_cao"]] != f"{period[:4]}-{period[4:]}":
            broken.add("period_does_not_match_name")
        for c in AMOUNTS[dataset]:
            try:
                value = _number(row[index[c]])
            except ValueError:
                broken.add("text_in_number_column")
                continue
            if value < 0:
                broken.add("negative_amount")
            sums[c] += value
    if total is not None:
        for c in AMOUNTS[dataset]:
            if abs(sums[c] - _number(total[index[c]])) > 0.005:
                broken.add("totals_do_not_reconcile")
    return broken


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_finance_history(tmp_path_factory.mktemp("inbox"), date(2024, 1, 1), date(2025, 9, 1), seed=9)


def test_vietnamese_number_format():
    assert vn_format(1234567.891) == "1.234.567,89"
    assert vn_format(0.5) == "0,50"
    assert vn_format(12) == "12"
    assert vn_format(-1234.5) == "-1.234,50"


def test_history_is_monthly_in_both_formats_and_every_file_is_good(history: list[Path]):
    names = {p.name for p in history}
    for dataset in DATASETS:
        months = {NAME.match(n)["period"] for n in names if n.startswith(dataset + "_2")}
        assert len(months) == 20  # 2024-01 … 2025-08
    assert {p.suffix for p in history} == {".csv", ".xlsx"}
    assert any(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in history if p.suffix == ".csv")
    for path in history:
        assert violations(path) == set(), path.name


def test_xlsx_has_title_rows_and_a_total_row_that_reconciles(history: list[Path]):
    workbooks = [p for p in history if p.suffix == ".xlsx"]
    assert workbooks
    for path in workbooks:
        rows = [r for r in load_workbook(path).worksheets[0].iter_rows(values_only=True) if any(r)]
        assert str(rows[0][0]).startswith("UBND TỈNH") and rows[1][0].startswith("BÁO CÁO")
        assert rows[-1][0] == "Tổng cộng"
        header = list(rows[3])
        dataset = NAME.match(path.name)["dataset"]
        for column in AMOUNTS[dataset]:
            i = header.index(column)
            assert sum(r[i] for r in rows[4:-1]) == pytest.approx(rows[-1][i], abs=0.005)


def test_year_to_date_figures_grow_within_a_year_and_restart(tmp_path: Path):
    def actual(month: str) -> float:
        path = write_finance_file(tmp_path, "thu_ngan_sach", month, "csv")
        rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
        return sum(_number(r["thuc_hien_luy_ke"]) for r in rows)

    year = [actual(f"2024{m:02d}") for m in range(1, 13)]
    assert year == sorted(year) and year[-1] > 5 * year[0]
    assert actual("202501") < year[-1] / 3


def test_finance_files_are_byte_identical_for_a_seed(tmp_path: Path):
    import time

    for fmt in ("csv", "xlsx"):
        a = write_finance_file(tmp_path / "a", "giai_ngan_dau_tu_cong", "202512", fmt, seed=1).read_bytes()
        time.sleep(1.1 if fmt == "xlsx" else 0)  # another save time must not change the bytes
        b = write_finance_file(tmp_path / "b", "giai_ngan_dau_tu_cong", "202512", fmt, seed=1).read_bytes()
        c = write_finance_file(tmp_path / "c", "giai_ngan_dau_tu_cong", "202512", fmt, seed=2).read_bytes()
        assert a == b and a != c


def test_a_corrected_resend_is_a_new_version_that_differs(tmp_path: Path):
    first = write_finance_file(tmp_path, "thu_ngan_sach", "202503", "csv")
    second = write_finance_file(tmp_path, "thu_ngan_sach", "202503", "csv", version=2)
    assert second.name == "thu_ngan_sach_202503_v2.csv" and first.read_bytes() != second.read_bytes()


def test_district_areas_give_way_to_new_communes(tmp_path: Path):
    def areas(month: str) -> set[str]:
        path = write_finance_file(tmp_path, "dang_ky_doanh_nghiep", month, "csv")
        return {
            r["ma_don_vi_hanh_chinh"] for r in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")), delimiter=";")
        }

    before, after = areas("202506"), areas("202507")
    assert len(before) == 10 and len(after) == 50 and not before & after


def test_every_bad_file_breaks_exactly_its_rule(tmp_path: Path):
    bad = bad_finance_files(tmp_path)
    assert [b.rule for b in bad] == list(BAD_FILE_RULES)
    assert len({b.path.name for b in bad}) == len(bad)
    for b in bad:
        assert b.path.parent == tmp_path and b.description
        assert violations(b.path) == {b.rule}, b.path.name
