"""The source-side ceiling: how fast the dossier API serves pages to a client that does nothing with them.

One keep-alive connection, the contract's largest page (``limit=1000``), the cursor taken from the
end of each body without parsing the rows. The rate is records served per second of wall time.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

import httpx

from parmetrics.timestamps import format_ts

LIMIT = 1000
ENDPOINTS = {"dossiers": "/api/v1/dossiers", "dossier_events": "/api/v1/dossier-events"}
# The page ends with ``"next_cursor":…,"total":N}``: enough to page on without decoding the rows.
_TAIL = re.compile(rb'"next_cursor":(null|"[^"]*"),"total":(\d+)}\s*$')


def page_through(
    url: str, token: str, dataset: str, windows: list[tuple[datetime | None, datetime]], max_seconds: float
) -> dict[str, Any]:
    """Page every window in order until ``max_seconds`` have passed; returns records, pages, seconds, rate."""
    path = ENDPOINTS[dataset]
    records = pages = 0
    started = time.perf_counter()
    out_of_time = False
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for lo, hi in windows:
            cursor = None
            window_total = window_pages = 0
            while True:
                params = {"updated_from": format_ts(lo), "updated_to": format_ts(hi), "limit": LIMIT, "cursor": cursor}
                response = client.get(path, params={k: v for k, v in params.items() if v is not None})
                response.raise_for_status()
                match = _TAIL.search(response.content[-300:])
                if match is None:
                    raise RuntimeError(f"dossier API page of {path} does not end as the contract says")
                pages += 1
                window_pages += 1
                window_total = window_total or int(match.group(2))
                cursor = None if match.group(1) == b"null" else json.loads(match.group(1))
                out_of_time = time.perf_counter() - started > max_seconds
                if cursor is None or out_of_time:
                    break
            # Every page but a window's last holds exactly `limit` records (keyset paging, no faults).
            records += window_total if cursor is None else window_pages * LIMIT
            if out_of_time:
                break
    seconds = time.perf_counter() - started
    return {
        "records": records,
        "pages": pages,
        "seconds": seconds,
        "records_per_s": records / max(seconds, 1e-9),
        "sampled": out_of_time,
    }
