"""A small simulated province, landed, built and published without Airflow (the reports only read the
published file, so the DAG machinery adds nothing here but minutes).

The same extractors, dbt project and publish step as the pipeline: the reference snapshot from the
inbox, both dossier datasets through the simulated API, one ``dbt build``, one publication.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from parmetrics.config import Paths
from tests.environ import environ

TOKEN = "reports-test-token"
KEY = b"reports-test-pseudonym-key"
END = datetime(2026, 11, 20)
CLOCK = "2026-11-20T06:00:00"
# Enough dossiers that every unit level has units with overdue dossiers and violations, few enough that
# generating, extracting and building stay within ~30 s.
N_DOSSIERS = 1500


def build_published_province(root: Path, n_dossiers: int = N_DOSSIERS) -> Paths:
    """Land, build, gate and publish a simulated province under ``root``; returns its data paths.

    The build, gate and publish steps are the build DAG's own task callables, and the reports are the
    ``publish_reports`` DAG's (dbt docs, then the publication's reports), exactly as in production.
    """
    from parmetrics.lab.simulators.dossier_api import serve_in_thread
    from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db
    from parmetrics.lab.simulators.reference_files import write_don_vi_file
    from parmetrics.orchestration import build
    from parmetrics.sources.dossier_api import ApiConnection, extract_window
    from parmetrics.sources.reference_files import land_reference_inbox_files

    paths = Paths(root / "data")
    source = write_dossier_db(root / "sim", DossierDataConfig(n_dossiers=n_dossiers, end=END))
    write_don_vi_file(paths.reference_inbox, month="202611")
    with data_env(paths):
        land_reference_inbox_files(paths.reference_inbox, paths)
        with serve_in_thread(source, TOKEN) as server:
            conn = ApiConnection(f"http://127.0.0.1:{server.port}", TOKEN)
            for dataset in ("dossiers", "dossier_events"):
                extract_window(conn, dataset, None, END, paths, KEY)
        build.dbt_build("reports-test")
        build.quality_gate("reports-test")
        result = build.publish("reports-test")
        build.refresh_dbt_docs()
        build.write_reports([result["published_at"]])
    return paths


def data_env(paths: Paths):
    """The settings the task callables read (data directory, fixed clock)."""
    return environ(PARMETRICS_DATA_DIR=str(paths.root), PARMETRICS_CLOCK=CLOCK)
