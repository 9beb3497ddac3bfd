from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from parmetrics.config import Paths
from parmetrics.simulators.dossier_data import DossierDataConfig, write_dossier_db

TOKEN = "source-test-token"
KEY = b"test-pseudonym-key"


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
