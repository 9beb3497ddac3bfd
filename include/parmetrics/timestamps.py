"""The dossier API's timestamp format: ``yyyyMMddHHmmss``, naive local time (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from datetime import datetime

FORMAT = "%Y%m%d%H%M%S"


def parse_ts(value: str | None) -> datetime | None:
    """Parse ``yyyyMMddHHmmss``; ``None`` stays ``None``; anything else raises ``ValueError``."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 14 or not (value.isascii() and value.isdigit()):
        raise ValueError(f"not a yyyyMMddHHmmss timestamp: {value!r}")
    # Slicing is ~10x faster than strptime and validates the same way (datetime() rejects 2024-13-01).
    try:
        return datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12]), int(value[12:14])
        )
    except ValueError:
        raise ValueError(f"not a yyyyMMddHHmmss timestamp: {value!r}") from None


def format_ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime(FORMAT)
