"""The simulated province: its units and procedures, shared by every simulator.

One fictional but plausible province (Hòa Bình before the 2025 merger, continued under its own code
so that the province row has one history). The 2025 reorganisation is modelled: districts and the
old communes cease on 2025-06-30; each old commune has a successor commune from 2025-07-01, and
district-level procedures move to the new communes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

REORGANISATION_END = date(2025, 6, 30)
REORGANISATION_START = date(2025, 7, 1)
PROVINCE_NAME = "Hòa Bình"


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


PROVINCE = Unit("H30", "UBND tỉnh Hòa Bình", "tinh", None, date(1991, 10, 1))
UNITS: tuple[Unit, ...] = (
    PROVINCE,
    Unit("H30.01", "Sở Tư pháp", "so", "H30", date(1991, 10, 1)),
    Unit("H30.02", "Sở Kế hoạch và Đầu tư", "so", "H30", date(1991, 10, 1)),
    Unit("H30.03", "Sở Tài nguyên và Môi trường", "so", "H30", date(2003, 1, 1)),
    Unit("H30.20", "UBND huyện Lạc Sơn", "huyen", "H30", date(1991, 10, 1), REORGANISATION_END),
    Unit("H30.21", "UBND huyện Mai Châu", "huyen", "H30", date(1991, 10, 1), REORGANISATION_END),
    Unit("H30.20.01", "UBND xã Ân Nghĩa", "xa", "H30.20", date(1991, 10, 1), REORGANISATION_END, "H30.50"),
    Unit("H30.20.02", "UBND xã Yên Nghiệp", "xa", "H30.20", date(1991, 10, 1), REORGANISATION_END, "H30.50"),
    Unit("H30.21.01", "UBND xã Chiềng Châu", "xa", "H30.21", date(1991, 10, 1), REORGANISATION_END, "H30.51"),
    Unit("H30.21.02", "UBND xã Vạn Mai", "xa", "H30.21", date(1991, 10, 1), REORGANISATION_END, "H30.51"),
    Unit("H30.50", "UBND xã Lạc Sơn", "xa", "H30", REORGANISATION_START),
    Unit("H30.51", "UBND xã Mai Châu", "xa", "H30", REORGANISATION_START),
)
UNITS_BY_CODE = {u.code: u for u in UNITS}


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    level: str  # cap_thuc_hien: tinh, huyen, xa
    time_limit_days: int  # working days
    handled_by: str | None  # department code for provincial procedures; None = the local unit
    online_level: str  # muc_do_dvc: toan_trinh, mot_phan, khong
    fee_vnd: int  # 0 = no fee
    result_is_document: bool
    financial_obligation: bool  # the applicant pays taxes before the result (status 6)
    components: tuple[str, ...]
    weight: float  # share of the dossier volume
    citizen_share: float = 0.9
    in_catalogue: bool = True  # False: a code the catalogue lacks (METRICS.md §2 keeps such dossiers)


PROCEDURES: tuple[Procedure, ...] = (
    Procedure(
        "1.001193",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "tinh",
        10,
        "H30.01",
        "toan_trinh",
        200_000,
        True,
        False,
        ("TK_LLTP", "CCCD"),
        0.16,
    ),
    Procedure(
        "2.001610",
        "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
        "tinh",
        3,
        "H30.02",
        "toan_trinh",
        50_000,
        True,
        False,
        ("GDN", "DIEU_LE", "CCCD"),
        0.08,
        citizen_share=0.1,
    ),
    Procedure(
        "1.004227",
        "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "tinh",
        10,
        "H30.03",
        "mot_phan",
        100_000,
        True,
        True,
        ("DON_DK", "GCN", "HOP_DONG"),
        0.12,
    ),
    Procedure(
        "1.001612",
        "Đăng ký khai sinh",
        "xa",
        1,
        None,
        "toan_trinh",
        0,
        True,
        False,
        ("TK_KS", "GIAY_CHUNG_SINH"),
        0.22,
    ),
    Procedure(
        "2.000815",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "xa",
        1,
        None,
        "khong",
        2_000,
        True,
        False,
        ("BAN_CHINH",),
        0.18,
    ),
    Procedure(
        "1.010007",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "huyen",
        15,
        None,
        "mot_phan",
        75_000,
        True,
        False,
        ("DON_XPXD", "BAN_VE", "GCN"),
        0.14,
    ),
    Procedure(
        "1.999901",
        "Xác nhận tình trạng nhà ở (thủ tục đặc thù của tỉnh)",
        "xa",
        5,
        None,
        "mot_phan",
        0,
        False,
        False,
        ("DON_XN",),
        0.10,
        in_catalogue=False,
    ),
)
PROCEDURES_BY_CODE = {p.code: p for p in PROCEDURES}


def units_valid_on(day: date, level: str) -> list[Unit]:
    return [u for u in UNITS if u.level == level and u.valid_on(day)]
