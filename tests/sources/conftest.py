"""Simulated dossier sources for the extractor tests: a small one (400 dossiers) and, shared by the
fault and crash tests, one of 10,000 dossiers per session (each test works on a private copy)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from parmetrics.config import Paths
from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db

TOKEN = "source-test-token"
KEY = b"test-pseudonym-key"
END = datetime(2026, 11, 20)
N_DOSSIERS = 10_000


@pytest.fixture(scope="session")
def source_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dossier_db(tmp_path_factory.mktemp("sim_src"), DossierDataConfig(seed=5, n_dossiers=400))


@pytest.fixture
def source_db(source_db_template: Path, tmp_path: Path) -> Path:
    """A private copy: tests may write bad records into it."""
    target = tmp_path / "sim" / source_db_template.name
    target.parent.mkdir()
    shutil.copy(source_db_template, target)
    return target


@pytest.fixture
def data_paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "data")


@pytest.fixture(scope="session")
def source_10k(tmp_path_factory: pytest.TempPathFactory) -> Path:
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
