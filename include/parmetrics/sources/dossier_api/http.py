"""Talking HTTP to the dossier API: pages with the keyset cursor, retries, and the read-ahead.

Backoff on 5xx, timeouts and dropped connections; ``Retry-After`` on 429/503; a 401 fails at once. A
page whose records all keep the contract's rules is decoded straight into typed structs (see
``sources/dossier_records.py``); any other page as plain JSON, to be read record by record.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import tenacity

from parmetrics.sources.dossier_api.connection import ApiConnection
from parmetrics.sources.dossier_records import TYPED_PAGES

try:  # a C JSON decoder (Airflow requires msgspec): several times faster than json on whole pages
    from msgspec import DecodeError as _DecodeError
    from msgspec.json import decode as json_decode
except ImportError:  # pragma: no cover
    _DecodeError = ValueError
    json_decode = json.loads

log = logging.getLogger(__name__)

ENDPOINTS: dict[str, str] = {"dossiers": "/api/v1/dossiers", "dossier_events": "/api/v1/dossier-events"}
DATASET_OF_PATH = {path: dataset for dataset, path in ENDPOINTS.items()}
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class DossierApiError(RuntimeError):
    """The dossier API answered in a way extraction cannot continue from."""


class DossierApiAuthError(DossierApiError):
    pass


class _RetryableResponse(Exception):
    def __init__(self, status: int, path: str, retry_after: float | None) -> None:
        super().__init__(f"dossier API answered {status} for GET {path}")
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Page:
    """One page of the API. ``typed``: every record passed the contract's rules while being decoded
    (``data`` holds typed structs); otherwise ``data`` holds whatever JSON values the page carried."""

    data: list[Any]
    total: int
    next_cursor: str | None
    typed: bool = False
    # The body as received, for a typed page that must be read record by record after all (typed
    # structs hold coerced values, e.g. 50000 read as 50000.0: not what a fingerprint must see).
    raw: bytes | None = field(default=None, repr=False)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class DossierApiClient:
    """GETs pages with retries: backoff on 5xx, timeouts and dropped connections; Retry-After on 429/503."""

    def __init__(self, conn: ApiConnection, http: httpx.Client | None = None) -> None:
        self.conn = conn
        self._http = http or httpx.Client(
            base_url=conn.base_url,
            timeout=conn.timeout,
            headers={"Authorization": f"Bearer {conn.token}", "Accept": "application/json"},
        )
        self._backoff = tenacity.wait_exponential(
            multiplier=conn.backoff_initial, min=conn.backoff_initial, max=conn.backoff_max
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DossierApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse) and exc.retry_after is not None:
            return min(exc.retry_after, self.conn.max_retry_after)
        return self._backoff(state)

    def get_page(self, path: str, params: dict[str, Any]) -> Page:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.conn.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type((_RetryableResponse, httpx.TransportError)),
            before_sleep=lambda s: log.warning(
                "dossier API GET %s failed (%s); retry %d", path, s.outcome.exception(), s.attempt_number
            ),
            reraise=True,
        )
        try:
            return retrying(self._get_once, path, params)
        except _RetryableResponse as exc:
            raise DossierApiError(
                f"dossier API kept answering {exc.status} for GET {path} ({self.conn.max_attempts} attempts)"
            ) from exc
        except httpx.TransportError as exc:
            raise DossierApiError(
                f"dossier API unreachable for GET {path} after {self.conn.max_attempts} attempts: {exc!r}"
            ) from exc

    def _get_once(self, path: str, params: dict[str, Any]) -> Page:
        response = self._http.get(path, params={k: v for k, v in params.items() if v is not None})
        status = response.status_code
        if status == 401:
            raise DossierApiAuthError(f"dossier API rejected the token (401) for GET {path}")
        if status in RETRYABLE_STATUS:
            raise _RetryableResponse(status, path, _retry_after_seconds(response.headers.get("Retry-After")))
        if status != 200:
            try:
                detail = response.json().get("error")
            except ValueError:
                detail = response.text[:200]
            raise DossierApiError(f"dossier API answered {status} for GET {path}: {detail}")
        content = response.content
        typed = TYPED_PAGES.get(DATASET_OF_PATH.get(path, ""))
        if typed is not None:
            try:
                page = typed.decode(content)
                return Page(page.data, page.total, page.next_cursor, typed=True, raw=content)
            except _DecodeError:
                pass  # some record breaks a rule (or the body is cut short): decoded as plain JSON below
        try:
            body = json_decode(content)
        except (ValueError, _DecodeError) as exc:
            # A 200 with a body cut short is a transport failure in disguise: retry it.
            raise _RetryableResponse(status, path, None) from exc
        if not isinstance(body, dict) or not isinstance(body.get("data"), list) or "total" not in body:
            raise DossierApiError(f"dossier API answered GET {path} with a body that is not a page")
        return Page(body["data"], int(body["total"]), body.get("next_cursor"))

    def iter_pages(
        self, path: str, updated_from: str | None, updated_to: str | None, limit: int, *, read_ahead: bool = True
    ) -> Iterator[Page]:
        """The window's pages in cursor order.

        With ``read_ahead``, page N+1 is requested (and decoded) on a helper thread as soon as page N's
        cursor is known, while the caller turns page N into rows: the wait for the server and the network
        overlaps the client's work instead of adding to it. The client is used by one thread at a time
        (the helper while the iteration runs), requests stay strictly sequential (the cursor of each comes
        from the one before), and an error of the read-ahead page is raised when that page is reached.
        """

        def fetch(cursor: str | None) -> Page:
            params = {"updated_from": updated_from, "updated_to": updated_to, "limit": limit, "cursor": cursor}
            return self.get_page(path, params)

        def next_of(page: Page, cursor: str | None) -> str | None:
            if page.next_cursor is not None and page.next_cursor == cursor:
                raise DossierApiError(f"dossier API returned the same cursor twice for GET {path}")
            return page.next_cursor

        cursor = None
        pending: Future[Page] | None = None
        helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dossier-api-read-ahead") if read_ahead else None
        with helper or nullcontext() as pool:
            if pool is not None:
                pending = pool.submit(fetch, None)
            try:
                while True:
                    page = pending.result() if pending is not None else fetch(cursor)
                    next_cursor = next_of(page, cursor)
                    if pool is not None and next_cursor is not None:
                        pending = pool.submit(fetch, next_cursor)
                    yield page
                    if next_cursor is None:
                        return
                    cursor = next_cursor
            finally:
                # Stopped early (an error in the caller, or a closed generator): the request in
                # flight is left to finish and its page is dropped.
                if pending is not None:
                    pending.cancel()

    def window_total(self, path: str, updated_from: str | None, updated_to: str | None) -> int:
        page = self.get_page(path, {"updated_from": updated_from, "updated_to": updated_to, "limit": 1})
        return page.total
