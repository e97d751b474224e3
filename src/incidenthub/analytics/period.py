"""The period of an analytics answer, read in the tenant's time zone, and that zone's UTC offsets over it. Pure.

`from_date` / `to_date` are ISO 8601 dates (a whole local day of the tenant: a month's report is the month the
centre lived) or date-times (with an offset; without one, the tenant's local time). `to_date` is inclusive.
Neither given: the 365 days up to now. A period is at most ten years and starts in 1970 or later.

The database groups by local hour and weekday without a time-zone database (SQLite has none): the period is
cut where the zone's offset changes (`offsets`), and the SQL adds the offset of the piece an instant is in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidenthub.errors import AppError, FieldError

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$"
_DATE = re.compile(DATE_PATTERN)
_MESSAGE = "must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T18:00:00-05:00)"
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LONGEST = timedelta(days=3660)


def bad(param: str, message: str) -> AppError:
    """A 400 naming the query parameter."""
    return AppError(f"{param}: {message}", [FieldError(param, message)])


def zone_of(name: str | None) -> ZoneInfo:
    """The tenant's zone (UTC when unknown)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _moment(value: str, param: str, zone: ZoneInfo, end: bool) -> datetime:
    if not _DATE.match(value):
        raise bad(param, _MESSAGE)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(), zone).astimezone(UTC)
        moment = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        raise bad(param, _MESSAGE) from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    return moment.astimezone(UTC) + (timedelta(microseconds=1) if end else timedelta())


@dataclass(frozen=True)
class Period:
    since: datetime  # inclusive, UTC
    until: datetime  # exclusive, UTC
    zone: ZoneInfo

    def as_dict(self) -> dict[str, str]:
        """The period as shown in answers: both ends in the tenant's local time, and its zone."""
        return {
            "from": self.since.astimezone(self.zone).isoformat(timespec="milliseconds"),
            "to": self.until.astimezone(self.zone).isoformat(timespec="milliseconds"),
            "timezone": self.zone.key,
        }

    @property
    def since_ms(self) -> int:
        return _epoch_ms(self.since)

    @property
    def until_ms(self) -> int:
        """Epoch ms of the end (exclusive), rounded up: an instant stored to the ms before `until` is in."""
        return -(-(self.until - _EARLIEST) // timedelta(milliseconds=1))

    def offsets(self) -> list[tuple[int, int]]:
        """(from epoch ms, offset ms) pieces covering the period: the zone's UTC offset from that instant on."""

        def offset_at(instant: datetime) -> int:
            delta = instant.astimezone(self.zone).utcoffset() or timedelta()
            return int(delta.total_seconds() * 1000)

        pieces = [(_epoch_ms(self.since), offset_at(self.since))]
        step = timedelta(hours=6)  # offsets change at most a few times a year, never twice in six hours
        left = self.since
        while left < self.until:
            right = min(left + step, self.until)
            if offset_at(right) != offset_at(left):
                low, high = left, right  # the change is in (low, high]: find its first instant, to the second
                while high - low > timedelta(seconds=1):
                    middle = low + (high - low) / 2
                    low, high = (low, middle) if offset_at(middle) != offset_at(left) else (middle, high)
                pieces.append((_epoch_ms(high.replace(microsecond=0)), offset_at(high)))
            left = right
        return pieces


def _epoch_ms(instant: datetime) -> int:
    return int((instant - _EARLIEST).total_seconds() * 1000)


def period_of(from_date: str | None, to_date: str | None, timezone: str | None, now: datetime) -> Period:
    """The period asked for, in the tenant's zone; a bad or reversed date is a 400 naming the parameter."""
    zone = zone_of(timezone)
    until = _moment(to_date, "to_date", zone, end=True) if to_date else now + timedelta(microseconds=1)
    since = _moment(from_date, "from_date", zone, end=False) if from_date else until - timedelta(days=365)
    if since < _EARLIEST:
        raise bad("from_date", "must be 1970-01-01 or later")
    if since >= until:
        raise bad("from_date", "must be before to_date")
    if until - since > _LONGEST:
        raise bad("to_date", "must be at most ten years after from_date")
    return Period(since, until, zone)
