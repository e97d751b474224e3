"""GET /safety/danger-analytics: what happened in a circle over a period, when, how it trends, how it
compares with the tenant's average, its recurring patterns and the next 24 hours' expectation.

Incidents are read from `safety_points` (one row per counted incident) of the cells that can hold a point
of the circle, then kept when their exact distance is within the radius. Times of day and week are the
tenant's local ones (stored with each point).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import h3

from incidenthub.clock import as_utc, iso_utc
from incidenthub.errors import AppError, FieldError
from incidenthub.intel import geo
from incidenthub.intel.service import EXPLAIN_IDS, TENANT_CELL_KM2, Context

DEFAULT_DAYS = 90
MAX_DAYS = 366
CATEGORIES = ("sos", "vehicle", "location_threat", "medical", "fire", "other")
SEVERITIES = ("critical", "high", "medium", "low")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BAND_HOURS = 3
PATTERN_MIN = 3
PATTERNS_LISTED = 20
STEADY_PERCENT = 10.0  # a change within this (or of at most one incident) is steady
LOWER, HIGHER = 0.8, 1.25  # ratio bounds of "similar"
# A point of the circle lies in a cell whose centre is at most one circumradius (= edge) beyond the radius.
_MARGIN_M = 1.2 * h3.average_hexagon_edge_length(geo.BASE_RESOLUTION, unit="m")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
METHOD = (
    "For each of the next 24 hours, the incidents of the period in the same local hour of the week, each "
    "decayed by its age (half-life {half_life:g} days), divided by the period's occurrences of that hour, "
    "decayed alike: a decayed average rate per hour. Probability is that of at least one incident "
    "(Poisson: 1 - e^-expected)."
)


def _bad(field: str, message: str) -> AppError:
    return AppError(message, [FieldError(field, message)])


def _parse(field: str, value: str, end_of_day: bool) -> datetime:
    text = value.strip()
    if _DATE.match(text):
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise _bad(field, f"{field} {value!r} is not a date") from None
        return day + timedelta(days=1) if end_of_day else day
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(field, f"{field} must be an ISO date (2026-01-31) or date-time, not {value!r}") from None
    return as_utc(parsed) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def period(from_date: str | None, to_date: str | None, now: datetime) -> tuple[datetime, datetime]:
    """[since, until): a date is a whole UTC day (to_date inclusive); default the 90 days up to now."""
    until = _parse("to_date", to_date, end_of_day=True) if to_date is not None else now
    since = (
        _parse("from_date", from_date, end_of_day=False) if from_date is not None else until - timedelta(DEFAULT_DAYS)
    )
    if since >= until:
        raise _bad("from_date", "from_date must be before to_date")
    if until - since > timedelta(days=MAX_DAYS):
        raise _bad("from_date", f"the period is at most {MAX_DAYS} days")
    return since, until


def _time_analysis(rows: Sequence[Any], timezone: str) -> dict[str, Any]:
    matrix = [[0] * 24 for _ in range(7)]
    for row in rows:
        matrix[row.hour_of_week // 24][row.hour_of_week % 24] += 1
    by_hour = [sum(day[h] for day in matrix) for h in range(24)]
    by_weekday = [sum(day) for day in matrix]
    return {
        "timezone": timezone,
        "weekdays": list(WEEKDAYS),
        "matrix": matrix,
        "by_hour": by_hour,
        "by_weekday": dict(zip(WEEKDAYS, by_weekday, strict=True)),
        "peak_hour": by_hour.index(max(by_hour)) if rows else None,
        "peak_weekday": WEEKDAYS[by_weekday.index(max(by_weekday))] if rows else None,
    }


def _trend(current: int, previous: int, since: datetime, until: datetime) -> dict[str, Any]:
    change = round(100.0 * (current - previous) / previous, 1) if previous else None
    if abs(current - previous) <= 1 or (change is not None and abs(change) < STEADY_PERCENT):
        direction = "steady"
    else:
        direction = "rising" if current > previous else "falling"
    return {
        "current": current,
        "previous": previous,
        "previous_from": iso_utc(since - (until - since)),
        "previous_to": iso_utc(since),
        "change_percent": change,
        "direction": direction,
    }


def _comparison(ctx: Context, here: int, area_km2: float, since: datetime, until: datetime) -> dict[str, Any]:
    _, parents = ctx.repository.totals(ctx.tenant_id)
    tenant_km2 = parents * TENANT_CELL_KM2
    everywhere = ctx.repository.count_between(ctx.tenant_id, since, until)
    average = everywhere / tenant_km2 if tenant_km2 else 0.0
    local = here / area_km2
    ratio = round(local / average, 3) if average else None
    label = "similar" if ratio is None or LOWER <= ratio <= HIGHER else ("lower" if ratio < LOWER else "higher")
    return {
        "area_km2": round(area_km2, 4),
        "incidents_per_km2": round(local, 4),
        "tenant_incidents_per_km2": round(average, 4),
        "tenant_area_km2": round(tenant_km2, 3),
        "ratio": ratio,
        "label": label,
    }


def _patterns(rows: Sequence[Any]) -> list[dict[str, Any]]:
    groups = Counter((r.hour_of_week // 24, (r.hour_of_week % 24) // BAND_HOURS, r.category) for r in rows)
    found = [
        {
            "weekday": WEEKDAYS[day],
            "start_hour": band * BAND_HOURS,
            "end_hour": band * BAND_HOURS + BAND_HOURS,
            "category": category,
            "incidents": count,
            "share": round(count / len(rows), 4),
        }
        for (day, band, category), count in groups.items()
        if count >= PATTERN_MIN
    ]
    found.sort(key=lambda p: (-p["incidents"], WEEKDAYS.index(p["weekday"]), p["start_hour"], p["category"]))
    return found[:PATTERNS_LISTED]


def _prediction(ctx: Context, rows: Sequence[Any], since: datetime, until: datetime) -> dict[str, Any]:
    settings, factor = ctx.settings, ctx.factor
    seen: dict[int, float] = {}
    for row in rows:
        seen[row.hour_of_week] = seen.get(row.hour_of_week, 0.0) + settings.growth(row.occurred_at) * factor
    exposure: dict[int, float] = {}
    slot = since
    while slot < until:  # each hour of the period, by its local hour of the week, decayed like an incident
        middle = min(slot + timedelta(minutes=30), until)
        hour = settings.hour_of_week(middle)
        exposure[hour] = exposure.get(hour, 0.0) + settings.growth(middle) * factor
        slot += timedelta(hours=1)
    hours: list[dict[str, Any]] = []
    for k in range(24):
        when = ctx.now + timedelta(hours=k)
        hour = settings.hour_of_week(when)
        expected = seen.get(hour, 0.0) / exposure[hour] if exposure.get(hour) else 0.0
        hours.append(
            {
                "starts_at": iso_utc(when),
                "local_time": when.astimezone(settings.zone).isoformat(timespec="minutes"),
                "hour_of_week": hour,
                "expected_incidents": round(expected, 4),
                "probability": round(1.0 - math.exp(-expected), 4),
            }
        )
    peak = max(hours, key=lambda h: h["expected_incidents"])
    return {
        "method": METHOD.format(half_life=settings.half_life_days),
        "expected_total": round(sum(h["expected_incidents"] for h in hours), 4),
        "peak": peak,
        "hours": hours,
    }


def danger_analytics(
    ctx: Context, lat: float, lon: float, radius_m: float, since: datetime, until: datetime
) -> dict[str, Any]:
    previous_since = since - (until - since)
    cells = geo.cells_within(lat, lon, radius_m + _MARGIN_M)
    rows = [
        r
        for r in ctx.repository.points(ctx.tenant_id, cells, previous_since, until)
        if geo.distance_m(lat, lon, r.latitude, r.longitude) <= radius_m
    ]
    current = [r for r in rows if r.occurred_at >= since]
    previous = len(rows) - len(current)
    categories = Counter(r.category for r in current)
    severities = Counter(r.severity for r in current)
    area_km2 = geo.circle_area_km2(radius_m)
    heaviest = sorted(current, key=lambda r: (r.decayed, r.occurred_at), reverse=True)[:EXPLAIN_IDS]
    return {
        "location": {"type": "Point", "coordinates": [lon, lat]},
        "radius_m": radius_m,
        "from": iso_utc(since),
        "to": iso_utc(until),
        "timezone": ctx.settings.timezone,
        "total": len(current),
        "by_category": {c: categories.get(c, 0) for c in CATEGORIES}
        | {c: n for c, n in categories.items() if c not in CATEGORIES},
        "by_severity": {s: severities.get(s, 0) for s in SEVERITIES},
        "time_analysis": _time_analysis(current, ctx.settings.timezone),
        "trend": _trend(len(current), previous, since, until),
        "comparison": _comparison(ctx, len(current), area_km2, since, until),
        "patterns": _patterns(current),
        "prediction": _prediction(ctx, current, since, until),
        "incidents": {"total": len(current), "ids": [r.incident_id for r in heaviest]},
        "computed_at": iso_utc(ctx.now),
    }
