from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db

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


@pytest.fixture(scope="session")
def province_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small realistic province: 2019-01-01 → 2026-11-20 at 1,500 dossiers a year (~12,000)."""
    config = DossierDataConfig.province(seed=7, dossiers_per_year=1500)
    return write_dossier_db(tmp_path_factory.mktemp("province"), config, workers=1)


@pytest.fixture(scope="session")
def province_dossiers(province_db: Path) -> list[dict]:
    conn = sqlite3.connect(province_db)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM dossiers ORDER BY 1")]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def province_events(province_db: Path) -> list[dict]:
    conn = sqlite3.connect(province_db)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM dossier_events ORDER BY 1")]
    finally:
        conn.close()
