"""Times in a query string, shared by the routers that filter by time (incidents, audit, access).

Pydantic reads a number as a Unix time; in a query string that is a mistake, not a time, so `QueryTime`
takes only ISO 8601 text. A time without an offset is taken as UTC (`query_utc`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from incidenthub.clock import as_utc
from incidenthub.errors import FieldError, Invalid

_ISO_DATE_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso(value: Any) -> Any:
    """Only ISO 8601 text is a time here: a number (which Pydantic reads as a Unix time) is refused."""
    if not (isinstance(value, str) and _ISO_DATE_TIME.match(value)):
        raise ValueError("must be an ISO 8601 date-time, such as 2026-01-06T10:25:00Z")
    return value


QueryTime = Annotated[datetime, BeforeValidator(_iso)]


def query_utc(name: str, value: datetime | None) -> datetime | None:
    """The query parameter `name`'s time in UTC (UTC if it has no offset); out of range is a 400 naming it."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else as_utc(value)
    except OverflowError:  # e.g. year 1 with a positive offset: before the first UTC instant
        raise Invalid(f"{name}: out of range", [FieldError(name, "out of range")]) from None
