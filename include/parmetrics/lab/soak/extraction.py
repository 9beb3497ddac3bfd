"""The soak's extraction stage: both datasets of a window through the faulty simulated API (a killed
extractor child first, when the round draws one), and what must hold after a kill's rerun."""

from __future__ import annotations

import logging
import math
import os
import signal
import sqlite3
import sys
from datetime import datetime
from typing import Any

from parmetrics.lab.soak import truth as t
from parmetrics.lab.soak.faults import SoakFaultPlan
from parmetrics.lab.soak.kills import EXTRACTOR, KILL_PACE_S, KILL_PAGES, record_kill, run_and_kill
from parmetrics.lab.soak.state import DATASETS, SOURCE, RoundResult, SoakState, one_line, window_batch_id
from parmetrics.landing.writer import MANIFEST

log = logging.getLogger(__name__)


class Extraction:
    def __init__(self, state: SoakState) -> None:
        self.state = state

    def client(self, base_url: str) -> Any:
        from parmetrics.sources.dossier_api import ApiConnection

        # Quick retries: the soak's faults are dense, and Retry-After is honoured up to one second.
        return ApiConnection(
            base_url,
            self.state.token,
            timeout=self.state.settings.client_timeout,
            max_attempts=10,
            backoff_initial=0.01,
            backoff_max=0.05,
            max_retry_after=1,
        )

    def extract_all(
        self,
        lo: datetime | None,
        hi: datetime,
        plan: SoakFaultPlan,
        *,
        kill: str | None = None,
        result: RoundResult | None = None,
    ) -> None:
        from parmetrics.lab.simulators.dossier_api import serve_in_thread
        from parmetrics.quality.landing_gate import landing_gate
        from parmetrics.sources.dossier_api import extract_window

        with serve_in_thread(self.state.db, self.state.token, faults=plan) as server:
            server.handle_error = quiet_resets(server.handle_error)
            conn = self.client(server.base_url)
            for dataset in DATASETS:
                killed = None
                if kill == dataset and lo is not None and result is not None:
                    killed = self._kill(server.base_url, plan, dataset, lo, hi, result)
                # The (re)run of the window: replaces whatever a killed run left.
                extract_window(
                    conn,
                    dataset,
                    lo,
                    hi,
                    self.state.paths,
                    self.state.key,
                    page_limit=self.state.settings.page_limit,
                    rows_per_part=self.state.settings.page_limit,
                    gate=landing_gate(self.state.paths, "dossier_api", dataset),
                )
                if killed is not None and killed["landed"]:
                    killed["after_rerun"] = self._after_rerun(dataset, window_batch_id(lo, hi), result)

    def window_size(self, dataset: str, lo: datetime, hi: datetime) -> int:
        """Records of ``dataset`` the source holds in ``[lo, hi)`` (the window's pages, before faults)."""
        from parmetrics.timestamps import format_ts

        column = "ngay_cap_nhat" if dataset == "dossiers" else "thoi_diem_ghi_nhan"
        conn = sqlite3.connect(f"file:{self.state.db}?mode=ro", uri=True)
        try:
            sql = f"select count(*) from {dataset} where {column} >= ? and {column} < ?"
            return conn.execute(sql, (format_ts(lo), format_ts(hi))).fetchone()[0]
        finally:
            conn.close()

    def _kill(
        self, base_url: str, plan: SoakFaultPlan, dataset: str, lo: datetime, hi: datetime, result: RoundResult
    ) -> dict[str, Any]:
        """Run the window's extraction in a child, paced by the server, and SIGKILL it once the request
        log shows the page drawn at random served and its hidden batch holds a part file (or, if nothing of
        the window lands, once all its pages are served)."""
        batch_id = window_batch_id(lo, hi)
        dataset_dir = self.state.paths.dataset_landing(SOURCE, dataset)
        records = self.window_size(dataset, lo, hi)
        # Small pages (one part file each) so that the window spans ~KILL_PAGES of them.
        limit = max(1, min(self.state.settings.page_limit, math.ceil(records / KILL_PAGES)))
        pages = max(1, math.ceil(records / limit))
        target = self.state.rng.randint(1, max(1, pages - 1))
        kill: dict[str, Any] = {
            "kind": "extract_kill",
            "round": result.number + 1,
            "dataset": dataset,
            "batch": batch_id,
            "window_records": records,
            "page_limit": limit,
            "kill_after_pages": target,
        }
        env = {**os.environ, "SOAK_API_TOKEN": self.state.token, "PARMETRICS_PSEUDONYM_KEY": self.state.key.decode()}
        args = [
            EXTRACTOR,
            base_url,
            dataset,
            lo.isoformat(),
            hi.isoformat(),
            str(self.state.work),
            str(limit),
            str(limit),
        ]
        served_before = plan.served[dataset]

        def evidence() -> str | None:
            served = plan.served[dataset] - served_before
            if served < target:
                return None
            hidden = sorted(dataset_dir.glob(f".batch={batch_id}.tmp-*"))
            parts = sum(1 for h in hidden for _ in h.glob("part-*.parquet"))
            # A part written; or, when the window holds nothing that lands (empty, or only records broken
            # in the source), its pages all served while the batch is still open.
            if not hidden or (not parts and served < pages):
                return None
            return f"{hidden[0].name} holds {parts} part file(s), {served} page(s) served"

        plan.pace_s = KILL_PACE_S
        try:
            outcome = run_and_kill(
                self.state.work, args, env, self.state.log_path(result, f"extract-{dataset}"), evidence
            )
        finally:
            plan.pace_s = 0.0
        kill["pages_served"] = plan.served[dataset] - served_before
        hidden = sorted(p.name for p in dataset_dir.glob(f".batch={batch_id}.tmp-*"))
        committed = (dataset_dir / f"batch={batch_id}").exists()
        kill["hidden_after_kill"] = hidden
        killed = outcome["evidence"] is not None and outcome["returncode"] == -signal.SIGKILL
        # Mid-batch: killed while running, its hidden batch still there and nothing committed.
        landed = killed and bool(hidden) and not committed
        if landed:
            why = ""
        elif outcome["returncode"] == 0 and outcome["evidence"] is None:
            why = f"the extractor finished before the evidence was seen ({kill['pages_served']} pages served)"
        elif committed:
            why = "the batch was committed before the kill"
        elif outcome["evidence"] is None:
            why = f"no evidence of a running extraction (exit {outcome['returncode']})"
        else:
            why = "no hidden batch left after the kill"
        record_kill(self.state, kill, outcome, landed, why, result)
        return kill

    def _after_rerun(self, dataset: str, batch_id: str, result: RoundResult) -> dict[str, Any]:
        """After the rerun of a killed window: the batch committed once, nothing of the killed run left."""
        dataset_dir = self.state.paths.dataset_landing(SOURCE, dataset)
        hidden = sorted(p.name for p in dataset_dir.glob(f".batch={batch_id}.*"))
        visible = t.landing_debris(dataset_dir)
        committed = (dataset_dir / f"batch={batch_id}" / MANIFEST).exists()
        for name in hidden:
            result.findings.add("kill_debris", f"{dataset}: {name} left after the rerun of a killed extraction")
        for name in visible:
            result.findings.add("kill_debris", f"{dataset}: {name} visible after the rerun of a killed extraction")
        if not committed:
            result.findings.add("lost", f"{dataset} batch={batch_id}: the rerun of a killed extraction did not commit")
        return {"hidden_left": hidden, "visible_debris": visible, "batch_committed": committed}

    def debris_check(self) -> t.Findings:
        findings = t.Findings()
        for dataset in DATASETS:
            for name in t.landing_debris(self.state.paths.dataset_landing(SOURCE, dataset)):
                findings.add("debris_visible", f"{dataset}: {name}")
        return findings


def quiet_resets(handle_error: Any) -> Any:
    """The server's error handler, minus the traceback of a connection its killed client reset."""

    def handle(request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionResetError | BrokenPipeError):
            log.info("dossier API simulator: %s (a killed client)", one_line(exc))
            return
        handle_error(request, client_address)

    return handle
