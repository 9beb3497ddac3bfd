from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import Counter
from datetime import datetime, time
from pathlib import Path

from parmetrics.lab.simulators.dossier_data import DossierDataConfig, read_meta, write_dossier_db
from parmetrics.lab.simulators.province import PROCEDURES_BY_CODE, UNITS_BY_CODE, Catalogue
from parmetrics.sources.dossier_records import DOSSIER_FIELDS, EVENT_FIELDS
from parmetrics.timestamps import parse_ts
from parmetrics.workcalendar import add_working_days, is_working_day

END = DossierDataConfig().end
CATALOGUE_AS_OF = Catalogue(DossierDataConfig().start.date(), END.date())
TS_FIELDS = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayDongBoDVCQG")


def _payload_digest(db: Path) -> str:
    conn = sqlite3.connect(db)
    digest = hashlib.sha256()
    for table in ("dossiers", "dossier_events"):
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


def test_same_seed_gives_identical_data_and_another_seed_differs(tmp_path: Path):
    config = DossierDataConfig(seed=11, n_dossiers=300)
    a = write_dossier_db(tmp_path / "a", config)
    b = write_dossier_db(tmp_path / "b", config)
    c = write_dossier_db(tmp_path / "c", DossierDataConfig(seed=12, n_dossiers=300))
    assert _payload_digest(a) == _payload_digest(b)
    assert a.read_bytes() == b.read_bytes()
    assert _payload_digest(a) != _payload_digest(c)


def test_dataset_size_and_every_status(default_db: Path, dossiers: list[dict]):
    assert len(dossiers) == DossierDataConfig().n_dossiers
    statuses = Counter(d["TrangThaiHoSo"] for d in dossiers)
    assert set(statuses) == set(range(1, 11))
    assert statuses[10] > len(dossiers) / 2  # most dossiers are long finished
    assert read_meta(default_db)["dossiers"] == str(len(dossiers))


def test_every_field_present_with_contract_types(dossiers: list[dict]):
    for d in dossiers:
        assert tuple(d) == DOSSIER_FIELDS, d["MaHoSo"]
        assert isinstance(d["MaHoSo"], str) and d["MaDonVi"] in UNITS_BY_CODE
        assert isinstance(d["MaTTHC"], str)
        assert d["KenhThucHien"] in (None, 1, 2, 3)
        assert d["LoaiDoiTuong"] in (1, 2)
        assert d["DuocThanhToanTrucTuyen"] in (0, 1, 2)
        assert d["MucDoHaiLong"] in (None, 1, 2, 3)
        assert d["TaiKhoanDuocXacThucVoiVNeID"] in (0, 1)
        for name in (*TS_FIELDS, "NgayCapNhat"):
            assert d[name] is None or parse_ts(d[name]) is not None
        assert parse_ts(d["NgayCapNhat"]) < END
        assert isinstance(d["ChuHoSo"], str) and isinstance(d["DiaChi"], str)
        assert re.fullmatch(r"0\d{9}", d["SoDienThoai"])
        if d["SoDinhDanh"] is not None:
            assert re.fullmatch(r"\d{12}" if d["LoaiDoiTuong"] == 1 else r"\d{10}", d["SoDinhDanh"])
        for fee in d["DanhSachLePhi"]:
            assert set(fee) == {"MaPhiLePhi", "Gia"} and isinstance(fee["Gia"], int | float)
        for part in d["TaiLieuNop"]:
            assert set(part) == {"MaThanhPhanHoSo", "DuongDanTaiTepTin", "DuocSoHoa", "TaiSuDung", "DuocLayTuKhoDMQG"}
            assert {part["DuocSoHoa"], part["TaiSuDung"], part["DuocLayTuKhoDMQG"]} <= {0, 1}
        for result in d["DanhSachGiayToKetQua"]:
            assert set(result) == {"MaGiayTo", "DuongDanTepTinKetQua"}
        for s in d["DanhSachHoSoBoSung"]:
            assert set(s) == {"NgayYeuCauBoSung", "NgayTiepNhanBoSung"}
        for a in d["DanhSachPhieuXinLoi"]:
            assert set(a) == {"NgayXinLoi", "NgayHenTraMoi", "LyDo"} and parse_ts(a["NgayHenTraMoi"])
        if d["TrangThaiHoSo"] in (1, 3):
            assert d["NgayTiepNhan"] is None
        if d["TrangThaiHoSo"] in (2, 4, 5, 6, 8, 9, 10):
            assert d["NgayTiepNhan"] is not None


def test_record_changes_are_all_before_its_update_time(dossiers: list[dict]):
    for d in dossiers:
        updated = d["NgayCapNhat"]
        for name in ("NgayNopHoSo", "NgayTiepNhan", "NgayKetThucXuLy", "NgayDongBoDVCQG"):
            assert d[name] is None or d[name] <= updated, (d["MaHoSo"], name)


def test_in_person_acceptance_only_in_office_hours_on_working_days(dossiers: list[dict]):
    in_person = [d for d in dossiers if d["KenhThucHien"] in (None, 1) and d["NgayTiepNhan"]]
    assert len(in_person) > 300
    for d in in_person:
        accepted = parse_ts(d["NgayTiepNhan"])
        assert is_working_day(accepted.date()), d["MaHoSo"]
        assert time(7, 30) <= accepted.time() <= time(17, 0), d["MaHoSo"]


def test_due_date_is_acceptance_plus_time_limit_in_working_days(dossiers: list[dict]):
    with_due = [d for d in dossiers if d["NgayHenTra"] is not None]
    assert with_due
    for d in with_due:
        accepted, due = parse_ts(d["NgayTiepNhan"]), parse_ts(d["NgayHenTra"])
        limit = CATALOGUE_AS_OF.time_limit(PROCEDURES_BY_CODE[d["MaTTHC"]], accepted.date())
        assert due.date() == add_working_days(accepted.date(), limit), d["MaHoSo"]
    accepted = [d for d in dossiers if d["NgayTiepNhan"] is not None]
    assert 0 < sum(d["NgayHenTra"] is None for d in accepted) < 0.1 * len(accepted)


def test_events_form_a_consistent_history(dossiers: list[dict], events: list[dict]):
    by_dossier: dict[str, list[dict]] = {}
    for e in events:
        assert tuple(e) == EVENT_FIELDS
        assert e["TrangThai"] in range(1, 11)
        by_dossier.setdefault(e["MaHoSo"], []).append(e)
    assert set(by_dossier) == {d["MaHoSo"] for d in dossiers}
    for d in dossiers:
        history = sorted(by_dossier[d["MaHoSo"]], key=lambda e: e["STT"])
        assert [e["STT"] for e in history] == list(range(1, len(history) + 1))
        recorded = [e["ThoiDiemGhiNhan"] for e in history]
        assert recorded == sorted(recorded)
        assert history[0]["TrangThai"] == 1
        assert history[-1]["TrangThai"] == d["TrangThaiHoSo"] or d["NgayKetThucXuLy"] is not None
        assert max(recorded) <= d["NgayCapNhat"] < END.strftime("%Y%m%d%H%M%S")


def test_data_exercises_every_timeliness_rule(dossiers: list[dict], events: list[dict]):
    """Each situation METRICS.md §2 distinguishes occurs at least once."""
    due = {d["MaHoSo"]: d["NgayHenTra"] for d in dossiers}
    finished = [d for d in dossiers if d["NgayKetThucXuLy"] and d["NgayHenTra"]]
    early = [d for d in finished if d["NgayKetThucXuLy"][:8] < d["NgayHenTra"][:8]]
    on_time = [d for d in finished if d["NgayKetThucXuLy"][:8] == d["NgayHenTra"][:8]]
    late = [d for d in finished if d["NgayKetThucXuLy"] > d["NgayHenTra"]]
    pending = [d for d in dossiers if d["TrangThaiHoSo"] in (2, 4, 5, 6) and not d["NgayKetThucXuLy"]]
    pending_late = [d for d in pending if d["NgayHenTra"] and parse_ts(d["NgayHenTra"]) < END]
    assert len(early) > len(on_time) > len(late) > 0
    assert pending and pending_late
    backdated = [
        e
        for e in events
        if e["TrangThai"] == 9 and due[e["MaHoSo"]] and e["ThoiDiemXuLy"] <= due[e["MaHoSo"]] < e["ThoiDiemGhiNhan"]
    ]
    assert backdated
    supplements = Counter(len(d["DanhSachHoSoBoSung"]) for d in dossiers)
    assert supplements[1] and supplements[2]
    assert any(s["NgayTiepNhanBoSung"] is None for d in dossiers for s in d["DanhSachHoSoBoSung"])
    assert any(d["DanhSachPhieuXinLoi"] for d in dossiers)
    assert any(len(d["DanhSachPhieuXinLoi"]) > 1 for d in dossiers)
    parts = [p for d in dossiers for p in d["TaiLieuNop"]]
    assert any(p["DuongDanTaiTepTin"] is None for p in parts) and any(p["DuongDanTaiTepTin"] for p in parts)
    assert any(p["TaiSuDung"] for p in parts) and any(p["DuocLayTuKhoDMQG"] for p in parts)
    results = [r for d in dossiers for r in d["DanhSachGiayToKetQua"]]
    assert any(r["DuongDanTepTinKetQua"] is None for r in results) and any(r["DuongDanTepTinKetQua"] for r in results)
    assert {d["DuocThanhToanTrucTuyen"] for d in dossiers} == {0, 1, 2}
    assert {d["MucDoHaiLong"] for d in dossiers} == {None, 1, 2, 3}
    assert {d["KenhThucHien"] for d in dossiers} == {None, 1, 2, 3}
    assert any(d["TaiKhoanDuocXacThucVoiVNeID"] for d in dossiers)
    assert any(d["NgayDongBoDVCQG"] for d in dossiers) and any(
        d["NgayTiepNhan"] and not d["NgayDongBoDVCQG"] for d in dossiers
    )
    assert any(d["SoDinhDanh"] is None for d in dossiers)
    assert any(not PROCEDURES_BY_CODE[d["MaTTHC"]].in_catalogue for d in dossiers)
    # Submitted online before acceptance, on a day off.
    assert any(
        d["KenhThucHien"] == 2 and d["NgayTiepNhan"] and not is_working_day(parse_ts(d["NgayNopHoSo"]).date())
        for d in dossiers
    )
    # Districts and old communes stop receiving after the 2025 reorganisation.
    after = [d for d in dossiers if d["NgayNopHoSo"] >= "20250701"]
    assert after and all(UNITS_BY_CODE[d["MaDonVi"]].valid_to is None for d in after)
    assert datetime(2024, 1, 1) <= min(parse_ts(d["NgayNopHoSo"]) for d in dossiers)
