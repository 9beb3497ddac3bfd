"""Where the file inboxes are: the Airflow variables, else beside the data directory.

Read from the environment (``AIRFLOW_VAR_FINANCE_INBOX``, ``AIRFLOW_VAR_REFERENCE_INBOX``) because the
DAG files need the paths at parse time to configure their watchers, and a ``Variable.get`` at parse
time costs a metadata-database round trip per parse.
"""

from __future__ import annotations

import os
from pathlib import Path

from parmetrics.config import paths


def finance_inbox() -> Path:
    value = os.environ.get("AIRFLOW_VAR_FINANCE_INBOX") or os.environ.get("PARMETRICS_FINANCE_INBOX")
    return Path(value).resolve() if value else paths().inbox


def reference_inbox() -> Path:
    """SOURCES.md §4: a ``reference`` folder beside (inside) the finance inbox, unless set on its own."""
    value = os.environ.get("AIRFLOW_VAR_REFERENCE_INBOX") or os.environ.get("PARMETRICS_REFERENCE_INBOX")
    return Path(value).resolve() if value else finance_inbox() / "reference"
