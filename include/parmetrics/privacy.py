"""Removing personal data from dossier records before anything is written (ARCHITECTURE.md).

The applicant's ID number becomes ``applicant_key`` = HMAC-SHA256(key, ID number): stable across
extractions, so repeat applicants can be counted, but not reversible without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from parmetrics.landing.schemas import DOSSIER_PERSONAL_FIELDS


def applicant_key(id_number: Any, key: bytes) -> str | None:
    if id_number is None or (isinstance(id_number, str) and not id_number.strip()):
        return None
    return hmac.new(key, str(id_number).strip().encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymise_dossier(record: dict[str, Any], key: bytes) -> dict[str, Any]:
    """A copy of ``record`` without personal fields, with ``applicant_key`` (null when there is no ID)."""
    if not key:
        raise ValueError("pseudonymisation key is empty")
    clean = {k: v for k, v in record.items() if k not in DOSSIER_PERSONAL_FIELDS}
    clean["applicant_key"] = applicant_key(record.get("SoDinhDanh"), key)
    return clean
