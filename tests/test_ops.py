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


def test_every_path_in_a_record_is_relative_to_the_data_directory(tmp_path):
    p = Paths(tmp_path / "data")
    root = str(p.root)
    written = ops.write_record(
        p,
        "quarantine",
        {
            "quarantined_to": f"{root}/quarantine/finance/thu_ngan_sach_202501.csv",
            "reason": f"file {root}/inbox/.processing/x_202501.csv: no header; see {root}/airflow/standalone.log",
            "inbox": "/srv/share/finance inbox/.processing/thu_ngan_sach_202501.csv",
            "nested": {"files": [f"{root}/landing/finance/a.parquet", "/etc/passwd"], "root": root},
            "not_paths": "3/4 of rows; 2019-01/2024-12; http://127.0.0.1:8080/api/v2/dags; relative/path.csv",
        },
    )
    assert written.parent == p.ops / "quarantine"
    (record,) = ops.read_records(p, "quarantine")
    assert record["quarantined_to"] == "quarantine/finance/thu_ngan_sach_202501.csv"
    assert record["reason"] == ("file inbox/.processing/x_202501.csv: no header; see airflow/standalone.log")
    # Outside the data directory only the file name is kept (a value that is one path, spaces and all).
    assert record["inbox"] == "thu_ngan_sach_202501.csv"
    assert record["nested"] == {"files": ["landing/finance/a.parquet", "passwd"], "root": "."}
    assert record["not_paths"] == "3/4 of rows; 2019-01/2024-12; http://127.0.0.1:8080/api/v2/dags; relative/path.csv"


def test_a_batchs_records_are_relativised_too(tmp_path):
    p = Paths(tmp_path)
    ops.replace_batch_records(
        p, "quarantine", "document_db__nhiem_vu", "b1", [{"ref": "x", "reason": f"bad row in {tmp_path}/landing/y"}]
    )
    (record,) = ops.read_records(p, "quarantine")
    assert record["reason"] == "bad row in landing/y"


def test_a_data_directory_reached_through_a_symlink_is_recognised(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    p = Paths(tmp_path / "link")
    ops.write_record(p, "pipeline_runs", {"a": f"{real}/ops/x.json", "b": f"{tmp_path}/link/warehouse/y"})
    (record,) = ops.read_records(p, "pipeline_runs")
    assert (record["a"], record["b"]) == ("ops/x.json", "warehouse/y")
