"""What the dossier simulator generates: the seed, the span, the volume and the share of data defects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PROVINCE_START = datetime(2019, 1, 1)


@dataclass(frozen=True)
class DossierDataConfig:
    """What to generate. ``n_dossiers`` over ``start``–``end``, or ``dossiers_per_year`` (then the
    total is that rate times the span in years). The small default keeps other suites fast; the
    realistic province is :meth:`province` (2019-01-01 → end)."""

    seed: int = 766
    n_dossiers: int = 3000
    start: datetime = datetime(2024, 1, 1)
    # Nothing is recorded at or after this instant: the dataset is a source frozen at `end`.
    end: datetime = datetime(2026, 11, 20)
    # Share of dossiers carrying each kind of data defect the marts must survive (METRICS.md §2).
    quirk_rate: float = 0.004
    insert_batch_size: int = 5000
    dossiers_per_year: int | None = None

    @classmethod
    def province(
        cls, seed: int = 766, dossiers_per_year: int = 50_000, end: datetime = datetime(2026, 11, 20), **kw: Any
    ) -> DossierDataConfig:
        return cls(seed=seed, start=PROVINCE_START, end=end, dossiers_per_year=dossiers_per_year, **kw)

    @property
    def total(self) -> int:
        if self.dossiers_per_year is None:
            return self.n_dossiers
        return round(self.dossiers_per_year * (self.end - self.start).total_seconds() / (365.25 * 86400))
