from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from parmetrics.simulators.dossier_data import DossierDataConfig, write_dossier_db

TOKEN = "test-token"


@pytest.fixture(scope="session")
def default_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default dataset (what `make run` serves), generated once for the session."""
    return write_dossier_db(tmp_path_factory.mktemp("sim_default"), DossierDataConfig())


@pytest.fixture(scope="session")
def dossiers(default_db: Path) -> list[dict]:
    conn = sqlite3.connect(default_db)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM dossiers ORDER BY 1")]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def events(default_db: Path) -> list[dict]:
    conn = sqlite3.connect(default_db)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM dossier_events ORDER BY 1")]
    finally:
        conn.close()
