from __future__ import annotations

from pathlib import Path

import pytest
from dbt_support import Warehouse, build_warehouse, ts, write_batch


def _land_debris_only(data_dir: Path) -> None:
    # A writer that crashed before commit leaves only a hidden `.batch=…tmp-…` directory: never read.
    row = {"MaHoSo": "GHOST", "NgayCapNhat": ts("2024-05-01 00:00"), "_batch_id": "x", "TrangThaiHoSo": 2}
    write_batch(data_dir, "dossier_api", "dossiers", "x", [row], commit=False)


@pytest.fixture(scope="session")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A build over a landing zone holding nothing committed (shared by the calendar tests)."""
    return build_warehouse(tmp_path_factory, "empty", _land_debris_only)
