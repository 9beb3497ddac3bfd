"""One writer per landing batch (issue 14, item 9): the same window extracted twice at once.

Before, the second writer removed the first one's hidden batch directory as "debris" and the first
failed with a bare FileNotFoundError at its commit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from parmetrics.landing.writer import BatchLockedError, BatchWriter, committed_batches

SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("note", pa.string())])


def rows(note: str) -> list[dict]:
    return [{"id": 1, "note": note}, {"id": 2, "note": note}]


def landed(dataset_dir: Path) -> list[dict]:
    [batch] = committed_batches(dataset_dir)
    return pq.read_table(batch, schema=SCHEMA).to_pylist()


def test_a_second_writer_of_the_same_batch_waits_for_the_first(tmp_path):
    dataset_dir = tmp_path / "landing" / "dossier_api" / "dossiers"
    first = BatchWriter(dataset_dir, "w1", SCHEMA, window={"updated_from": "20250101000000"})
    first.write_rows(rows("first"))
    second_done = threading.Event()
    errors: list[BaseException] = []

    def second_extraction() -> None:
        try:
            with BatchWriter(dataset_dir, "w1", SCHEMA) as second:
                second.write_rows(rows("second"))
                second.commit()
        except BaseException as exc:
            errors.append(exc)
        second_done.set()

    thread = threading.Thread(target=second_extraction)
    thread.start()
    time.sleep(1.0)
    assert not second_done.is_set(), "the second writer went ahead while the first held the batch"
    first.commit()  # before: FileNotFoundError, its hidden directory deleted by the second writer
    thread.join(timeout=30)
    assert errors == []
    # Both ran whole, one after the other: the batch is the later one's, and no debris is left.
    assert [r["note"] for r in landed(dataset_dir)] == ["second", "second"]
    assert [p.name for p in dataset_dir.iterdir()] == ["batch=w1"]


def test_a_writer_that_waited_too_long_names_the_window_and_the_holder(tmp_path):
    dataset_dir = tmp_path / "landing" / "document_db" / "nhiem_vu"
    holder = BatchWriter(dataset_dir, "20250101000000_20250201000000", SCHEMA, window={"updated_to": "20250201000000"})
    with pytest.raises(BatchLockedError) as info:
        BatchWriter(
            dataset_dir,
            "20250101000000_20250201000000",
            SCHEMA,
            window={"updated_to": "20250201000000"},
            lock_timeout=0.5,
        )
    message = str(info.value)
    assert message.startswith(
        "landing batch document_db/nhiem_vu/batch=20250101000000_20250201000000 (window updated_to 20250201000000) "
        f"is being written by pid {os.getpid()} on "
    )
    assert "gave up after 0.5 s" in message and "\n" not in message
    holder.abort()
    # Released: the next writer goes ahead at once.
    BatchWriter(dataset_dir, "20250101000000_20250201000000", SCHEMA, lock_timeout=0.5).abort()


def test_other_batches_of_the_dataset_are_not_held_up(tmp_path):
    dataset_dir = tmp_path / "landing" / "finance" / "thu_ngan_sach"
    holder = BatchWriter(dataset_dir, "202601", SCHEMA)
    other = BatchWriter(dataset_dir, "202602", SCHEMA, lock_timeout=0.5)
    other.write_rows(rows("february"))
    other.commit()
    holder.abort()
    assert [b.name for b in committed_batches(dataset_dir)] == ["batch=202602"]


HOLD = """
import sys, time
from pathlib import Path
import pyarrow as pa
from parmetrics.landing.writer import BatchWriter
writer = BatchWriter(Path(sys.argv[1]), "w1", pa.schema([pa.field("id", pa.int64())]))
print("holding", flush=True)
time.sleep(600)
"""


def test_a_killed_holder_never_blocks_the_next_writer(tmp_path):
    dataset_dir = tmp_path / "landing" / "dossier_api" / "dossier_events"
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(dataset_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "holding"
        with pytest.raises(BatchLockedError, match=f"pid {child.pid} "):
            BatchWriter(dataset_dir, "w1", SCHEMA, lock_timeout=0.3)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    with BatchWriter(dataset_dir, "w1", SCHEMA, lock_timeout=5) as writer:
        writer.write_rows(rows("after the crash"))
        writer.commit()
    assert [r["note"] for r in landed(dataset_dir)] == ["after the crash", "after the crash"]
