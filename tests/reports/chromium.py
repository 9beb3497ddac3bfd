"""Headless Chromium for the report tests: the page as the browser drew it (its DOM after the script ran)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("Chromium is not installed (.ci/run installs the Debian package)")


def run_chromium(url: str, profile: Path, *args: str) -> str:
    proc = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",  # a profile of its own: parallel runs never share a lock
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


def rendered_dom(report: Path, profile: Path, fragment: str = "") -> str:
    """The report's DOM once its script ran (``--dump-dom``), opened from the file as a reader opens it."""
    return run_chromium(report.as_uri() + fragment, profile, "--dump-dom")
