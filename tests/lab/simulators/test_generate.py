"""`parmetrics simulate` and `prepare_sources`: every source generated, reused when unchanged."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from parmetrics.cli.main import app
from parmetrics.config import Paths
from parmetrics.lab.demo import DemoSettings, prepare_sources
from parmetrics.lab.simulators.dossier_data import read_meta
from parmetrics.lab.simulators.generate import SimulationPlan, generate_sources


def test_simulate_writes_every_source(tmp_path: Path):
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--data-dir",
            str(tmp_path),
            "--dossiers-per-year",
            "50",
            "--years",
            "1.5",
            "--bad-finance-files",
            str(tmp_path / "bad"),
        ],
    )
    assert result.exit_code == 0, result.output
    p = Paths(tmp_path)
    assert (p.sim / "dossier_api.sqlite").exists() and (p.sim / "document_db.sqlite").exists()
    meta = read_meta(p.sim / "dossier_api.sqlite")
    assert 60 <= int(meta["dossiers"]) <= 90
    reference = sorted(f.name for f in p.reference_inbox.iterdir())
    assert any(n.startswith("don_vi_") for n in reference) and any(n.startswith("niem_yet_website_") for n in reference)
    assert sum(n.startswith("thu_tuc_hanh_chinh_") for n in reference) >= 3  # "catalogue as of" has history
    finance = [f for f in p.inbox.iterdir() if f.is_file()]
    assert {f.suffix for f in finance} == {".csv", ".xlsx"} and len(finance) >= 3 * 17
    assert len(list((tmp_path / "bad").iterdir())) == 8


def test_prepare_sources_generates_the_province_once_and_redrops_the_files(tmp_path: Path):
    p = Paths(tmp_path)
    settings = DemoSettings(seed=5, n_dossiers=300, end=datetime(2026, 11, 20))
    console = Console(quiet=True)
    sources = ("dossiers", "reference")
    db = prepare_sources(p, settings, console, sources=sources)
    first = db.stat().st_mtime_ns
    meta = read_meta(db)
    assert meta["dossiers"] == "300" and '"start": "2019-01-01 00:00:00"' in meta["config"]
    for f in p.reference_inbox.iterdir():
        f.unlink()  # ingestion claims the drops
    assert prepare_sources(p, settings, console, sources=sources) == db and db.stat().st_mtime_ns == first
    assert any(p.reference_inbox.iterdir())
    other = prepare_sources(
        p, DemoSettings(seed=5, n_dossiers=300, end=datetime(2026, 11, 20)), console, dossiers_per_year=40
    )
    assert other.stat().st_mtime_ns != first


def test_generate_sources_subset(tmp_path: Path):
    report = generate_sources(Paths(tmp_path), SimulationPlan(sources=("reference",), end=datetime(2025, 3, 1)))
    assert set(report) == {"reference"} and report["reference"]["files"] == 2 * 14 + 2
