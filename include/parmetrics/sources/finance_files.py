"""The finance inbox (SOURCES.md §3): budget revenue, public investment, enterprise registrations.

Each file lands whole as the batch of its period (``landing/finance/<dataset>/batch=<YYYYMM>``) or is
quarantined whole with a one-line reason; see :mod:`parmetrics.sources.file_drops` for the rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parmetrics.config import Paths
from parmetrics.landing.schemas import BUDGET_REVENUE, ENTERPRISE_REGISTRATIONS, PUBLIC_INVESTMENT
from parmetrics.sources.file_drops import (
    Column,
    DatasetSpec,
    FileName,
    non_negative,
    process_file,
    process_inbox,
    text,
    vn_int,
    vn_number,
)

SOURCE = "finance"
SECTOR_CODES = ("DNNN_TW", "DNNN_DP", "FDI", "NQD", "TNCN", "LPTB", "TIEN_SD_DAT", "XO_SO", "KHAC")


def _lineage(name: FileName, file: str) -> dict[str, Any]:
    return {"_period": name.period, "_version": name.version, "_source_file": file}


def _amount(column: str, whole: bool = False) -> Column:
    return Column(column, non_negative(vn_int if whole else vn_number), amount=True)


SPECS: dict[str, DatasetSpec] = {
    "thu_ngan_sach": DatasetSpec(
        SOURCE,
        "thu_ngan_sach",
        (
            Column("ky_bao_cao", text, required=True),
            Column("ma_khu_vuc", text, required=True),
            Column("ten_khu_vuc", text),
            _amount("du_toan_nam"),
            _amount("thuc_hien_luy_ke"),
        ),
        BUDGET_REVENUE,
        key=("ma_khu_vuc",),
        period_column="ky_bao_cao",
        lineage=_lineage,
    ),
    "giai_ngan_dau_tu_cong": DatasetSpec(
        SOURCE,
        "giai_ngan_dau_tu_cong",
        (
            Column("ky_bao_cao", text, required=True),
            Column("ma_don_vi", text, required=True),
            Column("ma_du_an", text, required=True),
            Column("ten_du_an", text),
            _amount("ke_hoach_von_nam"),
            _amount("giai_ngan_luy_ke"),
        ),
        PUBLIC_INVESTMENT,
        key=("ma_don_vi", "ma_du_an"),
        period_column="ky_bao_cao",
        lineage=_lineage,
    ),
    "dang_ky_doanh_nghiep": DatasetSpec(
        SOURCE,
        "dang_ky_doanh_nghiep",
        (
            Column("ky_bao_cao", text, required=True),
            Column("ma_don_vi_hanh_chinh", text, required=True),
            _amount("so_dn_thanh_lap_moi", whole=True),
            _amount("von_dang_ky"),
            _amount("so_du_an_moi", whole=True),
            _amount("von_dau_tu_dang_ky"),
        ),
        ENTERPRISE_REGISTRATIONS,
        key=("ma_don_vi_hanh_chinh",),
        period_column="ky_bao_cao",
        lineage=_lineage,
    ),
}


def land_finance_file(path: Path, data_paths: Paths) -> dict[str, Any]:
    """Land, skip or quarantine one finance file (moved to archive or quarantine afterwards)."""
    return process_file(path, data_paths, SPECS, SOURCE)


def land_finance_inbox(inbox: Path, data_paths: Paths, *, claim: bool = True) -> list[dict[str, Any]]:
    return process_inbox(inbox, data_paths, SPECS, SOURCE, claim=claim)
