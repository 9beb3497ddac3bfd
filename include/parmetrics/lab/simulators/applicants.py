"""The simulated applicants (personal data): the same person behind a pool slot every time it is drawn."""

from __future__ import annotations

import random
import unicodedata
from functools import lru_cache
from typing import Any

from parmetrics.lab.simulators.province import PROVINCE_NAME, UNITS_BY_CODE

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
def applicant(seed: int, index: int, subject_type: int) -> dict[str, Any]:
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
