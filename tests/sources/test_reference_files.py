from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parmetrics.config import Paths
from parmetrics.lab.simulators.province import UNITS
from parmetrics.lab.simulators.reference_files import write_don_vi_file
from parmetrics.landing.schemas import UNITS as UNITS_SCHEMA
from parmetrics.sources.reference_files import land_reference_file


def _landed(paths: Paths, month: str) -> list[dict]:
    return pq.read_table(
        paths.dataset_landing("reference", "don_vi") / f"batch={month}", schema=UNITS_SCHEMA
    ).to_pylist()


def test_simulated_file_is_in_the_contract_dialect(tmp_path: Path):
    path = write_don_vi_file(tmp_path / "reference", "202611")
    raw = path.read_bytes()
    assert path.name == "don_vi_202611.csv"
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw[3:].decode("utf-8").splitlines()
    assert lines[0] == "ma_don_vi;ten_don_vi;cap;ma_don_vi_cha;hieu_luc_tu;hieu_luc_den;ma_don_vi_ke_thua"
    assert "H30;UBND tỉnh Hòa Bình;tinh;;1991-10-01;;" in lines
    assert any(line.startswith("H30.20.01;UBND xã Ân Nghĩa;xa;H30.20;1991-10-01;2025-06-30;H30.50") for line in lines)


def test_good_file_lands_as_the_month_snapshot(tmp_path: Path):
    paths = Paths(tmp_path / "data")
    path = write_don_vi_file(tmp_path / "reference", "202611")
    outcome = land_reference_file(path, paths)
    rows = _landed(paths, "202611")
    assert outcome["status"] == "landed"
    assert outcome["rows"] == len(rows) == len(UNITS)
    by_code = {r["ma_don_vi"]: r for r in rows}
    assert by_code["H30.01"]["ten_don_vi"] == "Sở Tư pháp"
    assert by_code["H30.20"] == {
        "ma_don_vi": "H30.20",
        "ten_don_vi": "UBND huyện Lạc Sơn",
        "cap": "huyen",
        "ma_don_vi_cha": "H30",
        "hieu_luc_tu": date(1991, 10, 1),
        "hieu_luc_den": date(2025, 6, 30),
        "ma_don_vi_ke_thua": None,
        "_snapshot_month": "202611",
        "_source_file": "don_vi_202611.csv",
    }
    # Dossier units are all in the reference file.
    assert {u.code for u in UNITS} == set(by_code)


def test_snapshot_before_the_reorganisation_lacks_the_new_communes(tmp_path: Path):
    paths = Paths(tmp_path / "data")
    land_reference_file(write_don_vi_file(tmp_path / "reference", "202401"), paths)
    assert "H30.50" not in {r["ma_don_vi"] for r in _landed(paths, "202401")}


def test_a_resend_replaces_its_month_and_an_older_version_changes_nothing(tmp_path: Path):
    paths = Paths(tmp_path / "data")
    reference = tmp_path / "reference"
    v1 = write_don_vi_file(reference, "202611")
    original = v1.read_bytes()
    v2 = reference / "don_vi_202611_v2.csv"
    v2.write_bytes(original.replace("Sở Tư pháp".encode(), "Sở Tư pháp tỉnh Hòa Bình".encode()))
    land_reference_file(v1, paths)
    assert land_reference_file(v2, paths)["rows"] == len(UNITS)
    v1.write_bytes(original)  # the first send arrives again, late
    assert land_reference_file(v1, paths)["status"] == "superseded"
    rows = {r["ma_don_vi"]: r for r in _landed(paths, "202611")}
    assert rows["H30.01"]["ten_don_vi"] == "Sở Tư pháp tỉnh Hòa Bình"
    assert rows["H30.01"]["_source_file"] == "don_vi_202611_v2.csv"


def test_bom_is_optional(tmp_path: Path):
    path = write_don_vi_file(tmp_path / "reference", "202611")
    path.write_bytes(path.read_bytes()[3:])
    assert land_reference_file(path, Paths(tmp_path / "data"))["rows"] == len(UNITS)


def _variant(tmp_path: Path, name: str, edit) -> Path:
    good = write_don_vi_file(tmp_path / "good", "202611").read_bytes().decode("utf-8-sig")
    path = tmp_path / name
    path.write_text(edit(good), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "edit", "rule"),
    [
        (
            "don_vi_202611.csv",
            lambda t: t.replace("ma_don_vi_ke_thua", "ke_thua"),
            "missing or renamed column: ma_don_vi_ke_thua",
        ),
        (
            "don_vi_202611.csv",
            lambda t: t.replace("2025-06-30", "30/06/2025", 1),
            "invalid value: row 22, column hieu_luc_den: not an ISO date (YYYY-MM-DD): '30/06/2025'",
        ),
        (
            "don_vi_202611.csv",
            lambda t: t.replace(";so;", ";sở;", 1),
            "invalid value: row 3: cap: unknown code 'sở' (expected one of tinh, so, huyen, xa)",
        ),
        ("don_vi_202611.csv", lambda t: "", "empty file"),
        ("don_vi_202611.csv", lambda t: t.splitlines()[0] + "\n", "empty file: no data rows"),
        ("don_vi_202611.csv", lambda t: t.replace("\nH30;", "\n;", 1), "missing value: row 2: ma_don_vi is missing"),
        ("don_vi_2026.csv", lambda t: t, "bad file name: expected <dataset>_<YYYYMM>[_v<N>].<csv|xlsx>"),
    ],
)
def test_a_file_breaking_the_contract_is_refused_with_a_reason(tmp_path: Path, name, edit, rule):
    path = _variant(tmp_path, name, edit)
    paths = Paths(tmp_path / "data")
    outcome = land_reference_file(path, paths)
    assert outcome["status"] == "quarantined"
    assert outcome["reason"] == f"{path.name}: {rule}"
    assert not list(paths.root.rglob("*.parquet"))


def test_non_utf8_file_is_refused(tmp_path: Path):
    path = write_don_vi_file(tmp_path / "reference", "202611")
    path.write_bytes(path.read_bytes()[3:].decode("utf-8").encode("cp1258", errors="replace"))
    outcome = land_reference_file(path, Paths(tmp_path / "data"))
    assert outcome["reason"].startswith("don_vi_202611.csv: wrong encoding: not UTF-8")
