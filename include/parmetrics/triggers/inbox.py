"""An event trigger for file inboxes: claims every new file and fires one asset event for them.

Backs the ``AssetWatcher`` of the finance and reference inbox assets (ARCHITECTURE.md: only
``BaseEventTrigger`` subclasses may, and the built-in file triggers delete the files they see). The
trigger polls the inbox directory (non-recursively; hidden names are ignored, which is how writers
drop files: a hidden temporary name renamed into place). When it finds files it *claims* them —
renames them into ``<inbox>/.processing/`` — and yields one event naming them. Airflow re-creates the
trigger after each event; the claimed files are no longer in the inbox, so it never fires twice for
one file. The DAG then processes everything in ``.processing`` (so a file claimed by a trigger whose
event was lost is still processed by the next run). Only regular files are ever read: a symlink, a
FIFO or a folder is refused (``parmetrics.triggers.claim``).
"""

from __future__ import annotations

import asyncio
import re
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from parmetrics.sources.file_drops import FILE_NAME
from parmetrics.triggers.claim import REFERENCE_FOLDER, claim_files


class InboxFileTrigger(BaseEventTrigger):
    """Fires when files matching ``<dataset>_<YYYYMM>[_v<N>].<csv|xlsx>`` appear in ``inbox``.

    :param inbox: the directory to watch.
    :param poll_interval: seconds between directory scans (the triggerer's event loop, not a DAG).
    :param settle_seconds: a file must be at least this old (mtime) before it is claimed, in case a
        sender writes in place instead of renaming in.
    :param claim_all: claim any visible file, not only well-named ones (badly named files are then
        quarantined by the DAG, with their reason, instead of lingering unseen).
    """

    def __init__(
        self, inbox: str, poll_interval: float = 5.0, settle_seconds: float = 1.0, claim_all: bool = True
    ) -> None:
        super().__init__()
        self.inbox = inbox
        self.poll_interval = poll_interval
        self.settle_seconds = settle_seconds
        self.claim_all = claim_all

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "parmetrics.triggers.inbox.InboxFileTrigger",
            {
                "inbox": self.inbox,
                "poll_interval": self.poll_interval,
                "settle_seconds": self.settle_seconds,
                "claim_all": self.claim_all,
            },
        )

    def _settled(self, inbox: Path) -> bool:
        """Something to claim, none of it touched within ``settle_seconds``. Entries are looked at with
        ``lstat``: a symlink or a FIFO is claimed (to be refused by the run), never followed or opened."""
        now = time.time()
        try:
            entries = [p.lstat() for p in inbox.iterdir() if not p.name.startswith(".") and p.name != REFERENCE_FOLDER]
        except FileNotFoundError:
            return False
        entries = [e for e in entries if not stat.S_ISDIR(e.st_mode)]
        if not entries:
            return False
        return all(now - e.st_mtime >= self.settle_seconds for e in entries)

    def claim(self) -> list[str]:
        """One scan: claim what is there (synchronous; also used by tests)."""
        inbox = Path(self.inbox)
        if not self._settled(inbox):
            return []
        pattern = None if self.claim_all else re.compile(FILE_NAME.pattern)
        return [p.name for p in claim_files(inbox, pattern)[0]]

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            claimed = await asyncio.to_thread(self.claim)
            if claimed:
                self.log.info("claimed %s from %s", claimed, self.inbox)
                yield TriggerEvent({"inbox": self.inbox, "files": claimed, "claimed_at": time.time()})
                return
            await asyncio.sleep(self.poll_interval)
