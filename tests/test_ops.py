from datetime import datetime

import pytest

from parmetrics import ops
from parmetrics.config import Paths


def test_watermark_is_the_newest_mark_recorded(tmp_path):
    p = Paths(tmp_path)
    assert ops.current_watermark(p, "dossier_api", "dossiers") is None
    for mark in (datetime(2026, 1, 2), datetime(2026, 1, 5), datetime(2026, 1, 3)):
        ops.record_watermark(
            p, "dossier_api", "dossiers", high_water_mark=mark, rows_landed=1, quarantined=0, batch_id="b"
        )
    assert ops.current_watermark(p, "dossier_api", "dossiers") == datetime(2026, 1, 5)
    # Another dataset's marks are its own.
    assert ops.current_watermark(p, "dossier_api", "dossier_events") is None


def test_records_are_immutable_files_without_temporary_debris(tmp_path):
    p = Paths(tmp_path)
    first = ops.write_record(p, "pipeline_runs", {"run_id": "r1"})
    second = ops.write_record(p, "pipeline_runs", {"run_id": "r2"})
    assert first != second
    assert [r["run_id"] for r in ops.read_records(p, "pipeline_runs")] == ["r1", "r2"]
    assert not list((tmp_path / "ops").rglob("*.tmp"))


def test_unknown_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown ops table"):
        ops.write_record(Paths(tmp_path), "nonsense", {})
