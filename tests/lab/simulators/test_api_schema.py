"""Every field, type and code the simulated dossier API serves matches SOURCES.md §1.

The contract table is parsed from the shared design folder beside the repository
(../shared/design/SOURCES.md); in a standalone checkout the test is skipped rather than compared with
a stale copy. Records are read through the HTTP API, all pages of the default dataset.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from parmetrics.lab.simulators.dossier_api import serve_in_thread
from parmetrics.timestamps import parse_ts

from .conftest import TOKEN

SOURCES_MD = Path(__file__).resolve().parents[3].parent / "shared" / "design" / "SOURCES.md"
pytestmark = pytest.mark.skipif(not SOURCES_MD.exists(), reason="SOURCES.md not beside the repository")


def _contract() -> tuple[dict[str, tuple[str, str]], list[str]]:
    """({field: (type, meaning)} of the dossier table, [event fields])."""
    text = SOURCES_MD.read_text(encoding="utf-8")
    section = text.split("### `GET /api/v1/dossiers`")[1].split("### `GET /api/v1/dossier-events`")[0]
    fields: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or cells[0] in ("field",) or set(cells[0]) <= {"-"}:
            continue
        # Cells may contain "|" inside backticks (string|null): re-join everything after the name.
        name, rest = cells[0], "|".join(cells[1:])
        typ, _, meaning = rest.partition("|")
        for n in name.split(","):
            fields[n.strip()] = (typ.strip(), meaning.strip())
    events = text.split("### `GET /api/v1/dossier-events`")[1]
    braces = re.search(r"`\{(MaHoSo, STT[^`]*)\}`", events).group(1)
    event_fields = [re.sub(r"\s*\(.*", "", f).strip() for f in re.split(r",\s*(?![^()]*\))", braces)]
    return fields, event_fields


def _codes(meaning: str) -> set[int]:
    return {int(m) for m in re.findall(r"(?:^|[,·:]\s*)(\d+) (?=[a-z])", meaning)}


def _read_all(client: httpx.Client, path: str) -> list[dict]:
    out, cursor = [], None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=params, headers={"Authorization": f"Bearer {TOKEN}"}).json()
        out += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return out


@pytest.fixture(scope="module")
def served(default_db: Path) -> tuple[list[dict], list[dict]]:
    with serve_in_thread(default_db, TOKEN) as server, httpx.Client(base_url=server.base_url) as client:
        return _read_all(client, "/api/v1/dossiers"), _read_all(client, "/api/v1/dossier-events")


def _check_type(name: str, typ: str, value: object) -> None:
    if value is None:
        return
    base = typ.split("|")[0].strip()
    if base == "string":
        assert isinstance(value, str), (name, value)
    elif base == "int":
        assert isinstance(value, int) and not isinstance(value, bool), (name, value)
    elif base == "ts":
        assert isinstance(value, str) and parse_ts(value), (name, value)
    elif base == "list":
        assert isinstance(value, list), (name, value)
    else:
        raise AssertionError(f"unknown contract type {typ!r} of {name}")


def test_dossier_fields_types_and_codes_match_the_contract(served: tuple[list[dict], list[dict]]):
    contract, _ = _contract()
    assert len(contract) == 26 and "NgayCapNhat" in contract and "SoDienThoai" in contract
    dossiers, _ = served
    assert len(dossiers) > 1000
    observed_codes: dict[str, set] = {}
    for d in dossiers:
        assert list(d) == list(contract), "every field present, in the contract's order"
        assert d["MaHoSo"] and d["NgayCapNhat"] and d["TrangThaiHoSo"] is not None
        for name, (typ, meaning) in contract.items():
            value = d[name]
            _check_type(name, typ, value)
            if typ == "list":
                meaning = meaning[meaning.index("{") :]
                keys = re.findall(r"(\w+):", meaning)
                for item in value:
                    assert list(item) == keys, (name, item)
                    for key, item_type in re.findall(r"(\w+): ([a-z]+)", meaning):
                        if item_type == "ts":
                            assert item[key] is None or parse_ts(item[key]), (name, key, item)
                        elif item_type == "string":
                            assert item[key] is None or isinstance(item[key], str), (name, key, item)
                        elif item_type == "number":
                            assert isinstance(item[key], int | float), (name, key, item)
            if typ.startswith("int"):
                observed_codes.setdefault(name, set()).add(value)
    for name, values in observed_codes.items():
        codes = _codes(contract[name][1])
        if name == "TaiKhoanDuocXacThucVoiVNeID":
            codes |= {0}
        if name in ("KenhThucHien", "MucDoHaiLong"):
            codes |= {None}  # null counts as 1 / no rating
        assert codes, name
        assert values == codes, (name, values, codes)  # every code occurs, and nothing else
    # 0/1 flags of the submitted components.
    flags = {(p["DuocSoHoa"], p["TaiSuDung"], p["DuocLayTuKhoDMQG"]) for d in dossiers for p in d["TaiLieuNop"]}
    assert {v for f in flags for v in f} == {0, 1}


def test_event_fields_types_and_codes_match_the_contract(served: tuple[list[dict], list[dict]]):
    contract, event_fields = _contract()
    assert event_fields == [
        "MaHoSo",
        "STT",
        "TrangThai",
        "ThoiDiemXuLy",
        "ThoiDiemGhiNhan",
        "PhongBanXuLy",
        "NgayKetThucTheoQuyDinh",
    ]
    _, events = served
    statuses = _codes(contract["TrangThaiHoSo"][1])
    assert statuses == set(range(1, 11))
    for e in events:
        assert list(e) == event_fields
        assert isinstance(e["MaHoSo"], str) and isinstance(e["STT"], int) and e["STT"] >= 1
        assert e["TrangThai"] in statuses
        assert parse_ts(e["ThoiDiemXuLy"]) and parse_ts(e["ThoiDiemGhiNhan"])
        assert isinstance(e["PhongBanXuLy"], str)
        assert e["NgayKetThucTheoQuyDinh"] is None or parse_ts(e["NgayKetThucTheoQuyDinh"])
    assert {e["TrangThai"] for e in events} == statuses
