"""The soak's finance drops: the next month's reports (now and then a corrected re-send) and bad files from
the catalogue, dropped together and landed from the inbox; the truth records which version should win."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from parmetrics.lab.soak.faults import Mix
from parmetrics.lab.soak.state import RoundResult, SoakState
from parmetrics.landing.writer import file_sha256


class FinanceDrops:
    def __init__(self, state: SoakState) -> None:
        self.state = state

    def drop(self, mix: Mix, result: RoundResult) -> None:
        """On a bad-files round: the next month's three reports (one a corrected re-send now and then)
        and ``mix.bad_files`` bad files, dropped together and landed from the inbox."""
        from parmetrics.lab.simulators.finance_files import DATASETS as FINANCE_DATASETS
        from parmetrics.lab.simulators.finance_files import rows_for, write_finance_file
        from parmetrics.sources.finance_files import land_finance_inbox

        if not mix.bad_files:
            return
        inbox = self.state.paths.inbox
        dropped: list[tuple[str, str, int, Path]] = []
        landed_periods = sorted({p for _, p in self.state.finance.winners})
        if self.state.months:
            month = self.state.months.pop(0)
            for dataset in FINANCE_DATASETS:
                fmt = self.state.rng.choice(("csv", "xlsx"))
                path = write_finance_file(inbox, dataset, month, fmt, seed=self.state.settings.seed)
                dropped.append((dataset, month, 0, path))
        if landed_periods and self.state.rng.random() < 0.3:
            month = self.state.rng.choice(landed_periods)
            dataset = self.state.rng.choice(FINANCE_DATASETS)
            version = (
                self.state.finance.winners[(dataset, month)][0] + 1
                if (dataset, month) in self.state.finance.winners
                else 1
            )
            dropped.append(
                (
                    dataset,
                    month,
                    version,
                    write_finance_file(inbox, dataset, month, "csv", version=version, seed=self.state.settings.seed),
                )
            )
        for dataset, month, version, path in dropped:
            current = self.state.finance.winners.get((dataset, month))
            if current is None or version >= current[0]:
                rows = len(rows_for(dataset, month, self.state.settings.seed))
                self.state.finance.winners[(dataset, month)] = (version, file_sha256(path), rows)
        for bad in self.state.rng.sample(self.state.bad_templates, min(mix.bad_files, len(self.state.bad_templates))):
            target = inbox / bad.path.name
            shutil.copyfile(bad.path, inbox / f".{bad.path.name}.tmp")
            os.replace(inbox / f".{bad.path.name}.tmp", target)  # a drop is atomic, as the contract's writers do
            rule, digest, times = self.state.finance.bad.get(bad.path.name, (bad.rule, file_sha256(target), 0))
            self.state.finance.bad[bad.path.name] = (rule, digest, times + 1)
            result.faults["bad_files"] += 1
        from parmetrics.quality.landing_gate import landing_gates

        land_finance_inbox(inbox, self.state.paths, gates=landing_gates(self.state.paths))
