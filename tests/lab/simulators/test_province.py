"""The realistic province (2019 → 2026-11-20): the realism claims of issue 3, checked with numbers."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa

from parmetrics.lab.simulators.dossier_data import DossierDataConfig, adoption
from parmetrics.lab.simulators.province import (
    CATALOGUE,
    PROCEDURES,
    PROCEDURES_BY_CODE,
    REORGANISATION_END,
    UNITS,
    UNITS_BY_CODE,
    Catalogue,
    procedure_state,
    unit_profiles,
)
from parmetrics.landing.schemas import DOSSIER_EVENTS, DOSSIER_PERSONAL_FIELDS, DOSSIERS
from parmetrics.sources.dossier_records import dossier_row, event_row
from parmetrics.timestamps import parse_ts
from parmetrics.workcalendar import add_working_days, is_working_day

CONFIG = DossierDataConfig.province(seed=7, dossiers_per_year=1500)
CATALOGUE_AS_OF = Catalogue(CONFIG.start.date(), CONFIG.end.date())


def _by_year(dossiers: list[dict], field: str = "NgayNopHoSo") -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = defaultdict(list)
    for d in dossiers:
        out[int(d[field][:4])].append(d)
    return out


def test_units_of_the_province_and_its_reorganisation():
    levels = Counter(u.level for u in UNITS)
    assert levels["tinh"] == 1 and levels["so"] == 19 and levels["huyen"] == 10
    old = [u for u in UNITS if u.level == "xa" and u.valid_to == REORGANISATION_END]
    new = [u for u in UNITS if u.level == "xa" and u.valid_to is None]
    assert len(old) == 150 and len(new) == 50
    assert all(u.successor in UNITS_BY_CODE and UNITS_BY_CODE[u.successor] in new for u in old)
    assert {u.successor for u in old} == {u.code for u in new}
    assert all(u.successor is None for u in UNITS if u.level == "huyen")
    assert all(u.valid_to is None for u in UNITS if u.level in ("so", "tinh"))
    for day in (date(2025, 6, 30), date(2025, 7, 1)):
        valid = [u for u in UNITS if u.valid_on(day)]
        assert len({u.name for u in valid}) == len(valid)  # names are unique at any one time
    assert all(any(ord(c) > 127 for c in u.name) for u in UNITS)  # Vietnamese, with diacritics


def test_catalogue_has_every_kind_of_procedure():
    assert 1400 <= len(CATALOGUE) <= 1600
    assert {p.level for p in CATALOGUE} == {"tinh", "huyen", "xa"}
    assert {p.online_level for p in CATALOGUE} == {"toan_trinh", "mot_phan", "khong"}
    assert any(p.expires_on for p in CATALOGUE) and any(p.published_db_on is None for p in CATALOGUE)
    assert any(not p.complete_parts for p in CATALOGUE)
    assert any(p.fee_vnd for p in CATALOGUE) and any(not p.result_is_document for p in CATALOGUE)
    assert any(not p.in_catalogue for p in PROCEDURES)
    changed = [p for p in CATALOGUE if p.new_time_limit_days and p.new_time_limit_days != p.time_limit_days]
    assert changed  # so the catalogue "as of" a dossier matters
    p = changed[0]
    before = f"{p.changed_on.year - 1}01"
    after = f"{p.changed_on.year + 1}12"
    if procedure_state(p, before) is not None:
        assert procedure_state(p, before).time_limit_days == p.time_limit_days
    assert procedure_state(p, after).time_limit_days == p.new_time_limit_days
    # After the reorganisation, district-level procedures are the communes'.
    district = next(p for p in CATALOGUE if p.level == "huyen")
    assert procedure_state(district, "202612").level == "xa"


def test_the_2024_make_up_saturday_is_a_working_day():
    assert is_working_day(date(2024, 5, 4)) and not is_working_day(date(2024, 5, 5))


def test_volume_spans_2019_to_the_end_with_seasonality(province_dossiers: list[dict]):
    assert abs(len(province_dossiers) - CONFIG.total) == 0
    years = _by_year(province_dossiers)
    assert min(years) == 2019 and max(years) == 2026
    assert all(1200 <= len(years[y]) <= 2200 for y in range(2019, 2026))
    months = Counter(d["NgayNopHoSo"][4:6] for d in province_dossiers if d["NgayNopHoSo"] < "2026")
    assert months["12"] > 1.2 * months["02"]  # year-end peak, Tết dip
    assert max(parse_ts(d["NgayCapNhat"]) for d in province_dossiers) < CONFIG.end


def test_no_in_person_acceptance_on_a_day_off_or_outside_office_hours(province_dossiers: list[dict]):
    in_person = [d for d in province_dossiers if d["KenhThucHien"] in (None, 1) and d["NgayTiepNhan"]]
    assert len(in_person) > 3000
    for d in in_person:
        accepted = parse_ts(d["NgayTiepNhan"])
        assert is_working_day(accepted.date()) and accepted.weekday() != 6, d["MaHoSo"]
        assert time(7, 30) <= accepted.time() <= time(17, 0), d["MaHoSo"]
    online = [d for d in province_dossiers if d["KenhThucHien"] == 2]
    assert any(not is_working_day(parse_ts(d["NgayNopHoSo"]).date()) for d in online)


def test_every_due_date_is_acceptance_plus_the_catalogue_time_limit(province_dossiers: list[dict]):
    with_due = [d for d in province_dossiers if d["NgayHenTra"]]
    assert len(with_due) > 8000
    differs_from_today = 0
    for d in with_due:
        accepted, due = parse_ts(d["NgayTiepNhan"]), parse_ts(d["NgayHenTra"])
        procedure = PROCEDURES_BY_CODE[d["MaTTHC"]]
        limit = CATALOGUE_AS_OF.time_limit(procedure, accepted.date())
        assert due.date() == add_working_days(accepted.date(), limit), d["MaHoSo"]
        state = procedure_state(procedure, CATALOGUE_AS_OF.month_for(accepted.date()))
        if state is not None:
            assert limit == state.time_limit_days
        today = procedure_state(procedure, "202611")
        differs_from_today += today is not None and today.time_limit_days != limit
    assert differs_from_today > 0  # today's catalogue would give a different due date
    accepted = [d for d in province_dossiers if d["NgayTiepNhan"]]
    assert 0.01 < sum(d["NgayHenTra"] is None for d in accepted) / len(accepted) < 0.06


def test_online_share_online_payment_and_digitisation_rise_year_on_year(province_dossiers: list[dict]):
    years = _by_year(province_dossiers)
    online = [sum(d["KenhThucHien"] == 2 for d in years[y]) / len(years[y]) for y in range(2019, 2027)]
    assert online == sorted(online) and online[0] < 0.2 and online[-1] > 0.5
    paid = []
    for y in range(2019, 2027):
        fee = [d for d in years[y] if sum(f["Gia"] for f in d["DanhSachLePhi"]) > 0]
        paid.append(sum(d["DuocThanhToanTrucTuyen"] > 0 for d in fee) / len(fee))
    assert paid[-1] > 3 * paid[0] and paid[3] < paid[5] < paid[7]

    def digitised(d: dict) -> bool:
        return bool(d["TaiLieuNop"]) and all(
            p["DuocSoHoa"] or p["TaiSuDung"] or p["DuocLayTuKhoDMQG"] for p in d["TaiLieuNop"]
        )

    rate = {y: sum(digitised(d) for d in years[y]) / len(years[y]) for y in years}
    assert rate[2021] < rate[2023] < rate[2025]
    vneid = {y: sum(d["TaiKhoanDuocXacThucVoiVNeID"] for d in years[y]) for y in years}
    assert vneid[2020] == 0 and vneid[2025] > 0
    assert adoption(date(2019, 1, 1)) == 0 and adoption(date(2026, 12, 31)) == 1


def test_a_chronically_late_unit_is_at_least_three_times_the_median(province_dossiers: list[dict]):
    finished: Counter = Counter()
    late: Counter = Counter()
    for d in province_dossiers:
        if d["NgayKetThucXuLy"] and d["NgayHenTra"] and not d["DanhSachHoSoBoSung"]:
            finished[d["MaDonVi"]] += 1
            late[d["MaDonVi"]] += d["NgayKetThucXuLy"] > d["NgayHenTra"]
    rates = {u: late[u] / n for u, n in finished.items() if n >= 40}
    assert len(rates) >= 20
    median = statistics.median(rates.values())
    assert 0 < median < 0.1
    assert max(rates.values()) >= 3 * median
    chronic = {c for c, p in unit_profiles(7).items() if p.late_factor >= 5}
    assert len(chronic) == 3


def test_districts_stop_and_communes_move_to_their_successors(province_dossiers: list[dict]):
    after = [d for d in province_dossiers if d["NgayNopHoSo"] >= "20250701"]
    before = [d for d in province_dossiers if d["NgayNopHoSo"] < "20250701"]
    assert after and all(UNITS_BY_CODE[d["MaDonVi"]].valid_to is None for d in after)
    assert any(UNITS_BY_CODE[d["MaDonVi"]].level == "huyen" for d in before)
    assert all(UNITS_BY_CODE[d["MaDonVi"]].valid_from.year < 2025 for d in before)
    new_communes = {d["MaDonVi"] for d in after if UNITS_BY_CODE[d["MaDonVi"]].level == "xa"}
    assert len(new_communes) > 25
    # Long-running district dossiers still finish after the reorganisation.
    assert any(
        UNITS_BY_CODE[d["MaDonVi"]].level == "huyen" and (d["NgayKetThucXuLy"] or "") >= "20250701" for d in before
    )


def test_every_situation_of_the_criteria_occurs(province_dossiers: list[dict], province_events: list[dict]):
    due = {d["MaHoSo"]: d["NgayHenTra"] for d in province_dossiers}
    assert any(
        e["TrangThai"] == 9 and due[e["MaHoSo"]] and e["ThoiDiemXuLy"] <= due[e["MaHoSo"]] < e["ThoiDiemGhiNhan"]
        for e in province_events
    )
    supplements = Counter(len(d["DanhSachHoSoBoSung"]) for d in province_dossiers)
    assert supplements[1] > supplements[2] > 0
    apologies = Counter(len(d["DanhSachPhieuXinLoi"]) for d in province_dossiers)
    assert apologies[1] > apologies[2] > 0
    late = [
        d
        for d in province_dossiers
        if d["NgayKetThucXuLy"] and d["NgayHenTra"] and d["NgayKetThucXuLy"] > d["NgayHenTra"]
    ]
    assert any(not d["DanhSachPhieuXinLoi"] for d in late)  # missing apology
    assert any(
        d["DanhSachPhieuXinLoi"] and d["DanhSachPhieuXinLoi"][0]["NgayXinLoi"][:8] > d["NgayHenTra"][:8] for d in late
    )
    unknown = [d for d in province_dossiers if not PROCEDURES_BY_CODE[d["MaTTHC"]].in_catalogue]
    assert 0 < len(unknown) < 0.03 * len(province_dossiers)
    assert {d["TrangThaiHoSo"] for d in province_dossiers} == set(range(1, 11))
    assert {d["MucDoHaiLong"] for d in province_dossiers} == {None, 1, 2, 3}
    assert any(d["NgayDongBoDVCQG"] for d in province_dossiers)
    assert any(p["DuongDanTaiTepTin"] is None for d in province_dossiers for p in d["TaiLieuNop"])
    assert any(d["MaDonVi"] == "H30" for d in province_dossiers)


def test_every_record_parses_into_the_landing_schemas(province_dossiers: list[dict], province_events: list[dict]):
    rows = []
    sample = province_dossiers[::5]
    for d in sample:
        clean = {k: v for k, v in d.items() if k not in DOSSIER_PERSONAL_FIELDS}
        rows.append({**dossier_row(clean, "b"), "applicant_key": None})
    assert pa.Table.from_pylist(rows, schema=DOSSIERS).num_rows == len(sample)
    events = [event_row(e, "b") for e in province_events[::5]]
    assert pa.Table.from_pylist(events, schema=DOSSIER_EVENTS).num_rows == len(events)


def test_event_history_is_consistent_with_every_dossier(province_dossiers: list[dict], province_events: list[dict]):
    history: dict[str, list[dict]] = defaultdict(list)
    for e in province_events:
        history[e["MaHoSo"]].append(e)
    for d in province_dossiers:
        events = sorted(history[d["MaHoSo"]], key=lambda e: e["STT"])
        assert events[0]["TrangThai"] == 1 and [e["STT"] for e in events] == list(range(1, len(events) + 1))
        assert events[-1]["TrangThai"] == d["TrangThaiHoSo"] or d["NgayKetThucXuLy"], d["MaHoSo"]
        assert [e["ThoiDiemGhiNhan"] for e in events] == sorted(e["ThoiDiemGhiNhan"] for e in events)
        assert events[-1]["ThoiDiemGhiNhan"] <= d["NgayCapNhat"]
        statuses = {e["TrangThai"] for e in events}
        assert (d["NgayTiepNhan"] is not None) == (2 in statuses), d["MaHoSo"]
        if d["TrangThaiHoSo"] == 10:
            assert 9 in statuses or d["NgayKetThucXuLy"]


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path: Path):
    from parmetrics.lab.simulators.dossier_data import write_dossier_db

    config = DossierDataConfig.province(seed=3, dossiers_per_year=40, end=datetime(2026, 11, 20))
    a = write_dossier_db(tmp_path / "a", config, workers=1).read_bytes()
    b = write_dossier_db(tmp_path / "b", config, workers=2).read_bytes()
    c = write_dossier_db(
        tmp_path / "c", DossierDataConfig.province(seed=4, dossiers_per_year=40), workers=1
    ).read_bytes()
    assert a == b and a != c
