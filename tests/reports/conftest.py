"""One simulated province, published once per test session, for every report test.

Under pytest-xdist (``make test``: two workers, one test file each at a time) the report test files
can land on both workers; the province is built once in the session's shared temporary directory,
under a file lock, and the second worker reuses it (pytest-xdist's documented pattern).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from filelock import FileLock

from parmetrics.config import Paths
from tests.reports.published_province import build_published_province


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # not distributed
        return build_published_province(tmp_path_factory.mktemp("reports"))
    shared = tmp_path_factory.getbasetemp().parent / "reports-province"
    done = shared / "built.json"
    with FileLock(str(shared) + ".lock"):
        if not done.exists():
            paths = build_published_province(shared)
            done.write_text(json.dumps({"root": str(paths.root)}))
    return Paths(Path(json.loads(done.read_text())["root"]))
