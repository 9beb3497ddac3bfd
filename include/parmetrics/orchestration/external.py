"""Pointing the pipeline at a province's real systems instead of the simulators (SOURCES.md preamble).

``make run`` / ``make up`` call :func:`external_systems` first: every source whose Airflow connection or
variable is set in the environment is used as is, and only the others are simulated.

==============================  ====================================================================
``AIRFLOW_CONN_DOSSIER_API``     dossier API, e.g. ``http://:TOKEN@dossiers.example.vn:443/https`` or
                                 JSON ``{"conn_type": "http", "host": …, "port": …, "schema": "https",
                                 "password": "TOKEN"}``
``AIRFLOW_CONN_DOCUMENT_DB``     ``postgresql://user:password@host:5432/db`` (or ``sqlite:////path``)
``AIRFLOW_VAR_FINANCE_INBOX``    the finance inbox directory (reference files in its ``reference/``)
``AIRFLOW_VAR_DATA_DIR``         the data directory (also ``PARMETRICS_DATA_DIR``)
``AIRFLOW_VAR_PSEUDONYM_KEY``    the HMAC key for ``applicant_key`` (also ``PARMETRICS_PSEUDONYM_KEY``)
==============================  ====================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PASSED_THROUGH = (
    "AIRFLOW_CONN_DOSSIER_API",
    "AIRFLOW_CONN_DOCUMENT_DB",
    "AIRFLOW_VAR_FINANCE_INBOX",
    "AIRFLOW_VAR_REFERENCE_INBOX",
    "AIRFLOW_VAR_DATA_DIR",
    "AIRFLOW_VAR_PSEUDONYM_KEY",
    "PARMETRICS_DATA_DIR",
    "PARMETRICS_PSEUDONYM_KEY",
)


@dataclass(frozen=True)
class ExternalSystems:
    dossier_api: str | None = None
    document_db: str | None = field(default=None, repr=False)
    finance_inbox: Path | None = None
    data_dir: Path | None = None
    has_key: bool = False

    @property
    def any(self) -> bool:
        return bool(self.dossier_api or self.document_db or self.finance_inbox)

    def env(self) -> dict[str, str]:
        """The variables to hand to Airflow unchanged (they override the demo's simulated ones)."""
        env = {k: os.environ[k] for k in PASSED_THROUGH if os.environ.get(k)}
        if self.any:
            # Real systems: the wall clock, nightly schedules plus events.
            env["PARMETRICS_SCHEDULE_MODE"] = os.environ.get("PARMETRICS_SCHEDULE_MODE", "nightly")
        return env

    def describe(self) -> list[str]:
        lines = []
        lines.append(f"dossier API: {'external (AIRFLOW_CONN_DOSSIER_API)' if self.dossier_api else 'simulator'}")
        lines.append(f"document DB: {'external (AIRFLOW_CONN_DOCUMENT_DB)' if self.document_db else 'simulator'}")
        lines.append(f"finance inbox: {self.finance_inbox or 'simulated files in <data>/inbox'}")
        return lines


def external_systems() -> ExternalSystems:
    """What the environment points at. Raises when a real system is set but no pseudonymisation key is."""
    data_dir = os.environ.get("PARMETRICS_DATA_DIR") or os.environ.get("AIRFLOW_VAR_DATA_DIR")
    inbox = os.environ.get("AIRFLOW_VAR_FINANCE_INBOX")
    found = ExternalSystems(
        dossier_api=os.environ.get("AIRFLOW_CONN_DOSSIER_API") or None,
        document_db=os.environ.get("AIRFLOW_CONN_DOCUMENT_DB") or None,
        finance_inbox=Path(inbox).resolve() if inbox else None,
        data_dir=Path(data_dir).resolve() if data_dir else None,
        has_key=bool(os.environ.get("PARMETRICS_PSEUDONYM_KEY") or os.environ.get("AIRFLOW_VAR_PSEUDONYM_KEY")),
    )
    if found.dossier_api and not found.has_key:
        raise RuntimeError(
            "AIRFLOW_CONN_DOSSIER_API is set but no pseudonymisation key: set AIRFLOW_VAR_PSEUDONYM_KEY "
            "(a long random secret kept outside the repository) so applicant IDs can be pseudonymised"
        )
    return found
