"""The simulated province: its units and procedures, shared by every simulator.

One fictional but plausible province (Hòa Bình before the 2025 merger, continued under its own code
so that the province row has one history): 19 departments, 10 districts with 150 communes, and the
2025 reorganisation — districts and the old communes cease on 2025-06-30; each group of three old
communes merges into one of 50 new communes (``H30.50`` … ``H30.99``) from 2025-07-01, which also take
over the district-level procedures. Departments continue.

The geography (codes, names, who merges with whom) is fixed, like a real province's; what depends on
the simulation seed is behaviour — each unit's size, lateness and habits (:func:`unit_profiles`).

The procedure catalogue (~1,500 procedures) is generated once from a fixed seed as well; each
procedure may change its time limit or online level on a date, may be published later than 2019 or
expire, so the catalogue *as of* a month (:func:`procedure_state`) matters.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

from parmetrics.workcalendar import add_working_days

REORGANISATION_END = date(2025, 6, 30)
REORGANISATION_START = date(2025, 7, 1)
PROVINCE_NAME = "Hòa Bình"
PROVINCE_CODE = "H30"
FOUNDED = date(1991, 10, 1)
GEOGRAPHY_SEED = 1991


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str  # the reference file's `cap`: tinh, so, huyen, xa
    parent: str | None
    valid_from: date
    valid_to: date | None = None
    successor: str | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


PROVINCE = Unit(PROVINCE_CODE, "UBND tỉnh Hòa Bình", "tinh", None, FOUNDED)

DEPARTMENTS = (
    ("Sở Tư pháp", FOUNDED),
    ("Sở Kế hoạch và Đầu tư", FOUNDED),
    ("Sở Tài nguyên và Môi trường", date(2003, 1, 1)),
    ("Sở Xây dựng", FOUNDED),
    ("Sở Giao thông vận tải", FOUNDED),
    ("Sở Công Thương", date(2008, 4, 1)),
    ("Sở Nông nghiệp và Phát triển nông thôn", FOUNDED),
    ("Sở Tài chính", FOUNDED),
    ("Sở Nội vụ", FOUNDED),
    ("Sở Lao động - Thương binh và Xã hội", FOUNDED),
    ("Sở Giáo dục và Đào tạo", FOUNDED),
    ("Sở Y tế", FOUNDED),
    ("Sở Văn hóa, Thể thao và Du lịch", date(2008, 4, 1)),
    ("Sở Khoa học và Công nghệ", FOUNDED),
    ("Sở Thông tin và Truyền thông", date(2008, 4, 1)),
    ("Thanh tra tỉnh", FOUNDED),
    ("Ban Dân tộc tỉnh", FOUNDED),
    ("Văn phòng UBND tỉnh", FOUNDED),
    ("Ban Quản lý các khu công nghiệp tỉnh", date(2005, 7, 1)),
)

DISTRICTS = (
    ("huyện", "Lạc Sơn", ("Ân Nghĩa", "Yên Nghiệp")),
    ("huyện", "Mai Châu", ("Chiềng Châu", "Vạn Mai")),
    ("huyện", "Cao Phong", ("Bắc Phong", "Thu Phong")),
    ("huyện", "Đà Bắc", ("Tú Lý", "Cao Sơn")),
    ("huyện", "Kim Bôi", ("Bình Sơn", "Nật Sơn")),
    ("huyện", "Lạc Thủy", ("Đồng Tâm", "Khoan Dụ")),
    ("huyện", "Lương Sơn", ("Cư Yên", "Liên Sơn")),
    ("huyện", "Tân Lạc", ("Mãn Đức", "Quy Hậu")),
    ("huyện", "Yên Thủy", ("Bảo Hiệu", "Lạc Lương")),
    ("thành phố", "Hòa Bình", ("Phương Lâm", "Thịnh Lang")),
)
COMMUNES_PER_DISTRICT = 15
MERGE_GROUP = 3  # old communes per new commune

_SYLLABLES = (
    "An", "Bình", "Phú", "Tân", "Yên", "Hòa", "Thạch", "Mỹ", "Đồng", "Xuân", "Trung", "Cao", "Ngọc", "Tú",
    "Lâm", "Sơn", "Thủy", "Hợp", "Nghĩa", "Quý", "Liên", "Vĩnh", "Kim", "Phong", "Thượng", "Hạ", "Hưng",
    "Thành", "Long", "Hiền", "Lương", "Mường", "Chiềng", "Tiến", "Định", "Đức", "Lập", "Thanh", "Khánh",
    "Vân", "Hà", "Lũng", "Bằng", "Độc", "Hang", "Pà", "Nà", "Tòng", "Mông", "Đậu", "Văn", "Hội",
)  # fmt: skip


def _commune_names() -> list[list[str]]:
    rng = random.Random(GEOGRAPHY_SEED)
    used = {n for _, d, firsts in DISTRICTS for n in (d, *firsts)}
    names = []
    for _, _, firsts in DISTRICTS:
        district = list(firsts)
        while len(district) < COMMUNES_PER_DISTRICT:
            name = f"{rng.choice(_SYLLABLES)} {rng.choice(_SYLLABLES)}"
            if name.split()[0] != name.split()[1] and name not in used:
                used.add(name)
                district.append(name)
        names.append(district)
    return names


def _build_units() -> tuple[Unit, ...]:
    units = [PROVINCE]
    for i, (name, since) in enumerate(DEPARTMENTS, start=1):
        units.append(Unit(f"{PROVINCE_CODE}.{i:02d}", name, "so", PROVINCE_CODE, since))
    new_communes = []
    for d, ((kind, district_name, _), communes) in enumerate(zip(DISTRICTS, _commune_names(), strict=True)):
        district_code = f"{PROVINCE_CODE}.{20 + d}"
        units.append(
            Unit(district_code, f"UBND {kind} {district_name}", "huyen", PROVINCE_CODE, FOUNDED, REORGANISATION_END)
        )
        commune_kind = "phường" if kind == "thành phố" else "xã"
        for c, commune in enumerate(communes):
            group = c // MERGE_GROUP
            successor = f"{PROVINCE_CODE}.{50 + 10 * group + d}"
            code = f"{district_code}.{c + 1:02d}"
            units.append(
                Unit(
                    code, f"UBND {commune_kind} {commune}", "xa", district_code, FOUNDED, REORGANISATION_END, successor
                )
            )
        for group in range(COMMUNES_PER_DISTRICT // MERGE_GROUP):
            # The first new commune of a district takes the district's name; the others their first member's.
            name = district_name if group == 0 else communes[group * MERGE_GROUP]
            new_communes.append(
                Unit(
                    f"{PROVINCE_CODE}.{50 + 10 * group + d}",
                    f"UBND {commune_kind} {name}",
                    "xa",
                    PROVINCE_CODE,
                    REORGANISATION_START,
                )
            )
    units.extend(sorted(new_communes, key=lambda u: u.code))
    return tuple(units)


UNITS: tuple[Unit, ...] = _build_units()
UNITS_BY_CODE = {u.code: u for u in UNITS}
DEPARTMENT_CODES = tuple(u.code for u in UNITS if u.level == "so")


def units_valid_on(day: date, level: str) -> list[Unit]:
    return [u for u in UNITS if u.level == level and u.valid_on(day)]


# --- per-unit behaviour (depends on the seed) ---------------------------------------------------


@dataclass(frozen=True)
class UnitProfile:
    size: float  # relative dossier volume among units of its level
    late_factor: float  # multiplies the province's base late rate
    apology_habit: float  # probability that a late dossier gets an apology letter
    digital_habit: float  # shifts digitisation, e-results and e-documents (about -0.2 … +0.2)
    backdating_habit: float  # multiplies the backdated-completion rate


@lru_cache(maxsize=8)
def unit_profiles(seed: int) -> dict[str, UnitProfile]:
    """Each unit's habits; three units are chronically late (late_factor 5–7)."""
    rng = random.Random(f"{seed}/units")
    profiles = {}
    for u in UNITS:
        size = math.exp(rng.gauss(0, 0.6))
        if u.level == "xa" and u.valid_from == REORGANISATION_START:
            members = [m for m in UNITS if m.successor == u.code]
            size = sum(profiles[m.code].size for m in members) / 2  # bigger, but people travel less
        profiles[u.code] = UnitProfile(
            size=size,
            late_factor=math.exp(rng.gauss(0, 0.35)),
            apology_habit=min(0.98, max(0.2, rng.gauss(0.7, 0.15))),
            digital_habit=rng.uniform(-0.2, 0.2),
            backdating_habit=math.exp(rng.gauss(0, 0.5)),
        )
    # Chronically late: one of the busy departments and two districts.
    chronic = [rng.choice(DEPARTMENT_CODES[:3]), *rng.sample([u.code for u in UNITS if u.level == "huyen"], 2)]
    for code in chronic:
        profiles[code] = replace(profiles[code], late_factor=rng.uniform(5.0, 7.0), apology_habit=0.3)
    return profiles


# --- the procedure catalogue --------------------------------------------------------------------


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    level: str  # cap_thuc_hien: tinh, huyen, xa
    time_limit_days: int  # working days
    handled_by: str | None  # department (or province) code for provincial procedures; None = local unit
    online_level: str  # muc_do_dvc: toan_trinh, mot_phan, khong
    fee_vnd: int  # 0 = no fee
    result_is_document: bool
    financial_obligation: bool  # the applicant pays taxes before the result (status 6)
    components: tuple[str, ...]
    weight: float  # share of the dossier volume
    citizen_share: float = 0.9
    in_catalogue: bool = True  # False: a code the catalogue lacks (METRICS.md §2 keeps such dossiers)
    sector: str = "Hành chính tư pháp"
    decided_on: date = date(2018, 12, 3)  # ngay_qd_cong_bo
    effective_on: date = date(2018, 12, 15)  # ngay_hieu_luc
    expires_on: date | None = None  # ngay_het_hieu_luc
    published_db_on: date | None = date(2018, 12, 5)  # ngay_cong_khai_csdl
    complete_parts: bool = True  # day_du_bo_phan
    full_online_eligible: bool = False  # du_dieu_kien_toan_trinh
    # A later decision changes the time limit and/or online level from this date.
    changed_on: date | None = None
    new_time_limit_days: int | None = None
    new_online_level: str | None = None


# The head of the volume distribution: the procedures everyone knows.
_HEAD = (
    ("1.001193", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "tinh", 10, "H30.01", "toan_trinh", 200_000,
     True, False, ("TK_LLTP", "CCCD"), 0.05, 0.9, "Lý lịch tư pháp"),
    ("2.001610", "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", "tinh", 3, "H30.02", "toan_trinh",
     50_000, True, False, ("GDN", "DIEU_LE", "CCCD"), 0.03, 0.1, "Thành lập và hoạt động doanh nghiệp"),
    ("1.004227", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "tinh", 10, "H30.03",
     "mot_phan", 100_000, True, True, ("DON_DK", "GCN", "HOP_DONG"), 0.05, 0.9, "Đất đai"),
    ("1.001612", "Đăng ký khai sinh", "xa", 1, None, "toan_trinh", 0, True, False, ("TK_KS", "GIAY_CHUNG_SINH"),
     0.09, 1.0, "Hộ tịch"),
    ("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "xa", 1, None, "khong", 2_000, True, False,
     ("BAN_CHINH",), 0.10, 0.9, "Chứng thực"),
    ("1.010007", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "huyen", 15, None, "mot_phan", 75_000, True, False,
     ("DON_XPXD", "BAN_VE", "GCN"), 0.04, 0.95, "Xây dựng"),
    ("1.001022", "Đăng ký kết hôn", "xa", 1, None, "mot_phan", 0, True, False, ("TK_KH", "CCCD"), 0.03, 1.0,
     "Hộ tịch"),
    ("1.000656", "Đăng ký khai tử", "xa", 1, None, "toan_trinh", 0, True, False, ("TK_KT", "GIAY_BAO_TU"), 0.02, 1.0,
     "Hộ tịch"),
    ("2.000635", "Cấp bản sao trích lục hộ tịch", "xa", 1, None, "toan_trinh", 8_000, True, False, ("TK_TL",), 0.03,
     1.0, "Hộ tịch"),
    ("2.001891", "Đăng ký hộ kinh doanh", "huyen", 3, None, "toan_trinh", 100_000, True, False,
     ("GDK_HKD", "CCCD"), 0.03, 0.95, "Thành lập và hoạt động hộ kinh doanh"),
)  # fmt: skip

# Not in the catalogue: the province's own procedures nobody declared (METRICS.md §2 data-quality warning).
_UNKNOWN = (
    ("1.999901", "Xác nhận tình trạng nhà ở (thủ tục đặc thù của tỉnh)", "xa", 5, None),
    ("1.999902", "Xác nhận hộ nghèo phát sinh (thủ tục đặc thù của tỉnh)", "xa", 7, None),
    ("1.999903", "Hỗ trợ di dời nhà ở vùng sạt lở (thủ tục đặc thù của tỉnh)", "tinh", 10, "H30.07"),
)

# Sector → (department handling provincial procedures, name templates).
SECTORS = (
    ("Hộ tịch", "H30.01", ("Đăng ký {x}", "Cấp bản sao {x}", "Thay đổi, cải chính {x}")),
    ("Chứng thực", "H30.01", ("Chứng thực {x}",)),
    ("Lý lịch tư pháp", "H30.01", ("Cấp {x}",)),
    ("Thành lập và hoạt động doanh nghiệp", "H30.02", ("Đăng ký {x}", "Thông báo {x}", "Giải thể {x}")),
    ("Đầu tư tại Việt Nam", "H30.02", ("Chấp thuận {x}", "Điều chỉnh {x}")),
    ("Đất đai", "H30.03", ("Đăng ký {x}", "Cấp đổi {x}", "Gia hạn {x}")),
    ("Môi trường", "H30.03", ("Cấp giấy phép {x}", "Thẩm định {x}")),
    ("Xây dựng", "H30.04", ("Cấp giấy phép {x}", "Điều chỉnh giấy phép {x}", "Thẩm định {x}")),
    ("Đường bộ", "H30.05", ("Cấp {x}", "Đổi {x}", "Cấp lại {x}")),
    ("Lưu thông hàng hóa trong nước", "H30.06", ("Cấp giấy phép {x}", "Cấp lại giấy phép {x}")),
    ("Trồng trọt", "H30.07", ("Cấp giấy chứng nhận {x}", "Công nhận {x}")),
    ("Thủy lợi", "H30.07", ("Cấp phép {x}",)),
    ("Quản lý công sản", "H30.08", ("Quyết định {x}", "Thanh lý {x}")),
    ("Tôn giáo Chính phủ", "H30.09", ("Đăng ký {x}", "Thông báo {x}")),
    ("Thi đua, khen thưởng", "H30.09", ("Tặng {x}", "Xét tặng {x}")),
    ("Bảo trợ xã hội", "H30.10", ("Trợ cấp {x}", "Hỗ trợ {x}")),
    ("Người có công", "H30.10", ("Giải quyết chế độ {x}", "Cấp {x}")),
    ("Giáo dục và Đào tạo", "H30.11", ("Công nhận {x}", "Cấp phép {x}", "Chuyển trường {x}")),
    ("Khám bệnh, chữa bệnh", "H30.12", ("Cấp chứng chỉ {x}", "Cấp giấy phép {x}")),
    ("Dược phẩm", "H30.12", ("Cấp chứng chỉ {x}",)),
    ("Văn hóa", "H30.13", ("Cấp giấy phép {x}", "Công nhận {x}")),
    ("Du lịch", "H30.13", ("Cấp giấy phép {x}", "Công nhận {x}")),
    ("Hoạt động khoa học và công nghệ", "H30.14", ("Đăng ký {x}", "Cấp giấy chứng nhận {x}")),
    ("Báo chí, xuất bản", "H30.15", ("Cấp giấy phép {x}",)),
    ("Giải quyết khiếu nại, tố cáo", "H30.16", ("Giải quyết {x}",)),
    ("Công tác dân tộc", "H30.17", ("Công nhận {x}", "Đưa ra khỏi danh sách {x}")),
    ("Hành chính tổng hợp", "H30", ("Cấp {x}", "Phê duyệt {x}")),
    ("Quản lý khu công nghiệp", "H30.19", ("Cấp giấy phép {x}", "Xác nhận {x}")),
)
_OBJECTS = (
    "người nước ngoài", "hộ gia đình, cá nhân", "tổ chức", "doanh nghiệp", "hợp tác xã", "cơ sở kinh doanh",
    "lần đầu", "có yếu tố nước ngoài", "trường hợp thay đổi thông tin", "dự án đầu tư", "công trình cấp IV",
    "nhà ở riêng lẻ tại nông thôn", "phương tiện", "cơ sở giáo dục", "cơ sở y tế tư nhân", "di tích cấp tỉnh",
    "sản phẩm OCOP", "giống cây trồng", "trang trại", "khu vực biên giới", "nhà văn hóa thôn, bản",
)  # fmt: skip
LIMITS = (1, 2, 3, 5, 7, 10, 12, 15, 20, 30, 45)
N_PROCEDURES = 1500


def _generated_procedures() -> list[Procedure]:
    rng = random.Random(GEOGRAPHY_SEED)
    out: list[Procedure] = []
    used = {h[0] for h in _HEAD} | {u[0] for u in _UNKNOWN}
    for code, name, level, limit, by, online, fee, doc, obligation, comps, weight, citizens, sector in _HEAD:
        out.append(
            Procedure(code, name, level, limit, by, online, fee, doc, obligation, comps, weight, citizens, True, sector)
        )
    for code, name, level, limit, by in _UNKNOWN:
        out.append(
            Procedure(code, name, level, limit, by, "mot_phan", 0, False, False, ("DON",), 0.003, in_catalogue=False)
        )
    rank = 0
    while len(out) < N_PROCEDURES + len(_UNKNOWN):
        sector, department, templates = rng.choice(SECTORS)
        level = rng.choices(("tinh", "huyen", "xa"), weights=(76, 15, 9))[0]
        code = f"{rng.choice((1, 1, 2))}.{rng.randrange(100, 13000):06d}"
        if code in used:
            continue
        used.add(code)
        rank += 1
        name = rng.choice(templates).format(x=rng.choice(_OBJECTS))
        name = f"{name} ({sector.lower()}, cấp {'tỉnh' if level == 'tinh' else level.replace('huyen', 'huyện')})"
        online = rng.choices(("toan_trinh", "mot_phan", "khong"), weights=(35, 40, 25))[0]
        limit = rng.choice(LIMITS if level == "tinh" else LIMITS[:8])
        fee = rng.choice((0, 0, 0, 10_000, 20_000, 50_000, 100_000, 300_000, 1_000_000))
        # Decided before 2019 mostly; a tenth come later (new laws), a few expire.
        if rng.random() < 0.88:
            effective = date(2015, 1, 1) + timedelta(days=rng.randrange(1400))
        else:
            effective = date(2019, 3, 1) + timedelta(days=rng.randrange(2400))
        decided = effective - timedelta(days=rng.randint(8, 30) if rng.random() < 0.85 else rng.randint(-5, 4))
        published = decided + timedelta(days=rng.randint(1, 5) if rng.random() < 0.8 else rng.randint(8, 40))
        if rng.random() < 0.06:
            published = None
        expires = None
        if rng.random() < 0.08:
            expires = max(effective + timedelta(days=365), date(2020, 1, 1) + timedelta(days=rng.randrange(2200)))
        changed_on = new_limit = new_online = None
        if rng.random() < 0.15:
            changed_on = date(2020, 1, 1) + timedelta(days=rng.randrange(2300))
            new_limit = max(1, limit - rng.choice((1, 2, 5))) if limit > 2 else limit
            new_online = {"khong": "mot_phan", "mot_phan": "toan_trinh"}.get(online, online)
        out.append(
            Procedure(
                code=code,
                name=name,
                level=level,
                time_limit_days=limit,
                handled_by=(department if level == "tinh" else None),
                online_level=online,
                fee_vnd=fee,
                result_is_document=rng.random() < 0.8,
                financial_obligation=sector == "Đất đai" and rng.random() < 0.5,
                components=tuple(f"TP{k + 1}" for k in range(rng.randint(1, 4))),
                weight=0.35 / (rank**1.1),
                citizen_share=rng.choice((0.1, 0.5, 0.9, 1.0)),
                sector=sector,
                decided_on=decided,
                effective_on=effective,
                expires_on=expires,
                published_db_on=published,
                complete_parts=rng.random() < 0.92,
                full_online_eligible=online == "toan_trinh" or rng.random() < 0.2,
                changed_on=changed_on,
                new_time_limit_days=new_limit,
                new_online_level=new_online,
            )
        )
    return out


PROCEDURES: tuple[Procedure, ...] = tuple(_generated_procedures())
PROCEDURES_BY_CODE = {p.code: p for p in PROCEDURES}
CATALOGUE = tuple(p for p in PROCEDURES if p.in_catalogue)


# --- the catalogue as of a month ----------------------------------------------------------------


def month_end(month: str) -> date:
    year, mon = int(month[:4]), int(month[4:])
    return date(year + mon // 12, mon % 12 + 1, 1) - timedelta(days=1)


def catalogue_months(start: date, end: date) -> list[str]:
    """Months with a catalogue export: every January and July from `start`'s year, and `end`'s month."""
    months = []
    for year in range(start.year, end.year + 1):
        for mon in (1, 7):
            if date(year, mon, 1) <= end:
                months.append(f"{year}{mon:02d}")
    last = f"{end:%Y%m}"
    if last not in months:
        months.append(last)
    return months


@dataclass(frozen=True)
class ProcedureState:
    """A procedure's catalogue row as exported in a month (None where it was not in that export)."""

    level: str
    time_limit_days: int
    online_level: str
    expires_on: date | None


def procedure_state(procedure: Procedure, month: str) -> ProcedureState | None:
    """The procedure as the catalogue snapshot exported in `month` describes it (state at month end)."""
    as_of = month_end(month)
    if not procedure.in_catalogue or procedure.decided_on > as_of:
        return None
    changed = procedure.changed_on is not None and procedure.changed_on <= as_of
    level = procedure.level
    if level == "huyen" and as_of >= REORGANISATION_START:
        level = "xa"  # district-level procedures passed to the communes in the 2025 reorganisation
    return ProcedureState(
        level=level,
        time_limit_days=(procedure.new_time_limit_days or procedure.time_limit_days)
        if changed
        else procedure.time_limit_days,
        online_level=(procedure.new_online_level or procedure.online_level) if changed else procedure.online_level,
        expires_on=procedure.expires_on if procedure.expires_on and procedure.expires_on <= as_of else None,
    )


class Catalogue:
    """The catalogue snapshots of one simulation, and the as-of rule of METRICS.md §2."""

    def __init__(self, start: date, end: date) -> None:
        self.months = catalogue_months(start, end)

    def month_for(self, day: date) -> str:
        """The newest snapshot exported in or before the month of `day`; the oldest if none is that old."""
        key = f"{day:%Y%m}"
        i = bisect.bisect_right(self.months, key)
        return self.months[max(0, i - 1)]

    def time_limit(self, procedure: Procedure, day: date) -> int:
        """The time limit a dossier accepted on `day` is due by (the live rule when not in that snapshot)."""
        state = procedure_state(procedure, self.month_for(day))
        if state is not None:
            return state.time_limit_days
        changed = procedure.changed_on is not None and procedure.changed_on <= day
        return (procedure.new_time_limit_days or procedure.time_limit_days) if changed else procedure.time_limit_days


def online_level_on(procedure: Procedure, day: date) -> str:
    if procedure.changed_on is not None and procedure.changed_on <= day and procedure.new_online_level:
        return procedure.new_online_level
    return procedure.online_level


def in_force_on(procedure: Procedure, day: date) -> bool:
    return procedure.effective_on <= day and (procedure.expires_on is None or day < procedure.expires_on)


def published_on_time(procedure: Procedure) -> bool:
    """766.1.1: decision dated at least 5 working days before the legal effective date."""
    return add_working_days(procedure.decided_on, 5) <= procedure.effective_on
