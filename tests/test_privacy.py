import hashlib
import hmac

import pytest

from parmetrics.privacy import pseudonymise_dossier

RECORD = {
    "MaHoSo": "H30.01-240105-0001",
    "ChuHoSo": "Hoàng Đức Phúc",
    "SoDinhDanh": "017069186134",
    "SoDienThoai": "0328335998",
    "Email": "phuc@example.vn",
    "DiaChi": "Xóm Chiềng, xã Vạn Mai",
    "TrangThaiHoSo": 10,
}


# The personal data the contract names (applicant's name, ID number, phone, e-mail, address), typed out
# here rather than taken from the code's own list.
PERSONAL_FIELDS = ("ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi")


def test_personal_fields_are_dropped_and_the_id_becomes_a_keyed_hash():
    clean = pseudonymise_dossier(RECORD, b"k1")
    assert clean == {
        "MaHoSo": "H30.01-240105-0001",
        "TrangThaiHoSo": 10,
        # printf %s 017069186134 | openssl dgst -sha256 -hmac k1
        "applicant_key": "ae70bc41eab9307de07dc610c5b393f4f5c7fd54e5a153cb8fe417e6db4a0d81",
    }
    assert not set(clean) & set(PERSONAL_FIELDS)
    assert clean["applicant_key"] == hmac.new(b"k1", b"017069186134", hashlib.sha256).hexdigest()
    assert clean["MaHoSo"] == RECORD["MaHoSo"] and clean["TrangThaiHoSo"] == 10
    assert "ChuHoSo" in RECORD  # the input is not modified
    assert pseudonymise_dossier(RECORD, b"k2")["applicant_key"] != clean["applicant_key"]


@pytest.mark.parametrize("id_number", [None, "", "   "])
def test_no_id_number_gives_a_null_key(id_number):
    assert pseudonymise_dossier({**RECORD, "SoDinhDanh": id_number}, b"k")["applicant_key"] is None


def test_an_empty_key_is_refused():
    with pytest.raises(ValueError):
        pseudonymise_dossier(RECORD, b"")
