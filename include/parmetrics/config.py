"""Where things live and which clock is "now".

Every path derives from one data directory (``PARMETRICS_DATA_DIR``, default ``<repo>/.data``), so
tests point the whole pipeline at a temporary directory by setting one variable. Every "now"
reads :func:`reference_now`: the wall clock in production, a fixed instant in the demo and tests
(``PARMETRICS_CLOCK``), so two runs on different days publish the same numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


@dataclass(frozen=True)
class Paths:
    """The data directory's layout (see ARCHITECTURE.md)."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def ops(self) -> Path:
        return self.root / "ops"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def build_db(self) -> Path:
        # Written only by dbt (with the marts file); BI never opens it.
        return self.warehouse / "par_metrics_build.duckdb"

    @property
    def marts_db(self) -> Path:
        # The marts as dbt builds them, in a file of their own: publishing copies it whole.
        return self.warehouse / "par_metrics_marts.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def published_db(self) -> Path:
        return self.published / "par_metrics.duckdb"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def reference_inbox(self) -> Path:
        # SOURCES.md §4: a `reference` folder beside the finance inbox.
        return self.inbox / "reference"

    @property
    def sim(self) -> Path:
        return self.root / "sim"

    def dataset_landing(self, source: str, dataset: str) -> Path:
        return self.landing / source / dataset


def data_dir() -> Path:
    """The data directory: ``PARMETRICS_DATA_DIR`` or the Airflow variable ``data_dir``, else ``.data``."""
    value = os.environ.get("PARMETRICS_DATA_DIR") or os.environ.get("AIRFLOW_VAR_DATA_DIR")
    return Path(value).resolve() if value else REPO_ROOT / ".data"


def paths() -> Paths:
    return Paths(data_dir())


def reference_now() -> datetime:
    """The reference clock as naive local time (Asia/Ho_Chi_Minh), second precision.

    ``PARMETRICS_CLOCK`` (ISO ``YYYY-MM-DDTHH:MM:SS``, local time) fixes it for the demo and tests.
    """
    fixed = os.environ.get("PARMETRICS_CLOCK") or os.environ.get("AIRFLOW_VAR_REFERENCE_CLOCK")
    if fixed:
        return datetime.fromisoformat(fixed).replace(tzinfo=None, microsecond=0)
    return datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def write_private_file(path: Path, text: str, *, replace: bool = True) -> Path:
    """Write a file that holds a secret, readable and writable by its owner only from its first byte.

    The content goes to a hidden temporary file created with mode 0600 (``O_EXCL``, so an existing file
    or a planted symlink is never reused), then is moved into place in one step: renamed over ``path``,
    or, with ``replace=False``, hard-linked there so that an existing ``path`` wins (``FileExistsError``).
    Nobody ever sees the file half-written or with a wider mode, whatever the umask.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask may take bits away from 0600, never add them
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def pseudonymisation_key() -> bytes:
    """The HMAC key for ``applicant_key``. Required: there is no default, so no key is ever shared."""
    value = os.environ.get("PARMETRICS_PSEUDONYM_KEY") or os.environ.get("AIRFLOW_VAR_PSEUDONYM_KEY")
    if not value:
        raise RuntimeError(
            "PARMETRICS_PSEUDONYM_KEY (or Airflow variable pseudonym_key) is not set: "
            "the applicant ID number cannot be pseudonymised without a key"
        )
    return value.encode("utf-8")
