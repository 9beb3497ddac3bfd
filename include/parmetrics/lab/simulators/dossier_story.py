"""One dossier's life story — submission, intake, processing, supplement requests, apologies, finish,
return, rating, sync — played on the working-day calendar, and the source's view of it at ``end``.

Every dossier draws from its own RNG seeded by (seed, index); each phase of :func:`live` draws in a fixed
order, so the simulated province depends on the seed alone.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from parmetrics.lab.simulators.applicants import applicant as applicant_in_slot
from parmetrics.lab.simulators.dossier_config import DossierDataConfig
from parmetrics.lab.simulators.dossier_volume import Choosers, adoption, digitisation
from parmetrics.lab.simulators.fastcal import add_working_days, is_working_day, previous_working_day
from parmetrics.lab.simulators.office_hours import (
    DAY_START,
    after,
    format_ts,
    later_working_time,
    office_time_from,
    working_time,
)
from parmetrics.lab.simulators.province import UNITS_BY_CODE, Catalogue, Procedure, Unit, UnitProfile, online_level_on

INTAKE_DESK = "Bộ phận Tiếp nhận và Trả kết quả"
SPECIALIST_DESK = "Phòng chuyên môn"


@dataclass
class Event:
    status: int
    handled_at: datetime  # ThoiDiemXuLy
    recorded_at: datetime  # ThoiDiemGhiNhan
    desk: str
    step_deadline: datetime | None = None


@dataclass
class Supplement:
    shown_request: datetime | None
    shown_receipt: datetime | None
    requested: datetime  # when it really happened (and was recorded)
    received: datetime | None


@dataclass
class Story:
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
    events: list[Event] = field(default_factory=list)
    accepted_at: datetime | None = None
    due_at: datetime | None = None
    due_known: bool = True
    finished_at: datetime | None = None  # NgayKetThucXuLy as the source writes it
    finish_visible_at: datetime | None = None  # when the source wrote it
    returned_at: datetime | None = None
    supplements: list[Supplement] = field(default_factory=list)
    apologies: list[tuple[datetime, datetime, str]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    rating: tuple[int, datetime] | None = None
    synced_at: datetime | None = None


def _pick_unit(procedure: Procedure, day: date, rng: random.Random, choosers: Choosers) -> Unit:
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
    accepted = working_time(day, rng, datetime.combine(day, time(7, 45)))
    submitted = accepted - timedelta(seconds=rng.randint(60, 900))
    if channel == 3:
        return submitted, None  # postal: accepted later, when the desk opens the envelope
    return submitted, accepted


def simulate(
    config: DossierDataConfig,
    index: int,
    day: date,
    code_seq: Counter,
    choosers: Choosers,
    catalogue: Catalogue,
) -> Story:
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
    applicant = applicant_in_slot(config.seed, rng.randrange(pool), subject_type)

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

    story = Story(
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
    live(story, accepted, rng, config, catalogue)
    if channel == 1 and rng.random() < 0.02:
        story.channel = None  # legacy records without a channel (counted as in person)
    return story


def _record(story: Story, status: int, handled_at: datetime, rng: random.Random, **kw: Any) -> datetime:
    recorded_at = after(handled_at, rng, 1, 240)
    if story.events and recorded_at <= story.events[-1].recorded_at:
        recorded_at = story.events[-1].recorded_at + timedelta(seconds=rng.randint(1, 60))
    desk = kw.pop("desk", SPECIALIST_DESK)
    story.events.append(Event(status, handled_at, recorded_at, desk, kw.pop("step_deadline", None)))
    return recorded_at


def live(
    story: Story, accepted: datetime | None, rng: random.Random, config: DossierDataConfig, catalogue: Catalogue
) -> None:
    """Plays the dossier's whole life; :func:`render` later hides whatever happens after ``config.end``.

    Each phase below draws from the dossier's RNG in a fixed order and may end the story (the dossier
    then stays where it is in the source)."""
    accepted = _intake(story, accepted, rng)
    if accepted is None:
        return
    started = _start_processing(story, accepted, rng, catalogue)
    if started is None:
        return
    limit, step_due, moment = started
    if _stops_early(story, moment, limit, rng):
        return
    supplemented = _supplement_requests(story, moment, limit, step_due, rng, config.quirk_rate)
    if supplemented is None:
        return
    moment, pause = supplemented
    klass, finished = _finish_time(story, accepted, moment, limit, pause, rng)
    finished = _financial_obligation(story, moment, finished, rng)
    if finished is None:
        return
    _apologies(story, klass, moment, rng)
    _results(story, rng)
    recorded = _finish(story, klass, finished, moment, step_due, rng, config.quirk_rate)
    if recorded is None:
        return
    _return_and_rating(story, klass, recorded, rng, config.quirk_rate)


def _intake(story: Story, accepted: datetime | None, rng: random.Random) -> datetime | None:
    """Submission, then acceptance — or the story ends: never picked up, refused or withdrawn at intake."""
    story.events.append(Event(1, story.submitted_at, story.submitted_at, INTAKE_DESK))
    if story.channel == 2 and rng.random() < 0.003:
        return None  # an online submission nobody picked up: stays at status 1
    if accepted is None:
        lag_days = 0 if rng.random() < 0.6 else rng.randint(1, 2)
        accepted = later_working_time(story.submitted_at, rng, lag_days)
    intake = rng.random()
    if intake < 0.03:
        _record(story, 3, accepted, rng, desk=INTAKE_DESK)
        return None
    if intake < 0.04:
        _record(story, 7, accepted, rng, desk=INTAKE_DESK)
        return None
    return accepted


def _start_processing(
    story: Story, accepted: datetime, rng: random.Random, catalogue: Catalogue
) -> tuple[int, datetime | None, datetime] | None:
    """Accepted with its due date, passed to the specialists, maybe synced: (time limit, step deadline,
    moment processing began), or None when the dossier is never passed on."""
    story.accepted_at = accepted
    limit = catalogue.time_limit(story.procedure, accepted.date())
    due = datetime.combine(add_working_days(accepted.date(), limit), accepted.time())
    story.due_at = due
    story.due_known = rng.random() >= 0.03
    step_due = due if story.due_known else None
    _record(story, 2, accepted, rng, desk=INTAKE_DESK, step_deadline=accepted)
    if rng.random() < 0.003:
        return None  # accepted but never passed on: stays at status 2
    transfer_days = 0 if rng.random() < 0.85 else 1
    moment = later_working_time(accepted, rng, transfer_days)
    _record(story, 4, moment, rng, step_deadline=step_due)
    if rng.random() < story.sync_share:
        story.synced_at = after(accepted, rng, 60, 2 * 86400 if rng.random() < 0.95 else 30 * 86400)
    return limit, step_due, moment


def _stops_early(story: Story, moment: datetime, limit: int, rng: random.Random) -> bool:
    """Withdrawn, stopped or stuck in processing (True: the story ends here)."""
    fate = rng.random()
    if fate < 0.01:
        _record(story, 7, later_working_time(moment, rng, rng.randint(0, limit)), rng, desk=INTAKE_DESK)
        return True
    if fate < 0.025:
        stopped = later_working_time(moment, rng, rng.randint(0, limit))
        recorded = _record(story, 8, stopped, rng)
        if rng.random() < 0.5:
            story.finished_at = stopped
            story.finish_visible_at = recorded
        return True
    return fate < 0.03  # stuck in processing: pending, eventually pending late


def _supplement_requests(
    story: Story, moment: datetime, limit: int, step_due: datetime | None, rng: random.Random, quirk: float
) -> tuple[datetime, timedelta] | None:
    """None, one or two requests: (moment processing resumed, the applicant's total time), or None when
    the applicant never answered. The applicant's time pushes the finish back by the same amount."""
    roll = rng.random()
    n_requests = 2 if roll < 0.025 else (1 if roll < 0.115 else 0)
    pause_total = timedelta(0)
    for _ in range(n_requests):
        requested = later_working_time(moment, rng, rng.randint(0, max(0, limit // 2)))
        _record(story, 5, requested, rng)
        if rng.random() < 0.04:
            story.supplements.append(Supplement(requested, None, requested, None))
            return None  # the applicant never answered: stays at status 5
        received = later_working_time(requested, rng, rng.randint(1, 10))
        _record(story, 4, received, rng, step_deadline=step_due)
        pause_total += received - requested
        shown = Supplement(requested, received, requested, received)
        if rng.random() < quirk:
            shown.shown_request = None  # a request without its date (data-quality warning downstream)
        elif rng.random() < quirk:
            shown.shown_receipt = requested - timedelta(hours=3)  # negative pause (bad data)
        story.supplements.append(shown)
        moment = received
    return moment, pause_total


def _finish_time(
    story: Story, accepted: datetime, moment: datetime, limit: int, pause: timedelta, rng: random.Random
) -> tuple[str, datetime]:
    """(early / on_time / late, when processing finishes) by the unit's lateness habit."""
    due = story.due_at
    late_rate = min(0.6, 0.035 * story.profile.late_factor)
    klass = rng.choices(
        ("early", "on_time", "late"), weights=(0.68 * (1 - late_rate), 0.32 * (1 - late_rate), late_rate)
    )[0]
    if klass == "early":
        finish_day = add_working_days(accepted.date(), rng.randint(0, max(0, limit - 1)))
        finished = working_time(finish_day, rng, accepted + timedelta(minutes=10))
        if finished.date() >= due.date():
            klass = "on_time"
    if klass == "on_time":
        lower = max(datetime.combine(due.date(), DAY_START), accepted + timedelta(minutes=10))
        finished = lower + timedelta(seconds=rng.randrange(max(1, int((due - lower).total_seconds()))))
    if klass == "late":
        finished = working_time(add_working_days(due.date(), rng.randint(1, 12)), rng)
    if pause:
        finished = office_time_from(finished + pause, rng)
    return klass, max(finished, moment + timedelta(minutes=5))


def _financial_obligation(story: Story, moment: datetime, finished: datetime, rng: random.Random) -> datetime | None:
    """Procedures with a financial obligation wait for it (the finish moves after it); None: not paid yet."""
    if story.procedure.financial_obligation and rng.random() < 0.6:
        obligation = max(moment + timedelta(minutes=2), finished - timedelta(days=rng.randint(1, 4)))
        _record(story, 6, obligation, rng)
        if rng.random() < 0.03:
            return None  # the applicant has not paid yet: stays at status 6
        finished = max(finished, obligation + timedelta(hours=1))
    return finished


def _apologies(story: Story, klass: str, moment: datetime, rng: random.Random) -> None:
    """A late dossier may get an apology letter with a new date (and rarely a second one)."""
    due = story.due_at
    if klass == "late" and rng.random() < story.profile.apology_habit:
        if rng.random() < 0.7:
            first_apology = working_time(previous_working_day(due.date()), rng)
        else:
            first_apology = working_time(due.date() + timedelta(days=1), rng)
        first_apology = max(first_apology, moment + timedelta(minutes=1))
        new_due = datetime.combine(add_working_days(due.date(), rng.randint(3, 12)), due.time())
        story.apologies.append((first_apology, new_due, "Hồ sơ cần xác minh thêm tại cơ sở"))
        if rng.random() < 0.1:
            second = working_time(new_due.date(), rng)
            later_due = datetime.combine(add_working_days(new_due.date(), 5), due.time())
            story.apologies.append((second, later_due, "Chờ ý kiến của cơ quan phối hợp"))


def _results(story: Story, rng: random.Random) -> None:
    if story.procedure.result_is_document:
        link = (
            f"https://dichvucong.hoabinh.gov.vn/ketqua/{story.code}.pdf"
            if rng.random() < 0.05 + 0.9 * story.digital or (story.channel == 2 and rng.random() < 0.5)
            else None
        )
        story.results.append({"MaGiayTo": f"KQ.{story.procedure.code}", "DuongDanTepTinKetQua": link})


def _finish(
    story: Story,
    klass: str,
    finished: datetime,
    moment: datetime,
    step_due: datetime | None,
    rng: random.Random,
    quirk: float,
) -> datetime | None:
    """The finish as the source records it (honestly, or backdated); returns when it was recorded, or
    None for a record whose status never moved on."""
    due = story.due_at
    if rng.random() < quirk:
        # Finished in the record, but the status never moved on (the finish time wins downstream).
        story.finished_at = finished
        story.finish_visible_at = finished + timedelta(minutes=2)
        return None
    if klass == "late" and rng.random() < 0.1 * story.profile.backdating_habit:
        # Recorded after the due time but dated before it: what PAR.3.backdated looks for.
        claimed = max(due - timedelta(seconds=rng.randint(600, 6 * 3600)), moment + timedelta(minutes=1))
        recorded = max(finished, due + timedelta(minutes=30), story.events[-1].recorded_at + timedelta(seconds=5))
        story.events.append(Event(9, claimed, recorded, SPECIALIST_DESK, step_due))
        story.finished_at = claimed
    else:
        recorded = _record(story, 9, finished, rng, step_deadline=step_due)
        story.finished_at = finished
    story.finish_visible_at = recorded
    return recorded


def _return_and_rating(story: Story, klass: str, recorded: datetime, rng: random.Random, quirk: float) -> None:
    if rng.random() < 0.06:
        return  # processed, result not collected yet: stays at status 9
    returned = later_working_time(recorded, rng, rng.choice((0, 0, 1, 2, 5)))
    shown_return = returned
    if rng.random() < quirk:
        shown_return = story.finished_at - timedelta(hours=2)  # result returned before processing finished
    _record(story, 10, returned, rng, desk=INTAKE_DESK)
    story.returned_at = shown_return
    if rng.random() < 0.35:
        weights = (30, 40, 30) if klass == "late" else (55, 40, 5)
        story.rating = (rng.choices((1, 2, 3), weights=weights)[0], after(returned, rng, 600, 3 * 86400))


# --- rendering: the source's view of the story at `end` -----------------------------------------


def render(story: Story, end: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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
