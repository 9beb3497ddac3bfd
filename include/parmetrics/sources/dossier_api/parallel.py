"""Several windows of the dossier API in flight at once, each extracted by a process of its own.

What a backfill does in Airflow (the history twins' month runs, two at a time in the
``history_ingestion`` pool), for a caller without Airflow: the bench, a data engineer re-extracting a
range by hand (``parmetrics extract dossier-api --from … --to … --monthly --processes N``).

Processes, not threads: a window's pages become rows in Python, which holds the GIL, so only a second
process uses a second core. Each window is one landing batch written by one process through
:func:`extract_window` (reconciliation, retries, quarantine and the landing gate as always); the
batch's lock refuses a second writer, and the windows of one call are distinct. A window that fails
(after ``extract_window``'s own retries and re-extraction) is reported with its one-line reason while
the others go on, as a failed month of an Airflow backfill is; a rejected token stops everything, as
no window can succeed with it.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from parmetrics.config import Paths
from parmetrics.landing.writer import Gate
from parmetrics.sources.dossier_api.connection import ApiConnection
from parmetrics.sources.dossier_api.dedupe import SOURCE
from parmetrics.sources.dossier_api.extract import batch_id_for_window, extract_window
from parmetrics.sources.dossier_api.http import DossierApiAuthError

log = logging.getLogger(__name__)

Window = tuple[datetime | None, datetime | None]
# ``(paths, source, dataset) -> gate``, called in the worker: a gate is a closure (not picklable), its
# factory a module-level function (``parmetrics.quality.landing_gate.landing_gate``) that is.
GateFactory = Callable[[Paths, str, str], Gate]


@dataclass(frozen=True)
class WindowOutcome:
    """One window's result: its batch's stats when it landed, else the one-line reason it did not."""

    dataset: str
    updated_from: datetime | None
    updated_to: datetime | None
    stats: dict[str, Any] | None = None
    error: str | None = None

    @property
    def batch_id(self) -> str:
        return batch_id_for_window(self.updated_from, self.updated_to)

    @property
    def landed(self) -> bool:
        return self.error is None


class WindowsNotLanded(RuntimeError):
    """Some windows did not land; the message lists each with its reason."""


def monthly_windows(start: datetime, end: datetime) -> list[Window]:
    """``[start, end)`` cut at each first of a month: ``2024-01-15 → 2024-03-01`` gives two windows."""
    if start >= end:
        raise ValueError(f"empty range: {start} is not before {end}")
    bounds = [start]
    month = datetime(start.year, start.month, 1)
    while True:
        month = (month + timedelta(days=32)).replace(day=1)
        if month >= end:
            break
        bounds.append(month)
    bounds.append(end)
    return list(pairwise(bounds))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _init_worker(level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s")


def _extract_in_worker(
    conn: ApiConnection,
    dataset: str,
    window: Window,
    data_paths: Paths,
    key: bytes,
    gate_factory: GateFactory | None,
    options: dict[str, Any],
) -> tuple[str, Any]:
    """``("landed", stats)``, ``("auth", reason)`` or ``("failed", reason)``: exceptions are turned into
    one line here, as not every exception survives being sent back to the parent."""
    gate = gate_factory(data_paths, SOURCE, dataset) if gate_factory is not None else None
    try:
        return "landed", extract_window(conn, dataset, *window, data_paths, key, gate=gate, **options)  # type: ignore[arg-type]
    except DossierApiAuthError as exc:
        return "auth", _one_line(exc)
    except Exception as exc:
        log.exception("dossier API %s window %s failed", dataset, batch_id_for_window(*window))
        return "failed", _one_line(exc)


def extract_windows(
    conn: ApiConnection,
    dataset: str,
    windows: Sequence[Window],
    data_paths: Paths,
    key: bytes,
    *,
    processes: int = 2,
    gate_factory: GateFactory | None = None,
    **options: Any,
) -> list[WindowOutcome]:
    """Extract ``windows`` of ``dataset``, ``processes`` at a time; one outcome per window, in order.

    ``options`` go to :func:`extract_window` (``page_limit``, ``rows_per_part``, ``max_passes``,
    ``lock_timeout``). Raises :class:`DossierApiAuthError` when the API rejects the token (the windows
    not started are not tried) and ``ValueError`` for a window given twice (two writers of one batch).

    A worker that dies (killed, out of memory) takes down the windows in flight with it, and which of
    them killed it is not known: each is tried again alone, in a process of its own; one that kills
    that one too is reported as failed. The other windows go on ``processes`` at a time.
    """
    if processes < 1:
        raise ValueError(f"processes must be at least 1, not {processes}")
    batches = [batch_id_for_window(*w) for w in windows]
    twice = sorted({b for b in batches if batches.count(b) > 1})
    if twice:
        raise ValueError(f"window(s) given twice (one writer per landing batch): {', '.join(twice)}")
    job = (dataset, data_paths, key, gate_factory, options)
    outcomes: dict[int, WindowOutcome] = {}
    pending = list(range(len(windows)))
    while pending:
        in_flight_when_broken = _run_pool(conn, windows, pending, processes, job, outcomes)
        for i in in_flight_when_broken:
            log.warning("a worker process died; %s window %s is tried again on its own", dataset, batches[i])
            if _run_pool(conn, windows, [i], 1, job, outcomes):
                outcomes[i] = WindowOutcome(
                    dataset, *windows[i], error="its worker process died (killed or out of memory)"
                )
        pending = [i for i in pending if i not in outcomes]
    return [outcomes[i] for i in range(len(windows))]


def _run_pool(
    conn: ApiConnection,
    windows: Sequence[Window],
    todo: list[int],
    processes: int,
    job: tuple[Any, ...],
    outcomes: dict[int, WindowOutcome],
) -> list[int]:
    """Run ``todo`` (indices into ``windows``) at most ``processes`` at a time, filling ``outcomes``.

    Returns the windows that were in flight when a worker died (the pool is then given up), else []."""
    dataset = job[0]
    queue = list(reversed(todo))
    running: dict[Future, int] = {}
    with ProcessPoolExecutor(
        max_workers=min(processes, len(todo)),
        mp_context=multiprocessing.get_context("spawn"),  # never a fork of a parent holding threads or locks
        initializer=_init_worker,
        initargs=(logging.getLogger().getEffectiveLevel(),),
    ) as pool:
        try:
            while queue or running:
                # Only ``processes`` windows are handed over at a time, so a dead worker takes down
                # only the windows really in flight, not every window queued behind them.
                while queue and len(running) < processes:
                    try:
                        future = pool.submit(_extract_in_worker, conn, dataset, windows[queue[-1]], *job[1:])
                    except BrokenProcessPool:
                        return list(running.values())
                    running[future] = queue.pop()
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = []
                for future in done:
                    i = running.pop(future)
                    try:
                        kind, value = future.result()
                    except BrokenProcessPool:
                        broken.append(i)
                        continue
                    if kind == "auth":
                        raise DossierApiAuthError(value)
                    landed = kind == "landed"
                    outcomes[i] = WindowOutcome(
                        dataset, *windows[i], stats=value if landed else None, error=None if landed else value
                    )
                if broken:
                    return [*broken, *running.values()]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return []


def raise_for_failures(outcomes: Sequence[WindowOutcome]) -> None:
    """Raise :class:`WindowsNotLanded` listing every window that did not land, if any."""
    failed = [o for o in outcomes if not o.landed]
    if failed:
        lines = "\n".join(f"  {o.dataset} {o.batch_id}: {o.error}" for o in failed)
        raise WindowsNotLanded(f"{len(failed)} of {len(outcomes)} window(s) did not land:\n{lines}")
