"""Reference snapshots: units with the 2025 reorganisation, the catalogue as of each month, website listings."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from parmetrics.lab.simulators.reference_files import (
    DON_VI_COLUMNS,
    NIEM_YET_COLUMNS,
    THU_TUC_COLUMNS,
    write_niem_yet_file,
    write_reference_files,
)


def _read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8")), delimiter=";"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reference")
    write_reference_files(folder, date(2024, 1, 1), date(2026, 11, 20), seed=3)
    return folder


def test_snapshots_every_january_july_and_the_end_month(reference: Path):
    names = sorted(p.name for p in reference.iterdir())
    months = ["202401", "202407", "202501", "202507", "202601", "202607", "202611"]
    for dataset in ("don_vi", "thu_tuc_hanh_chinh", "niem_yet_website"):
        assert [n for n in names if n.startswith(dataset + "_")] == [f"{dataset}_{m}.csv" for m in months]


def test_units_reorganise_and_every_successor_exists(reference: Path):
    newest = _read(reference / "don_vi_202611.csv")
    assert list(newest[0]) == list(DON_VI_COLUMNS)
    codes = {r["ma_don_vi"] for r in newest}
    successors = {r["ma_don_vi_ke_thua"] for r in newest if r["ma_don_vi_ke_thua"]}
    assert len(successors) == 50 and successors <= codes
    ceased = [r for r in newest if r["hieu_luc_den"]]
    assert {r["cap"] for r in ceased} == {"huyen", "xa"} and all(r["hieu_luc_den"] == "2025-06-30" for r in ceased)
    assert all(r["ma_don_vi_ke_thua"] == "" for r in ceased if r["cap"] == "huyen")
    before = {r["ma_don_vi"] for r in _read(reference / "don_vi_202501.csv")}
    assert successors.isdisjoint(before) and before < codes


def test_catalogue_as_of_each_month(reference: Path):
    old, new = _read(reference / "thu_tuc_hanh_chinh_202401.csv"), _read(reference / "thu_tuc_hanh_chinh_202611.csv")
    assert list(new[0]) == list(THU_TUC_COLUMNS)
    assert 1300 < len(old) < len(new) <= 1500
    assert {r["cap_thuc_hien"] for r in old} == {"tinh", "huyen", "xa"}
    assert {r["cap_thuc_hien"] for r in new} == {"tinh", "xa"}  # district procedures went to the communes
    assert {r["du_dieu_kien_toan_trinh"] for r in new} == {"true", "false"}
    limits_old = {r["ma_tthc"]: r["thoi_han_ngay_lam_viec"] for r in old}
    assert any(limits_old.get(r["ma_tthc"], r["thoi_han_ngay_lam_viec"]) != r["thoi_han_ngay_lam_viec"] for r in new)
    assert sum(bool(r["ngay_het_hieu_luc"]) for r in new) > sum(bool(r["ngay_het_hieu_luc"]) for r in old) > 0
    assert any(r["ngay_cong_khai_csdl"] == "" for r in new) and any(r["day_du_bo_phan"] == "false" for r in new)
    assert all(r["ngay_het_hieu_luc"] <= "2024-01-31" for r in old if r["ngay_het_hieu_luc"])


def test_some_units_still_list_expired_procedures(reference: Path):
    listing = _read(reference / "niem_yet_website_202611.csv")
    catalogue = {r["ma_tthc"]: r for r in _read(reference / "thu_tuc_hanh_chinh_202611.csv")}
    assert list(listing[0]) == list(NIEM_YET_COLUMNS)
    expired = [
        r
        for r in listing
        if catalogue[r["ma_tthc"]]["ngay_het_hieu_luc"]
        and catalogue[r["ma_tthc"]]["ngay_het_hieu_luc"] < r["ngay_kiem_tra"]
    ]
    units = {r["ma_don_vi"] for r in listing}
    assert expired and len({r["ma_don_vi"] for r in expired}) < len(units)
    assert all(r["ngay_kiem_tra"].startswith("2026-11") for r in listing)
    assert not any(u.startswith("H30.2") for u in units)  # districts and old communes have no website now


def test_same_seed_same_bytes(tmp_path: Path, reference: Path):
    again = write_niem_yet_file(tmp_path, "202611", seed=3).read_bytes()
    other = write_niem_yet_file(tmp_path / "other", "202611", seed=4).read_bytes()
    assert again == (reference / "niem_yet_website_202611.csv").read_bytes() != other
