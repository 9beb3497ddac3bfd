"""Claiming inbox files: only regular files, never what a symlink, a FIFO or a folder stands for.

An inbox is writable by other systems, so what lies in it is not trusted to be what its name says. A
symbolic link named like a finance file would make the pipeline read (and quote, in a refusal reason)
whatever file it points at; a FIFO would block the reader forever. Both are told apart with
``lstat`` (which never follows a link nor opens anything) and refused: moved to ``.processing`` like
any claimed entry (a rename moves the link or the FIFO itself), then, when the run processes the
claimed entries, recorded in ``ops.quarantine`` with a reason that names the entry and its kind and
nothing of its content, and removed (the link, never its target). A folder is left where it is and
refused in the same words each time the inbox is processed (the ``reference`` folder inside the
finance inbox is the reference inbox itself, SOURCES.md §4, and is not refused).

Nothing here imports Airflow, pandas or DuckDB: the triggerer and every DAG parse import it.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from parmetrics import ops
from parmetrics.config import Paths

log = logging.getLogger(__name__)
PROCESSING = ".processing"
REFERENCE_FOLDER = "reference"


def irregular_kind(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file (None when it is one, or when it is gone)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device file"


@dataclass(frozen=True)
class Refusal:
    """An inbox entry that is not a regular file. Its reason echoes its name and kind, no content."""

    path: Path
    kind: str

    @property
    def reason(self) -> str:
        return f"not a regular file: a {self.kind}; only regular files are claimed, and nothing was read from it"


def claim_files(inbox: Path, pattern: re.Pattern[str] | None = None) -> tuple[list[Path], list[Refusal]]:
    """Move every complete entry of ``inbox`` (not hidden) into ``inbox/.processing``; returns the claimed
    paths and the folders refused in place.

    A rename is atomic, so two claimers never both get an entry; writers drop files under a hidden
    temporary name and rename them in, so a half-written file is never claimed. Links, FIFOs and other
    non-regular entries are claimed too (the rename moves the entry itself, nothing is opened) so that
    the run refuses them with a reason (:func:`sort_claimed`); folders are left in place.
    """
    processing = inbox / PROCESSING
    claimed: list[Path] = []
    refused: list[Refusal] = []
    if not inbox.is_dir():
        return claimed, refused
    for path in sorted(inbox.iterdir()):
        if path.name.startswith("."):
            continue
        kind = irregular_kind(path)
        if kind == "directory":
            if path.name != REFERENCE_FOLDER:
                refused.append(Refusal(path, kind))
            continue
        if kind is None and pattern is not None and not pattern.match(path.name):
            continue
        processing.mkdir(exist_ok=True)
        target = processing / path.name
        try:
            path.rename(target)
        except FileNotFoundError:  # another claimer was first
            continue
        claimed.append(target)
    return claimed, refused


def sort_claimed(processing: Path) -> tuple[list[Path], list[Refusal]]:
    """The claimed entries: regular files to process, and the rest to refuse (checked again here, not
    trusted from the claim: ``.processing`` is inside the inbox, which others can write)."""
    files: list[Path] = []
    refused: list[Refusal] = []
    if not processing.is_dir():
        return files, refused
    for path in sorted(processing.iterdir()):
        kind = irregular_kind(path)
        if kind is None:
            if path.exists():
                files.append(path)
        else:
            refused.append(Refusal(path, kind))
    return files, refused


def refuse(refusal: Refusal, data_paths: Paths, source: str) -> dict[str, str]:
    """Record a refused entry in ``ops.quarantine`` and remove it if it was claimed (a link or FIFO is
    removed itself: its target is never touched). Returns the outcome, like a processed file's."""
    ops.write_record(
        data_paths,
        "quarantine",
        ops.quarantine_record(source, "unknown", refusal.path.name, refusal.reason, kind=refusal.kind),
        partition=f"{source}__refused",
    )
    if refusal.kind != "directory" and refusal.path.parent.name == PROCESSING:
        refusal.path.unlink(missing_ok=True)
    log.warning("refused %s: %s", refusal.path.name, refusal.reason)
    return {"file": refusal.path.name, "dataset": "unknown", "status": "refused", "rows": 0, "reason": refusal.reason}
