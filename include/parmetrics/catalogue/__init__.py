"""The dataset catalogue: every landing dataset declared once (``datasets.py``), and lookups over it.

From a declaration come the Arrow schemas (``landing/schemas.py``), the contract checks run on every
record, page, chunk or file before it lands (``landing/contract.py``), the landing suites' generated
part and dbt's ``sources:`` file (``catalogue/generate.py``), and the landing assets
(``orchestration/assets.py``).
"""

from __future__ import annotations

from parmetrics.catalogue.datasets import DATASETS, SOURCES
from parmetrics.catalogue.model import Dataset, Source

__all__ = ["DATASETS", "SOURCES", "Dataset", "Source", "dataset", "datasets_of", "source"]

_BY_NAME: dict[tuple[str, str], Dataset] = {(d.source.name, d.name): d for d in DATASETS}


def dataset(source_name: str, name: str) -> Dataset:
    try:
        return _BY_NAME[(source_name, name)]
    except KeyError:
        known = ", ".join(f"{s}.{d}" for s, d in _BY_NAME)
        raise KeyError(f"no landing dataset {source_name}.{name} in the catalogue (known: {known})") from None


def datasets_of(source_name: str) -> tuple[Dataset, ...]:
    return tuple(d for d in DATASETS if d.source.name == source_name)


def source(name: str) -> Source:
    for s in SOURCES:
        if s.name == name:
            return s
    raise KeyError(f"no source {name!r} in the catalogue")
