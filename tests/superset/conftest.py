"""Where the dashboards' screenshots went, printed after the run (the notes and the reviewer open them)."""

from __future__ import annotations

import pytest

SCREENSHOTS = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    shots = config.stash.get(SCREENSHOTS, [])
    if shots:
        terminalreporter.section("Superset dashboards as rendered by headless Chromium")
        for line in shots:
            terminalreporter.write_line(line)
