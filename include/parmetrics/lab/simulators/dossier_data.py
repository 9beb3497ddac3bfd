"""A deterministic dossier dataset for the simulated province, stored as the API will serve it.

Each dossier is simulated as a life story (submission, intake, processing, supplement requests,
apologies, finish, return, rating, sync) on the working-day calendar, then cut at ``config.end``: the
source shows only what was recorded before it. Every dossier draws from its own RNG seeded by
(seed, index), so the output depends on the seed alone and generation streams day by day.

The SQLite file is both what the API simulator serves and the ground truth the tests compare with:
each record's exact JSON payload is stored pre-serialised and keyed in the API's keyset order.

Realism (the province of :mod:`.province`, from 2019-01-01 with :meth:`DossierDataConfig.province`):
volume by unit size with a Tết dip and a year-end peak; in-person intake only in office hours on
working days, online submissions at any time; due = acceptance + the time limit of the catalogue
snapshot in force at acceptance (3 % of dossiers without ``NgayHenTra``); per-unit lateness (three
chronically late units), apology and backdating habits; supplement requests (some twice); online
share, online payment and portal sync rising with :func:`adoption`, digitisation, e-results and VNeID
with :func:`digitisation` (after 2022); districts and old communes receive nothing after 2025-06-30.
Generation streams whole days, optionally in worker processes, in bounded memory.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from parmetrics.lab.simulators.fastcal import (
    add_working_days,
    is_working_day,
    next_working_day,
    previous_working_day,
)
from parmetrics.lab.simulators.province import (
    PROCEDURES,
    PROVINCE_NAME,
    REORGANISATION_START,
    UNITS_BY_CODE,
    Catalogue,
    Procedure,
    Unit,
    UnitProfile,
    in_force_on,
    online_level_on,
    unit_profiles,
    units_valid_on,
)

DB_FILENAME = "dossier_api.sqlite"
# Bumped whenever the same config would generate different data (cached demo sources are rebuilt).
GENERATOR_VERSION = "province-2"

DAY_START = time(7, 30)
DAY_END = time(17, 0)
INTAKE_DESK = "Bộ phận Tiếp nhận và Trả kết quả"
SPECIALIST_DESK = "Phòng chuyên môn"
FINANCE_DESK = "Bộ phận Nghĩa vụ tài chính"

SCHEMA_SQL = """
CREATE TABLE dossiers (
    ngay_cap_nhat TEXT NOT NULL,
    ma_ho_so TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (ngay_cap_nhat, ma_ho_so)
) WITHOUT ROWID;
CREATE TABLE dossier_events (
    thoi_diem_ghi_nhan TEXT NOT NULL,
    ma_ho_so TEXT NOT NULL,
    stt INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (thoi_diem_ghi_nhan, ma_ho_so, stt)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Built after the bulk insert: cheaper than maintaining them row by row.
INDEX_SQL = "CREATE UNIQUE INDEX dossiers_by_ma_ho_so ON dossiers (ma_ho_so);"


PROVINCE_START = datetime(2019, 1, 1)


@dataclass(frozen=True)
class DossierDataConfig:
    """What to generate. ``n_dossiers`` over ``start``–``end``, or ``dossiers_per_year`` (then the
    total is that rate times the span in years). The small default keeps other suites fast; the
    realistic province is :meth:`province` (2019-01-01 → end)."""

    seed: int = 766
    n_dossiers: int = 3000
    start: datetime = datetime(2024, 1, 1)
    # Nothing is recorded at or after this instant: the dataset is a source frozen at `end`.
    end: datetime = datetime(2026, 11, 20)
    # Share of dossiers carrying each kind of data defect the marts must survive (METRICS.md §2).
    quirk_rate: float = 0.004
    insert_batch_size: int = 5000
    dossiers_per_year: int | None = None

    @classmethod
    def province(
        cls, seed: int = 766, dossiers_per_year: int = 50_000, end: datetime = datetime(2026, 11, 20), **kw: Any
    ) -> DossierDataConfig:
        return cls(seed=seed, start=PROVINCE_START, end=end, dossiers_per_year=dossiers_per_year, **kw)

    @property
    def total(self) -> int:
        if self.dossiers_per_year is None:
            return self.n_dossiers
        return round(self.dossiers_per_year * (self.end - self.start).total_seconds() / (365.25 * 86400))


@dataclass
class _Event:
    status: int
    handled_at: datetime  # ThoiDiemXuLy
    recorded_at: datetime  # ThoiDiemGhiNhan
    desk: str
    step_deadline: datetime | None = None


@dataclass
class _Supplement:
    shown_request: datetime | None
    shown_receipt: datetime | None
    requested: datetime  # when it really happened (and was recorded)
    received: datetime | None


@dataclass
class _Story:
    """Everything that will ever happen to one dossier; cut at `end` when rendered."""

    code: str
    unit: Unit
    procedure: Procedure
    channel: int | None
    subject_type: int
    applicant: dict[str, Any]
    submitted_at: datetime
    fees: list[dict[str, Any]]
    paid_online: int
    components: list[dict[str, Any]]
    vneid: int
    profile: UnitProfile
    digital: float
    sync_share: float
    events: list[_Event] = field(default_factory=list)
    accepted_at: datetime | None = None
    due_at: datetime | None = None
    due_known: bool = True
    finished_at: datetime | None = None  # NgayKetThucXuLy as the source writes it
    finish_visible_at: datetime | None = None  # when the source wrote it
    returned_at: datetime | None = None
    supplements: list[_Supplement] = field(default_factory=list)
    apologies: list[tuple[datetime, datetime, str]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    rating: tuple[int, datetime] | None = None
    synced_at: datetime | None = None


def format_ts(value: datetime | None) -> str | None:
    """``yyyyMMddHHmmss`` (same as ``parmetrics.timestamps.format_ts``, ~3x faster: the hot loop)."""
    if value is None:
        return None
    iso = value.isoformat()
    return iso[0:4] + iso[5:7] + iso[8:10] + iso[11:13] + iso[14:16] + iso[17:19]


# --- time helpers -------------------------------------------------------------------------------


def _working_time(day: date, rng: random.Random, earliest: datetime | None = None) -> datetime:
    """A random office-hours instant on `day` (or the next working day), not before `earliest`."""
    day = next_working_day(day)
    lower = datetime.combine(day, DAY_START)
    if earliest is not None and earliest > lower:
        lower = earliest
    upper = datetime.combine(day, DAY_END)
    if lower >= upper - timedelta(minutes=1):
        return _working_time(day + timedelta(days=1), rng)
    span = int((upper - lower).total_seconds())
    return lower + timedelta(seconds=rng.randrange(span))


def _office_time_from(moment: datetime, rng: random.Random) -> datetime:
    """`moment` if it falls in office hours on a working day, else the next office-hours instant."""
    if is_working_day(moment.date()) and DAY_START <= moment.time() < DAY_END:
        return moment
    return (
        _working_time(moment.date(), rng, moment)
        if moment.time() < DAY_START
        else _working_time(moment.date() + timedelta(days=1), rng)
    )


def _after(moment: datetime, rng: random.Random, min_s: int, max_s: int) -> datetime:
    return moment + timedelta(seconds=rng.randint(min_s, max_s))


def _later_working_time(moment: datetime, rng: random.Random, working_days: int) -> datetime:
    """Office hours `working_days` after `moment` (0 = later the same working day when possible)."""
    day = add_working_days(moment.date(), working_days)
    earliest = moment + timedelta(minutes=5) if day == moment.date() else None
    return _working_time(day, rng, earliest)


# --- applicants (personal data) -----------------------------------------------------------------

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Bùi", "Đinh", "Quách", "Hà", "Xa", "Vũ", "Đặng")
MIDDLE = {1: ("Văn", "Đức", "Minh", "Quang", "Hữu", "Công"), 0: ("Thị", "Thu", "Ngọc", "Thanh", "Hồng")}
GIVEN = {
    1: ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Phúc", "Sơn", "Tuấn", "Việt"),
    0: ("Anh", "Dung", "Hà", "Hương", "Lan", "Mai", "Nga", "Thảo", "Trang", "Yến", "Hoa", "Linh"),
}
HAMLETS = ("Xóm Đồng", "Xóm Chiềng", "Xóm Mới", "Bản Lác", "Xóm Bưng", "Xóm Vó", "Bản Pom Coọng")
COMPANY_WORDS = ("Xây dựng", "Nông sản", "Du lịch", "Thương mại", "Vận tải", "Dược liệu")


def _ascii_fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


_OLD_COMMUNES = [u for u in UNITS_BY_CODE.values() if u.level == "xa" and u.valid_to is not None]


@lru_cache(maxsize=65536)
def _applicant(seed: int, index: int, subject_type: int) -> dict[str, Any]:
    """The applicant behind pool slot `index`: the same person every time the slot is drawn."""
    rng = random.Random(f"{seed}/applicant/{subject_type}/{index}")
    local = rng.choice(_OLD_COMMUNES)
    district = UNITS_BY_CODE[local.parent].name.removeprefix("UBND ")
    address = f"{rng.choice(HAMLETS)}, {local.name.removeprefix('UBND ')}, {district}, tỉnh {PROVINCE_NAME}"
    male = rng.randrange(2)
    person = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE[male])} {rng.choice(GIVEN[male])}"
    phone = rng.choice(("09", "03", "08")) + f"{rng.randrange(10**8):08d}"
    if subject_type == 2:
        name = f"Công ty TNHH {rng.choice(COMPANY_WORDS)} {person.split()[-1]} {PROVINCE_NAME}"
        id_number = "54" + f"{rng.randrange(10**8):08d}"  # 10-digit tax code of the province
        email = f"lienhe{rng.randrange(1000)}@{_ascii_fold(person.split()[-1]).lower()}.com.vn"
    else:
        name = person
        born = rng.randint(1950, 2006)
        century_sex = (0 if born < 2000 else 2) + (0 if male else 1)
        # CCCD layout: province of birth (017 = Hòa Bình), century/sex, year, six serial digits.
        id_number = f"017{century_sex}{born % 100:02d}{rng.randrange(10**6):06d}"
        email = (
            f"{_ascii_fold(person).lower().replace(' ', '.')}{rng.randrange(100)}@gmail.com"
            if rng.random() < 0.55
            else None
        )
    if rng.random() < 0.01:
        id_number = None  # applicants without an ID on file exist (applicant_key is then null)
    return {"ChuHoSo": name, "SoDinhDanh": id_number, "SoDienThoai": phone, "Email": email, "DiaChi": address}


# --- the volume: how many dossiers arrive on each day -------------------------------------------


def _daily_counts(config: DossierDataConfig) -> Iterator[tuple[date, int]]:
    """Days from start to end with their dossier counts, summing exactly to `n_dossiers`."""
    first = config.start.date()
    last = (config.end - timedelta(seconds=1)).date()
    n_days = (last - first).days + 1
    weights = []
    for i in range(n_days):
        day = first + timedelta(days=i)
        growth = 1.0 + 0.3 * i / max(1, n_days - 1)
        # Weekends and holidays see only online submissions.
        weights.append(growth * MONTH_FACTOR[day.month - 1] * (1.0 if is_working_day(day) else 0.08))
    # The Tết dip: the working days right after the long Tết break are quiet too.
    for i in range(1, n_days):
        day = first + timedelta(days=i)
        if day.month in (1, 2, 3) and is_working_day(day) and _days_off_before(day) >= 4:
            for k in range(i, min(n_days, i + 10)):
                weights[k] *= 0.55
    total = sum(weights)
    cumulative = 0.0
    issued = 0
    n_total = config.total
    for i, w in enumerate(weights):
        cumulative += w
        target = round(n_total * cumulative / total)
        yield first + timedelta(days=i), target - issued
        issued = target


# Seasonality by month: a quiet Tết month, a year-end peak.
MONTH_FACTOR = (0.95, 0.75, 1.0, 1.0, 1.0, 0.95, 0.95, 1.0, 1.0, 1.05, 1.15, 1.3)


def _days_off_before(day: date) -> int:
    n = 0
    current = day - timedelta(days=1)
    while not is_working_day(current) and n < 15:
        n += 1
        current -= timedelta(days=1)
    return n


def adoption(day: date) -> float:
    """Digital government adoption, 0 in 2019 rising steadily to 1 at the end of 2026."""
    return min(1.0, max(0.0, (day - date(2019, 1, 1)).days / 2920))


def digitisation(day: date) -> float:
    """Digitisation and electronic results: marginal before 2022, rising to 1 by 2026 (Decree 45/2020, 766)."""
    return min(1.0, max(0.0, (day - date(2022, 1, 1)).days / 1460))


class _Choosers:
    """Cumulative-weight tables for the day's procedures and units, rebuilt only when they change."""

    def __init__(self, seed: int) -> None:
        self.profiles = unit_profiles(seed)
        self._procedures: dict[tuple[int, bool], tuple[list[Procedure], list[float]]] = {}
        self._units: dict[tuple[str, bool], tuple[list[Unit], list[float]]] = {}

    _CHANGES = sorted({d for p in PROCEDURES for d in (p.effective_on, p.expires_on, p.changed_on) if d is not None})

    def procedures(self, day: date, working: bool) -> tuple[list[Procedure], list[float]]:
        # The day's procedures only change on an effective, expiry or change date.
        key = (bisect.bisect_right(self._CHANGES, day), working)
        if key not in self._procedures:
            if len(self._procedures) > 64:
                self._procedures.clear()
            chosen = [
                p
                for p in PROCEDURES
                if (not p.in_catalogue or in_force_on(p, day)) and (working or online_level_on(p, day) != "khong")
            ]
            self._procedures[key] = (chosen, list(_accumulate(p.weight for p in chosen)))
        return self._procedures[key]

    def units(self, level: str, day: date) -> tuple[list[Unit], list[float]]:
        key = (level, day >= REORGANISATION_START)
        if key not in self._units:
            candidates = units_valid_on(day, level)
            if not candidates:
                # After the reorganisation district procedures are handled by the new communes.
                candidates = units_valid_on(day, "xa")
            self._units[key] = (candidates, list(_accumulate(self.profiles[u.code].size for u in candidates)))
        return self._units[key]


def _accumulate(values: Any) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


# --- one dossier's life story -------------------------------------------------------------------


def _pick_unit(procedure: Procedure, day: date, rng: random.Random, choosers: _Choosers) -> Unit:
    if procedure.handled_by is not None:
        return UNITS_BY_CODE[procedure.handled_by]
    candidates, cum = choosers.units(procedure.level, day)
    return rng.choices(candidates, cum_weights=cum)[0]


def _components(
    procedure: Procedure, code: str, channel: int, digital: float, rng: random.Random
) -> list[dict[str, Any]]:
    items = []
    for part in procedure.components:
        if channel == 2:
            digitised = 1
            attached = rng.random() < 0.985
        else:
            digitised = int(rng.random() < 0.08 + 0.82 * digital)
            attached = bool(digitised) and rng.random() < 0.97
        link = f"https://dichvucong.hoabinh.gov.vn/tep/{code}/{part}.pdf" if attached else None
        reused = int(digitised == 1 and rng.random() < 0.02 + 0.3 * digital)
        from_store = int(channel == 2 and rng.random() < 0.02 + 0.25 * digital)
        items.append(
            {
                "MaThanhPhanHoSo": f"{procedure.code}.{part}",
                "DuongDanTaiTepTin": link,
                "DuocSoHoa": digitised,
                "TaiSuDung": reused,
                "DuocLayTuKhoDMQG": from_store,
            }
        )
    return items


def _fees(procedure: Procedure, rng: random.Random) -> list[dict[str, Any]]:
    if procedure.fee_vnd > 0:
        # A few fee-bearing dossiers arrive without fee data (766.4.1 counts them).
        return [] if rng.random() < 0.05 else [{"MaPhiLePhi": f"LP.{procedure.code}", "Gia": procedure.fee_vnd}]
    # Exempt fees are sometimes listed with amount 0: a non-empty list with nothing to pay.
    return [{"MaPhiLePhi": f"LP.{procedure.code}", "Gia": 0}] if rng.random() < 0.2 else []


def _submission(day: date, channel: int, rng: random.Random) -> tuple[datetime, datetime | None]:
    """(submitted, accepted if the desk acts at once) — in person only in office hours."""
    if channel == 2:
        hour = rng.choices(range(24), weights=[1] * 6 + [3] * 2 + [8] * 10 + [4] * 4 + [2] * 2)[0]
        submitted = datetime.combine(day, time(hour)) + timedelta(seconds=rng.randrange(3600))
        return submitted, None
    accepted = _working_time(day, rng, datetime.combine(day, time(7, 45)))
    submitted = accepted - timedelta(seconds=rng.randint(60, 900))
    if channel == 3:
        return submitted, None  # postal: accepted later, when the desk opens the envelope
    return submitted, accepted


def _simulate(
    config: DossierDataConfig,
    index: int,
    day: date,
    code_seq: Counter,
    choosers: _Choosers,
    catalogue: Catalogue,
) -> _Story:
    rng = random.Random(f"{config.seed}/dossier/{index}")
    progress = adoption(day)
    working = is_working_day(day)
    procedures, cum = choosers.procedures(day, working)
    procedure = rng.choices(procedures, cum_weights=cum)[0]
    unit = _pick_unit(procedure, day, rng, choosers)
    profile = choosers.profiles[unit.code]
    digital = min(1.0, max(0.0, digitisation(day) + profile.digital_habit))

    level = online_level_on(procedure, day)
    if level == "khong":
        channel = 1 if rng.random() < 0.93 else 3
    else:
        online_share = (0.12 if level == "toan_trinh" else 0.05) + (0.7 if level == "toan_trinh" else 0.45) * progress
        channel = 2 if (not working or rng.random() < online_share) else (1 if rng.random() < 0.95 else 3)

    subject_type = 1 if rng.random() < procedure.citizen_share else 2
    pool = max(50, min(2_000_000, int(config.total * 0.6)))
    applicant = _applicant(config.seed, rng.randrange(pool), subject_type)

    code_seq[unit.code] += 1  # reset every day by the caller
    code = f"{unit.code}-{day:%y%m%d}-{code_seq[unit.code]:04d}"
    submitted, accepted = _submission(day, channel, rng)

    fees = _fees(procedure, rng)
    to_pay = sum(f["Gia"] for f in fees) > 0
    if to_pay and channel == 2 and rng.random() < 0.1 + 0.85 * progress:
        paid_online = 1 if rng.random() < 0.35 + 0.4 * progress else 2
    else:
        paid_online = 2 if to_pay and rng.random() < 0.02 + 0.05 * progress else 0
    # VNeID accounts from mid-2022.
    vneid = int(channel == 2 and day >= date(2022, 7, 1) and rng.random() < 0.2 + 0.75 * digitisation(day))

    story = _Story(
        code=code,
        unit=unit,
        procedure=procedure,
        channel=channel,
        subject_type=subject_type,
        applicant=applicant,
        submitted_at=submitted,
        fees=fees,
        paid_online=paid_online,
        components=_components(procedure, code, channel, digital, rng),
        vneid=vneid,
        profile=profile,
        digital=digital,
        sync_share=0.5 + 0.45 * progress,
    )
    _live(story, accepted, rng, config, catalogue)
    if channel == 1 and rng.random() < 0.02:
        story.channel = None  # legacy records without a channel (counted as in person)
    return story


def _record(story: _Story, status: int, handled_at: datetime, rng: random.Random, **kw: Any) -> datetime:
    recorded_at = _after(handled_at, rng, 1, 240)
    if story.events and recorded_at <= story.events[-1].recorded_at:
        recorded_at = story.events[-1].recorded_at + timedelta(seconds=rng.randint(1, 60))
    desk = kw.pop("desk", SPECIALIST_DESK)
    story.events.append(_Event(status, handled_at, recorded_at, desk, kw.pop("step_deadline", None)))
    return recorded_at


def _live(
    story: _Story, accepted: datetime | None, rng: random.Random, config: DossierDataConfig, catalogue: Catalogue
) -> None:
    """Plays the dossier's whole life; `_render` later hides whatever happens after `config.end`."""
    quirk = config.quirk_rate
    story.events.append(_Event(1, story.submitted_at, story.submitted_at, INTAKE_DESK))
    if story.channel == 2 and rng.random() < 0.003:
        return  # an online submission nobody picked up: stays at status 1
    if accepted is None:
        lag_days = 0 if rng.random() < 0.6 else rng.randint(1, 2)
        accepted = _later_working_time(story.submitted_at, rng, lag_days)

    intake = rng.random()
    if intake < 0.03:
        _record(story, 3, accepted, rng, desk=INTAKE_DESK)
        return
    if intake < 0.04:
        _record(story, 7, accepted, rng, desk=INTAKE_DESK)
        return

    story.accepted_at = accepted
    limit = catalogue.time_limit(story.procedure, accepted.date())
    due = datetime.combine(add_working_days(accepted.date(), limit), accepted.time())
    story.due_at = due
    story.due_known = rng.random() >= 0.03
    step_due = due if story.due_known else None
    _record(story, 2, accepted, rng, desk=INTAKE_DESK, step_deadline=accepted)
    if rng.random() < 0.003:
        return  # accepted but never passed on: stays at status 2
    transfer_days = 0 if rng.random() < 0.85 else 1
    moment = _later_working_time(accepted, rng, transfer_days)
    _record(story, 4, moment, rng, step_deadline=step_due)
    if rng.random() < story.sync_share:
        story.synced_at = _after(accepted, rng, 60, 2 * 86400 if rng.random() < 0.95 else 30 * 86400)

    fate = rng.random()
    if fate < 0.01:
        _record(story, 7, _later_working_time(moment, rng, rng.randint(0, limit)), rng, desk=INTAKE_DESK)
        return
    if fate < 0.025:
        stopped = _later_working_time(moment, rng, rng.randint(0, limit))
        recorded = _record(story, 8, stopped, rng)
        if rng.random() < 0.5:
            story.finished_at = stopped
            story.finish_visible_at = recorded
        return
    if fate < 0.03:
        return  # stuck in processing: pending, eventually pending late

    # Supplement requests: the applicant's time pushes the finish back by the same amount.
    roll = rng.random()
    n_requests = 2 if roll < 0.025 else (1 if roll < 0.115 else 0)
    pause_total = timedelta(0)
    for _ in range(n_requests):
        requested = _later_working_time(moment, rng, rng.randint(0, max(0, limit // 2)))
        _record(story, 5, requested, rng)
        if rng.random() < 0.04:
            story.supplements.append(_Supplement(requested, None, requested, None))
            return  # the applicant never answered: stays at status 5
        received = _later_working_time(requested, rng, rng.randint(1, 10))
        _record(story, 4, received, rng, step_deadline=step_due)
        pause_total += received - requested
        shown = _Supplement(requested, received, requested, received)
        if rng.random() < quirk:
            shown.shown_request = None  # a request without its date (data-quality warning downstream)
        elif rng.random() < quirk:
            shown.shown_receipt = requested - timedelta(hours=3)  # negative pause (bad data)
        story.supplements.append(shown)
        moment = received

    late_rate = min(0.6, 0.035 * story.profile.late_factor)
    klass = rng.choices(
        ("early", "on_time", "late"), weights=(0.68 * (1 - late_rate), 0.32 * (1 - late_rate), late_rate)
    )[0]
    if klass == "early":
        finish_day = add_working_days(accepted.date(), rng.randint(0, max(0, limit - 1)))
        finished = _working_time(finish_day, rng, accepted + timedelta(minutes=10))
        if finished.date() >= due.date():
            klass = "on_time"
    if klass == "on_time":
        lower = max(datetime.combine(due.date(), DAY_START), accepted + timedelta(minutes=10))
        finished = lower + timedelta(seconds=rng.randrange(max(1, int((due - lower).total_seconds()))))
    if klass == "late":
        finished = _working_time(add_working_days(due.date(), rng.randint(1, 12)), rng)
    if pause_total:
        finished = _office_time_from(finished + pause_total, rng)
    finished = max(finished, moment + timedelta(minutes=5))
    if story.procedure.financial_obligation and rng.random() < 0.6:
        obligation = max(moment + timedelta(minutes=2), finished - timedelta(days=rng.randint(1, 4)))
        _record(story, 6, obligation, rng)
        if rng.random() < 0.03:
            return  # the applicant has not paid yet: stays at status 6
        finished = max(finished, obligation + timedelta(hours=1))

    if klass == "late" and rng.random() < story.profile.apology_habit:
        if rng.random() < 0.7:
            first_apology = _working_time(previous_working_day(due.date()), rng)
        else:
            first_apology = _working_time(due.date() + timedelta(days=1), rng)
        first_apology = max(first_apology, moment + timedelta(minutes=1))
        new_due = datetime.combine(add_working_days(due.date(), rng.randint(3, 12)), due.time())
        story.apologies.append((first_apology, new_due, "Hồ sơ cần xác minh thêm tại cơ sở"))
        if rng.random() < 0.1:
            second = _working_time(new_due.date(), rng)
            later_due = datetime.combine(add_working_days(new_due.date(), 5), due.time())
            story.apologies.append((second, later_due, "Chờ ý kiến của cơ quan phối hợp"))

    if story.procedure.result_is_document:
        link = (
            f"https://dichvucong.hoabinh.gov.vn/ketqua/{story.code}.pdf"
            if rng.random() < 0.05 + 0.9 * story.digital or (story.channel == 2 and rng.random() < 0.5)
            else None
        )
        story.results.append({"MaGiayTo": f"KQ.{story.procedure.code}", "DuongDanTepTinKetQua": link})

    if rng.random() < quirk:
        # Finished in the record, but the status never moved on (the finish time wins downstream).
        story.finished_at = finished
        story.finish_visible_at = finished + timedelta(minutes=2)
        return
    if klass == "late" and rng.random() < 0.1 * story.profile.backdating_habit:
        # Recorded after the due time but dated before it: what PAR.3.backdated looks for.
        claimed = max(due - timedelta(seconds=rng.randint(600, 6 * 3600)), moment + timedelta(minutes=1))
        recorded = max(finished, due + timedelta(minutes=30), story.events[-1].recorded_at + timedelta(seconds=5))
        story.events.append(_Event(9, claimed, recorded, SPECIALIST_DESK, step_due))
        story.finished_at = claimed
    else:
        recorded = _record(story, 9, finished, rng, step_deadline=step_due)
        story.finished_at = finished
    story.finish_visible_at = recorded

    if rng.random() < 0.06:
        return  # processed, result not collected yet: stays at status 9
    returned = _later_working_time(recorded, rng, rng.choice((0, 0, 1, 2, 5)))
    shown_return = returned
    if rng.random() < quirk:
        shown_return = story.finished_at - timedelta(hours=2)  # result returned before processing finished
    _record(story, 10, returned, rng, desk=INTAKE_DESK)
    story.returned_at = shown_return
    if rng.random() < 0.35:
        weights = (30, 40, 30) if klass == "late" else (55, 40, 5)
        story.rating = (rng.choices((1, 2, 3), weights=weights)[0], _after(returned, rng, 600, 3 * 86400))


# --- rendering: the source's view of the story at `end` -----------------------------------------


def _render(story: _Story, end: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    events = sorted((e for e in story.events if e.recorded_at < end), key=lambda e: e.recorded_at)
    changes = [e.recorded_at for e in events]

    def seen(moment: datetime | None) -> datetime | None:
        if moment is not None and moment < end:
            changes.append(moment)
            return moment
        return None

    status = events[-1].status
    statuses = {e.status for e in events}
    accepted = story.accepted_at if 2 in statuses else None
    finish_visible = seen(story.finish_visible_at)
    finished = story.finished_at if finish_visible is not None else None
    returned = story.returned_at if 10 in statuses else None

    supplements = []
    for s in story.supplements:
        if s.requested >= end:
            continue
        receipt = s.shown_receipt if seen(s.received) is not None else None
        supplements.append({"NgayYeuCauBoSung": format_ts(s.shown_request), "NgayTiepNhanBoSung": format_ts(receipt)})
    apologies = [
        {"NgayXinLoi": format_ts(at), "NgayHenTraMoi": format_ts(new_due), "LyDo": reason}
        for at, new_due, reason in story.apologies
        if seen(at) is not None
    ]
    results = story.results if finished is not None and 8 not in statuses else []
    rating = None
    if story.rating is not None and returned is not None and seen(story.rating[1]) is not None:
        rating = story.rating[0]
    synced = seen(story.synced_at) if accepted is not None else None

    record = {
        "MaHoSo": story.code,
        "MaDonVi": story.unit.code,
        "MaTTHC": story.procedure.code,
        "KenhThucHien": story.channel,
        "LoaiDoiTuong": story.subject_type,
        **story.applicant,
        "NgayNopHoSo": format_ts(story.submitted_at),
        "NgayTiepNhan": format_ts(accepted),
        "NgayHenTra": format_ts(story.due_at if accepted is not None and story.due_known else None),
        "NgayKetThucXuLy": format_ts(finished),
        "NgayTra": format_ts(returned),
        "TrangThaiHoSo": status,
        "DuocThanhToanTrucTuyen": story.paid_online,
        "DanhSachLePhi": story.fees,
        "TaiLieuNop": story.components,
        "DanhSachGiayToKetQua": results,
        "DanhSachHoSoBoSung": supplements,
        "DanhSachPhieuXinLoi": apologies,
        "MucDoHaiLong": rating,
        "TaiKhoanDuocXacThucVoiVNeID": story.vneid,
        "NgayDongBoDVCQG": format_ts(synced),
        "NgayCapNhat": format_ts(max(changes)),
    }
    rendered_events = [
        {
            "MaHoSo": story.code,
            "STT": stt,
            "TrangThai": e.status,
            "ThoiDiemXuLy": format_ts(e.handled_at),
            "ThoiDiemGhiNhan": format_ts(e.recorded_at),
            "PhongBanXuLy": e.desk,
            "NgayKetThucTheoQuyDinh": format_ts(e.step_deadline),
        }
        for stt, e in enumerate(events, start=1)
    ]
    return record, rendered_events


def generate_dossiers(config: DossierDataConfig) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Streams (dossier record, its status events) as the API serves them, in submission order."""
    code_seq: Counter = Counter()
    choosers = _Choosers(config.seed)
    catalogue = Catalogue(config.start.date(), config.end.date())
    index = 0
    for day, count in _daily_counts(config):
        code_seq.clear()
        stories = [_simulate(config, index + k, day, code_seq, choosers, catalogue) for k in range(count)]
        index += count
        for story in stories:
            yield _render(story, config.end)


# A rendered dossier ready for SQLite: (NgayCapNhat, MaHoSo, payload, status, event rows).
_Rows = tuple[str, str, str, int, list[tuple[str, str, int, str]]]
_WORKER_STATE: dict[tuple[Any, ...], tuple[_Choosers, Catalogue]] = {}


def _day_batches(config: DossierDataConfig, min_dossiers: int = 2000) -> Iterator[list[tuple[date, int, int]]]:
    """Whole days (day, count, first index) grouped until a batch holds at least `min_dossiers`."""
    batch: list[tuple[date, int, int]] = []
    in_batch = index = 0
    for day, count in _daily_counts(config):
        batch.append((day, count, index))
        index += count
        in_batch += count
        if in_batch >= min_dossiers:
            yield batch
            batch, in_batch = [], 0
    if batch:
        yield batch


def _render_days(config: DossierDataConfig, days: list[tuple[date, int, int]]) -> list[_Rows]:
    """Simulates and renders whole days (a unit of work for a worker process); deterministic."""
    key = (config.seed, config.start, config.end)
    if key not in _WORKER_STATE:
        _WORKER_STATE.clear()
        _WORKER_STATE[key] = (_Choosers(config.seed), Catalogue(config.start.date(), config.end.date()))
    choosers, catalogue = _WORKER_STATE[key]
    out: list[_Rows] = []
    code_seq: Counter = Counter()
    for day, count, first in days:
        code_seq.clear()
        for k in range(count):
            record, events = _render(_simulate(config, first + k, day, code_seq, choosers, catalogue), config.end)
            out.append(
                (
                    record["NgayCapNhat"],
                    record["MaHoSo"],
                    _dumps(record),
                    record["TrangThaiHoSo"],
                    [(e["ThoiDiemGhiNhan"], e["MaHoSo"], e["STT"], _dumps(e)) for e in events],
                )
            )
    return out


def _rendered(config: DossierDataConfig, workers: int) -> Iterator[list[_Rows]]:
    """Batches in order; with workers > 1 computed by a process pool, at most 2 × workers ahead."""
    batches = _day_batches(config)
    if workers <= 1:
        for days in batches:
            yield _render_days(config, days)
        return
    import collections
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ctx.Pool(workers) as pool:
        pending: collections.deque = collections.deque()
        for days in batches:
            pending.append(pool.apply_async(_render_days, (config, days)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


try:  # msgspec (required by Airflow) writes the same bytes as json.dumps below, three times faster
    from msgspec.json import Encoder as _Encoder

    _encode = _Encoder().encode

    def _dumps(value: dict[str, Any]) -> str:
        return _encode(value).decode()

except ImportError:  # pragma: no cover

    def _dumps(value: dict[str, Any]) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_dossier_db(
    out_dir: Path,
    config: DossierDataConfig | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Generates the dataset into ``<out_dir>/dossier_api.sqlite`` (replaced atomically); returns its path.

    Streams in bounded memory; ``workers`` processes simulate whole days in parallel (default: the
    CPU count, at most 4; the output does not depend on it). ``progress(done, total)`` is called per batch."""
    config = config or DossierDataConfig()
    if workers is None:
        workers = min(4, os.cpu_count() or 1) if config.total >= 20_000 else 1
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / DB_FILENAME
    tmp = out_dir / f".{DB_FILENAME}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    # Rows are first appended to a staging file in generation order, then copied into the keyed
    # tables sorted by key: a sequential B-tree build gives dense pages (half the size of inserting
    # out of order) and needs no random I/O, whatever the volume.
    staging = out_dir / f".{DB_FILENAME}.staging-{os.getpid()}"
    staging.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
        conn.execute("PRAGMA soft_heap_limit=268435456")  # SQLite frees cache to stay near 256 MiB
        # WITHOUT ROWID rows bigger than ~1/4 page spill to overflow pages (4 KiB per dossier at the
        # default page size): 16 KiB pages keep the ~1.2 KB payloads inline (less than half the file).
        conn.execute("PRAGMA page_size=16384")
        conn.executescript(SCHEMA_SQL)
        conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
        conn.execute("PRAGMA staging.journal_mode=OFF")
        conn.execute("PRAGMA staging.synchronous=OFF")
        conn.execute("CREATE TABLE staging.dossiers (ngay_cap_nhat TEXT, ma_ho_so TEXT, payload TEXT)")
        conn.execute("CREATE TABLE staging.dossier_events (t TEXT, ma_ho_so TEXT, stt INTEGER, payload TEXT)")
        statuses: Counter = Counter()
        n_events = 0
        dossier_rows: list[tuple[str, str, str]] = []
        event_rows: list[tuple[str, str, int, str]] = []

        def flush() -> None:
            conn.executemany("INSERT INTO staging.dossiers VALUES (?, ?, ?)", dossier_rows)
            conn.executemany("INSERT INTO staging.dossier_events VALUES (?, ?, ?, ?)", event_rows)
            dossier_rows.clear()
            event_rows.clear()

        done = 0
        for batch in _rendered(config, workers):
            for updated, code, payload, status, events in batch:
                statuses[status] += 1
                dossier_rows.append((updated, code, payload))
                event_rows.extend(events)
                n_events += len(events)
                if len(dossier_rows) >= config.insert_batch_size:
                    flush()
            done += len(batch)
            if progress is not None:
                progress(done, config.total)
        flush()
        conn.commit()
        conn.execute("INSERT INTO dossiers SELECT * FROM staging.dossiers ORDER BY 1, 2")
        conn.execute("INSERT INTO dossier_events SELECT * FROM staging.dossier_events ORDER BY 1, 2, 3")
        conn.commit()
        conn.execute("DETACH DATABASE staging")
        staging.unlink(missing_ok=True)
        conn.execute(INDEX_SQL)
        meta = {
            "config": json.dumps(asdict(config), default=str, sort_keys=True),
            "dossiers": str(sum(statuses.values())),
            "dossier_events": str(n_events),
            "statuses": json.dumps({str(k): statuses[k] for k in sorted(statuses)}),
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        conn.commit()
    finally:
        conn.close()
        staging.unlink(missing_ok=True)
    os.replace(tmp, final)
    return final


def read_meta(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the simulated dossier API dataset (SQLite).")
    parser.add_argument("--out", type=Path, required=True, help="directory for dossier_api.sqlite")
    parser.add_argument("--seed", type=int, default=DossierDataConfig.seed)
    parser.add_argument("--n-dossiers", type=int, default=DossierDataConfig.n_dossiers)
    parser.add_argument("--end", default=None, help="ISO local time; nothing is recorded at or after it")
    parser.add_argument("--dossiers-per-year", type=int, default=None, help="the 2019→end province at this rate")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    end = datetime.fromisoformat(args.end) if args.end else DossierDataConfig.end
    if args.dossiers_per_year:
        config = DossierDataConfig.province(args.seed, args.dossiers_per_year, end)
    else:
        config = DossierDataConfig(seed=args.seed, n_dossiers=args.n_dossiers, end=end)
    path = write_dossier_db(args.out, config, workers=args.workers)
    meta = read_meta(path)
    print(f"{path}: {meta['dossiers']} dossiers, {meta['dossier_events']} events, statuses {meta['statuses']}")


if __name__ == "__main__":
    main()
