"""Time helpers: everything inside the service is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware datetime converted to UTC; a naive one is a bug and is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: every time inside incidenthub must carry its offset")
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, the shape every door answers with."""
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
