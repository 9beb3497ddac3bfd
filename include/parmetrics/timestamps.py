"""The dossier API's timestamp format: ``yyyyMMddHHmmss``, naive local time (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from datetime import datetime

FORMAT = "%Y%m%d%H%M%S"


def parse_ts(value: str | None) -> datetime | None:
    """Parse ``yyyyMMddHHmmss``; ``None`` stays ``None``; anything else raises ``ValueError``."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 14 or not value.isdigit():
        raise ValueError(f"not a yyyyMMddHHmmss timestamp: {value!r}")
    return datetime.strptime(value, FORMAT)


def format_ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime(FORMAT)
