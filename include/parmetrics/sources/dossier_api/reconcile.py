"""Reading a window until it reconciles with the source (SOURCES.md §1).

Records can leave a window while it is read (an update moves them past ``updated_to``), so after the
last page the rows read are compared with a *fresh* ``total`` of the same window: every distinct record
of the pass either parsed or was quarantined. While broken records remain, the window is read again
(a record broken in transit reads whole the next time), unless they come back broken the same way
(then they are broken in the source). A window that does not reconcile is extracted once more by the
caller, and then fails loudly with :class:`ReconciliationError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from parmetrics.sources.dossier_api.dedupe import WindowRows
from parmetrics.sources.dossier_api.http import DossierApiClient, DossierApiError

log = logging.getLogger(__name__)


class ReconciliationError(DossierApiError):
    pass


@dataclass(frozen=True)
class WindowRead:
    first_page_total: int | None  # the first page's `total` in the first pass
    fresh_total: int  # the `total` asked for after the last pass

    def reconciles(self, rows: WindowRows) -> bool:
        return rows.pass_accounted == self.fresh_total


def read_window(
    api: DossierApiClient,
    rows: WindowRows,
    path: str,
    updated_from: str | None,
    updated_to: str | None,
    page_limit: int,
    max_passes: int,
) -> WindowRead:
    """Read the window's pages into ``rows``, pass after pass, until it reconciles or cannot."""
    first_total = None
    previous_reasons: list[str] | None = None
    while True:
        rows.start_pass()
        pass_first_total = None
        for page in api.iter_pages(path, updated_from, updated_to, page_limit):
            pass_first_total = page.total if pass_first_total is None else pass_first_total
            rows.add_page(page)
        first_total = pass_first_total if first_total is None else first_total
        fresh_total = api.window_total(path, updated_from, updated_to)
        # Each distinct record of the pass either parsed or was quarantined; duplicates (the same key
        # read twice) are folded.
        if rows.pass_accounted != fresh_total:
            return WindowRead(first_total, fresh_total)
        reasons = sorted(e.reason for e in rows.quarantine)
        if not reasons or reasons == previous_reasons or rows.passes >= max_passes:
            return WindowRead(first_total, fresh_total)
        previous_reasons = reasons
        log.warning(
            "dossier API %s %s: %d broken record(s); reading the window again",
            rows.dataset,
            rows.writer.batch_id,
            len(reasons),
        )


def mismatch(rows: WindowRows, fresh_total: int) -> str:
    return (
        f"read {rows.read} records ({len(rows.pass_keys)} distinct, {len(rows.pass_quarantine)} broken, "
        f"{rows.duplicates} duplicates) but the API now counts {fresh_total}"
    )
