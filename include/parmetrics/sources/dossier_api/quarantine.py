"""How a dossier API record that cannot land is set aside: its key, its version, its fingerprint.

The record is quarantined without personal data (pseudonymised before it is parsed); the reason names
it by its key (``record_label``) and says which rule it broke. The batch's quarantine and the later
resolutions are written by ``parmetrics.landing.quarantine``.
"""

from __future__ import annotations

import json
from typing import Any

from parmetrics.landing.quarantine import Quarantined
from parmetrics.sources.dossier_records import record_label
from parmetrics.timestamps import parse_ts

VERSION_FIELD = {"dossiers": "NgayCapNhat", "dossier_events": "ThoiDiemGhiNhan"}


def fingerprint(record: Any) -> int:
    """Identifies a record whose key is missing: everything else about it."""
    if not isinstance(record, dict):
        return hash(repr(record))
    return hash(json.dumps({k: v for k, v in record.items() if k != "MaHoSo"}, sort_keys=True, default=str))


def dedupe_key(record: Any, dataset: str) -> Any:
    """The key extraction folds versions on (a tuple for events), or None when the record has none."""
    code = record.get("MaHoSo") if isinstance(record, dict) else None
    if not isinstance(code, str) or not code.strip():
        return None
    return code if dataset == "dossiers" else (code, record.get("STT"))


def key_text(key: Any) -> str | None:
    """A key as quarantine records name it: ``MaHoSo``, or ``MaHoSo#STT`` for an event."""
    if key is None:
        return None
    return key if isinstance(key, str) else f"{key[0]}#{key[1]}"


def record_version(record: Any, dataset: str) -> str | None:
    """The record's version as ``yyyyMMddHHmmss`` text, or None when it is missing or malformed."""
    value = record.get(VERSION_FIELD[dataset]) if isinstance(record, dict) else None
    try:
        return value if parse_ts(value) is not None else None
    except ValueError:
        return None


def quarantined(record: Any, dataset: str, problem: str, rule: str) -> Quarantined:
    return Quarantined(
        key=key_text(dedupe_key(record, dataset)),
        reason=f"{record_label(record, dataset)}: {problem}",
        rule=rule,
        record=record,
        version=record_version(record, dataset),
    )
