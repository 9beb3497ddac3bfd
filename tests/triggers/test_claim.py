"""Only regular files are claimed from an inbox: a symlink, a FIFO or a folder is refused with a
reason that echoes nothing of any file's content, and nothing of a symlink's target reaches any file
under the data directory — landing, quarantine, ops records or the published DuckDB file."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from parmetrics import ops
from parmetrics.config import Paths
from parmetrics.orchestration import ingestion
from parmetrics.publish import publish
from parmetrics.triggers.inbox import InboxFileTrigger
from tests.sources.finance_fixtures import write_budget_csv

pytestmark = pytest.mark.timeout(120)  # a FIFO opened by mistake blocks: fail instead of hanging


@pytest.fixture
def setting(tmp_path: Path, monkeypatch):
    data = Paths(tmp_path / "data")
    inbox = tmp_path / "finance_inbox"
    inbox.mkdir()
    monkeypatch.setenv("PARMETRICS_DATA_DIR", str(data.root))
    monkeypatch.setenv("AIRFLOW_VAR_FINANCE_INBOX", str(inbox))
    monkeypatch.setenv("PARMETRICS_PSEUDONYM_KEY", "claim-test-key")
    return data, inbox


def every_text_under(root: Path) -> dict[str, str]:
    """Each file under ``root`` as text a person could search: raw bytes, plus the decoded rows of
    Parquet files and of every table of DuckDB files. Symlinks are listed, not followed."""
    texts = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in [*files, *dirs]:
            path = Path(folder) / name
            if path.is_symlink():
                texts[str(path)] = f"SYMLINK -> {os.readlink(path)}"
                continue
            if path.is_dir():
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            if name.endswith(".parquet"):
                text += str(pq.read_table(path).to_pylist())
            elif name.endswith(".duckdb"):
                with duckdb.connect(str(path), read_only=True) as con:
                    for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall():
                        text += str(con.execute(f'select * from "{schema}"."{table}"').fetchall())
            texts[str(path)] = text
    return texts


def test_a_symlink_named_like_a_finance_file_leaves_nothing_of_its_target_anywhere(setting, tmp_path):
    data, inbox = setting
    marker = f"MARKER-{uuid.uuid4().hex}"
    secret = tmp_path / "elsewhere" / "server_secret.conf"
    secret.parent.mkdir()
    # Its first line would make a believable header error ("expected column …, got MARKER…").
    secret.write_text(f"{marker};db_password={marker}\nsecond line {marker}\n")
    (inbox / "thu_ngan_sach_202501.csv").symlink_to(secret)
    os.mkfifo(inbox / "von_dau_tu_202501.csv")
    (inbox / "odd_folder").mkdir()
    (inbox / "reference").mkdir()  # the reference inbox inside the finance inbox: not refused
    good = write_budget_csv(inbox, "202502")

    trigger = InboxFileTrigger(inbox=str(inbox), settle_seconds=0)
    assert sorted(trigger.claim()) == ["thu_ngan_sach_202501.csv", "thu_ngan_sach_202502.csv", "von_dau_tu_202501.csv"]
    outcomes = ingestion.land_finance_inbox(inbox)

    by_file = {o["file"]: o for o in outcomes}
    assert by_file[good.name]["status"] == "landed" and by_file[good.name]["rows"] > 0
    reasons = {o["file"]: (o["status"], o["reason"]) for o in outcomes if o["file"] != good.name}
    assert reasons == {
        "thu_ngan_sach_202501.csv": (
            "refused",
            "not a regular file: a symbolic link; only regular files are claimed, and nothing was read from it",
        ),
        "von_dau_tu_202501.csv": (
            "refused",
            "not a regular file: a named pipe (FIFO); only regular files are claimed, and nothing was read from it",
        ),
        "odd_folder": (
            "refused",
            "not a regular file: a directory; only regular files are claimed, and nothing was read from it",
        ),
    }
    quarantine = sorted((r["ref"], r["kind"]) for r in ops.read_records(data, "quarantine"))
    assert quarantine == [
        ("odd_folder", "directory"),
        ("thu_ngan_sach_202501.csv", "symbolic link"),
        ("von_dau_tu_202501.csv", "named pipe (FIFO)"),
    ]
    # The link and the FIFO are gone from the inbox (the link's target is untouched); the folders stay.
    assert sorted(p.name for p in inbox.iterdir()) == [".processing", "odd_folder", "reference"]
    assert list((inbox / ".processing").iterdir()) == []
    assert secret.read_text().startswith(marker)

    # Publish, so the ops records travel into the file BI reads.
    data.warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(data.build_db)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.criteria_scores as select 1 as id")
    publish(data, run_id="claim-test")
    texts = every_text_under(data.root)
    assert any(p.endswith("par_metrics.duckdb") for p in texts) and any(p.endswith(".parquet") for p in texts)
    leaks = [p for p, text in texts.items() if marker in text or str(secret) in text or "server_secret" in text]
    assert leaks == []
    with duckdb.connect(str(data.published_db), read_only=True) as con:
        published = con.execute("select ref, reason from ops.quarantine order by ref").fetchall()
    assert [ref for ref, _ in published] == ["odd_folder", "thu_ngan_sach_202501.csv", "von_dau_tu_202501.csv"]


def test_a_symlink_planted_straight_into_processing_is_refused_too(setting, tmp_path):
    data, inbox = setting
    marker = f"MARKER-{uuid.uuid4().hex}"
    secret = tmp_path / "secret.txt"
    secret.write_text(marker)
    (inbox / ".processing").mkdir()
    (inbox / ".processing" / "thu_ngan_sach_202503.csv").symlink_to(secret)
    (outcome,) = ingestion.land_finance_inbox(inbox)
    assert outcome["status"] == "refused" and marker not in str(outcome)
    assert not [p for p, text in every_text_under(data.root).items() if marker in text]


def test_the_trigger_waits_for_settled_entries_and_never_fires_for_folders_alone(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "reference").mkdir(parents=True)
    (inbox / "some_folder").mkdir()
    trigger = InboxFileTrigger(inbox=str(inbox), settle_seconds=0)
    assert trigger.claim() == []
    (inbox / "thu_ngan_sach_202501.csv").symlink_to(tmp_path / "missing-target")  # dangling: still claimed
    assert trigger.claim() == ["thu_ngan_sach_202501.csv"]
    assert (inbox / ".processing" / "thu_ngan_sach_202501.csv").is_symlink()
