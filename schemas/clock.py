"""The one clock helper: every timestamp wirestream writes is ISO-8601 UTC, milliseconds, 'Z'."""

from __future__ import annotations

from datetime import UTC, datetime


def format_timestamp(value: datetime | str) -> str:
    """Normalise a datetime or ISO-8601 string to ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (naive means UTC)."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    """Now, as :func:`format_timestamp` writes it."""
    return format_timestamp(datetime.now(UTC))


def epoch_seconds(stamp: str) -> float:
    """Seconds since the epoch of a timestamp written by :func:`format_timestamp`."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
