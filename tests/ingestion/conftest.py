"""One 10,000-dossier simulated source per session, shared (copied) by the ingestion tests."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

TOKEN = "ingestion-test-token"
KEY = b"ingestion-test-pseudonym-key"
END = datetime(2026, 11, 20)
N_DOSSIERS = 10_000


@pytest.fixture(scope="session")
def source_10k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from parmetrics.simulators.dossier_data import DossierDataConfig, write_dossier_db

    return write_dossier_db(
        tmp_path_factory.mktemp("source_10k"), DossierDataConfig(seed=11, n_dossiers=N_DOSSIERS, end=END)
    )


@pytest.fixture
def source_copy(source_10k: Path, tmp_path: Path) -> Path:
    """A private copy: fault plans that mutate records write into it."""
    target = tmp_path / "sim" / source_10k.name
    target.parent.mkdir(parents=True)
    shutil.copy(source_10k, target)
    return target
