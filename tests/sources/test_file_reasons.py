"""A refused file's reason quotes at most the offending value, never a line of the file (issue 14, item 7).

The reason is published (``ops.quarantine`` is carried by every publication), and a file in the inbox
may be anything — a symlink to a system file included. Files are typed out here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.sources.finance_files import land_finance_inbox

MARKER = "mật-khẩu-quản-trị-7f3a9c"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def published_text(paths: Paths) -> str:
    """What the pipeline wrote about refused files: the reasons beside them and every ops record."""
    texts = [p.read_text(encoding="utf-8") for p in paths.quarantine.rglob("*.reason")]
    texts += [json.dumps(r, ensure_ascii=False) for r in ops.read_records(paths, "quarantine")]
    return "\n".join(texts)


def test_a_file_without_the_header_is_refused_without_quoting_its_first_line(inbox, tmp_path):
    paths = Paths(tmp_path / "data")
    (inbox / "thu_ngan_sach_202610.csv").write_text(f"root:{MARKER}:0:0\nnobody:x:65534\n", encoding="utf-8")
    [outcome] = land_finance_inbox(inbox, paths)
    assert outcome["reason"] == (
        "thu_ngan_sach_202610.csv: missing or renamed column: ky_bao_cao (no header row names it)"
    )
    assert MARKER not in published_text(paths)


def test_a_renamed_column_names_what_is_missing_not_what_was_found(inbox, tmp_path):
    paths = Paths(tmp_path / "data")
    (inbox / "thu_ngan_sach_202610.csv").write_text(
        f"ky_bao_cao;ma_khu_vuc;{MARKER};du_toan_nam;thuc_hien_luy_ke\n2026-10;FDI;x;1,0;2,0\n", encoding="utf-8"
    )
    [outcome] = land_finance_inbox(inbox, paths)
    assert outcome["reason"] == "thu_ngan_sach_202610.csv: missing or renamed column: ten_khu_vuc"
    assert MARKER not in published_text(paths)


def test_an_offending_value_is_quoted_cut_short(inbox, tmp_path):
    paths = Paths(tmp_path / "data")
    long_text = MARKER + "x" * 5000
    (inbox / "thu_ngan_sach_202610.csv").write_text(
        f"ky_bao_cao;ma_khu_vuc;ten_khu_vuc;du_toan_nam;thuc_hien_luy_ke\n2026-10;FDI;Khu vực FDI;{long_text};2,0\n",
        encoding="utf-8",
    )
    [outcome] = land_finance_inbox(inbox, paths)
    assert outcome["reason"] == (
        "thu_ngan_sach_202610.csv: invalid value: row 2, column du_toan_nam: not a number in Vietnamese format "
        "(1.234.567,89): 'mật-khẩu-quản-trị-7f3a9cxxxxxxxxxxxxxx…"
    )


def test_a_symlink_to_another_file_leaves_none_of_its_content_in_a_reason(inbox, tmp_path):
    # The claimer refuses a link without opening it (triggers/claim.py); its reason quotes nothing of the target.
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_text(f"root:{MARKER}:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (inbox / "thu_ngan_sach_202610.csv").symlink_to(secret)
    paths = Paths(tmp_path / "data")
    [outcome] = land_finance_inbox(inbox, paths)
    assert outcome["status"] == "refused"
    assert "symbolic link" in outcome["reason"]
    assert MARKER not in outcome["reason"]
    assert MARKER not in published_text(paths)


def test_quarantine_records_name_paths_relative_to_the_data_directory(inbox, tmp_path):
    paths = Paths(tmp_path / "data")
    (inbox / "thu_ngan_sach_202610.csv").write_text("", encoding="utf-8")
    land_finance_inbox(inbox, paths)
    [record] = list(ops.read_records(paths, "quarantine"))
    assert record["quarantined_to"] == "quarantine/finance/thu_ngan_sach_202610.csv"
    assert str(tmp_path) not in json.dumps(record)
