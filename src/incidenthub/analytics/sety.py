"""Sety's IncidentAnalytics for a period: the rules (dates, defaults, shape); the SQL is in sety_repository.py.

The period is of creation time (`created_at`), the same incidents `GET /v1/incidents?from_date=&to_date=` lists.
A date without a time is a whole UTC day (`to_date=2026-01-31` takes in all of the 31st); a time without an
offset is UTC. Without `to_date` the period ends now; without `from_date` it starts 30 days before its end.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from incidenthub.analytics.sety_repository import SetyAnalyticsRepository
from incidenthub.clock import as_utc, iso_utc
from incidenthub.errors import FieldError, MalformedRequest
from incidenthub.incidents import service as incidents_service
from incidenthub.incidents.schemas import CATEGORIES, SEVERITIES, STATUSES

DEFAULT_DAYS = 30
UNKNOWN = "unknown"
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATE_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
_EXAMPLE = "an ISO 8601 date or date-time, such as 2026-01-31 or 2026-01-31T10:25:00Z"


def _bad(name: str, message: str) -> MalformedRequest:
    return MalformedRequest(f"{name}: {message}", [FieldError(name, message)])


def parse_bound(name: str, value: str | None, *, end: bool) -> datetime | None:
    """A period bound from the query: a date is its day's first (or, for the end, last) instant; 400 naming
    the parameter when it is not a date."""
    if value is None:
        return None
    text = value.strip()
    try:
        if _DATE.match(text):
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
        if _DATE_TIME.match(text):
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
            return as_utc(parsed) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise _bad(name, f"{value!r} is not a valid date: use {_EXAMPLE}") from None
    raise _bad(name, f"must be {_EXAMPLE}")


def period(from_date: str | None, to_date: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The period asked for, with its defaults; 400 when it ends before it starts."""
    end = parse_bound("to_date", to_date, end=True) or now
    start = parse_bound("from_date", from_date, end=False) or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise _bad("from_date", "must not be after to_date")
    return start, end


def _counts(known: tuple[str, ...], found: dict[str, int]) -> dict[str, int]:
    return {**dict.fromkeys(known, 0), **found}


def _add(into: dict[str, int], key: str | None, count: int) -> None:
    name = key if key is not None else UNKNOWN
    into[name] = into.get(name, 0) + count


def incident_analytics(session: Session, tenant_id: str, from_date: str | None, to_date: str | None) -> dict[str, Any]:
    """Sety's IncidentAnalytics for the tenant's incidents created in the period, at the request time."""
    clock = incidents_service.sla_clock(session, tenant_id)  # 409 naming the member when unusable
    now = clock.now.replace(microsecond=clock.now.microsecond // 1000 * 1000)
    start, end = period(from_date, to_date, now)
    figures = SetyAnalyticsRepository(session).figures(tenant_id, start, end, clock.targets, now.timestamp())
    by_status: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    by_source: dict[str, int] = {}
    for status, category, severity, source, count in figures.groups:
        _add(by_status, status, count)
        _add(by_category, category, count)
        _add(by_severity, severity, count)
        _add(by_source, source, count)
    names = {"assign": "time_to_assign", "arrive": "time_to_arrive", "resolve": "time_to_resolve"}
    return {
        "period": {"from_date": iso_utc(start), "to_date": iso_utc(end)},
        "evaluated_at": iso_utc(now),
        "total": figures.total,
        "by_status": _counts(STATUSES, by_status),
        "by_category": _counts(CATEGORIES, by_category),
        "by_severity": _counts(SEVERITIES, by_severity),
        "by_source": by_source,
        **{
            names[leg]: {"count": row.count, "mean_seconds": row.mean, "p90_seconds": row.p90}
            for leg, row in figures.legs.items()
        },
        "sla_breaches": {**figures.breaches, "incidents": figures.breached_incidents},
    }
