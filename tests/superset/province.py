"""A small simulated province, landed, built and published without Airflow: Superset reads only the
published file, so the DAG machinery would add minutes and nothing else here.

The pipeline's own pieces: the reference snapshot from the inbox, both dossier datasets through the
simulated API, one ``dbt build``, one publication. A copy of the reference file as the source wrote it
(``REFERENCE_COPY`` under the root) lets the tests tell which units are in force from the source itself.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from parmetrics.config import Paths
from tests.environ import environ

TOKEN = "superset-test-token"
KEY = b"superset-test-pseudonym-key"
END = datetime(2026, 11, 20)
CLOCK = "2026-11-20T06:00:00"
# Enough dossiers for every unit level to be ranked in the current year, for overdue dossiers and
# violations to exist, for ceased units to keep residual rows in the current year, and for the province's
# counts of the current year to pass 1,000 (so a rendered number shows a thousands separator); few enough
# to generate, extract and build in about a minute.
N_DOSSIERS = 4000
REFERENCE_COPY = "don_vi_as_sent.csv"


def build_published_province(root: Path, n_dossiers: int = N_DOSSIERS) -> Paths:
    """Land, build and publish a simulated province under ``root``; returns its data paths."""
    from parmetrics.lab.simulators.dossier_api import serve_in_thread
    from parmetrics.lab.simulators.dossier_data import DossierDataConfig, write_dossier_db
    from parmetrics.lab.simulators.reference_files import write_don_vi_file
    from parmetrics.publish import publish
    from parmetrics.sources.dossier_api import ApiConnection, extract_window
    from parmetrics.sources.reference_files import land_reference_inbox_files
    from parmetrics.transform.dbt_runner import build

    paths = Paths(root / "data")
    source = write_dossier_db(root / "sim", DossierDataConfig(n_dossiers=n_dossiers, end=END))
    sent = write_don_vi_file(paths.reference_inbox, month="202611")
    shutil.copyfile(sent, root / REFERENCE_COPY)
    with environ(PARMETRICS_DATA_DIR=str(paths.root), PARMETRICS_CLOCK=CLOCK):
        land_reference_inbox_files(paths.reference_inbox, paths)
        with serve_in_thread(source, TOKEN) as server:
            conn = ApiConnection(f"http://127.0.0.1:{server.port}", TOKEN)
            for dataset in ("dossiers", "dossier_events"):
                extract_window(conn, dataset, None, END, paths, KEY)
        build(paths)
        publish(paths, run_id="superset-test")
    return paths
