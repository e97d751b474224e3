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

# How the OpenAPI document states a query parameter that takes an ISO 8601 date or date-time (the analytics'
# and safety figures' `from_date` / `to_date`; give it as the Query's `json_schema_extra`): a real calendar date,
# or a date-time. What a date stands for (a whole UTC or local day) is in each parameter's description.
DAY_OR_TIME_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    "maxLength": 40,
}


def query_utc(name: str, value: datetime | None) -> datetime | None:
    """The query parameter `name`'s time in UTC (UTC if it has no offset); out of range is a 400 naming it."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else as_utc(value)
    except OverflowError:  # e.g. year 1 with a positive offset: before the first UTC instant
        raise Invalid(f"{name}: out of range", [FieldError(name, "out of range")]) from None
