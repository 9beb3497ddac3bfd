"""One simulated province, published once per session, for every report test."""

from __future__ import annotations

import pytest

from parmetrics.config import Paths
from tests.reports.published_province import build_published_province


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    return build_published_province(tmp_path_factory.mktemp("reports"))
