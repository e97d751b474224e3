"""GET /safety/route: the safety of a route, per segment, with its hotspots and the safest departure hour.

Each segment (between consecutive points) is scored like a place (`scoring.score`) over its corridor: the
resolution-9 cells whose centres lie within `corridor_m` of the segment (found from samples every
~100 m along it, with each sample's own cell), the area being the corridor's (length x 2 corridor plus the
two round ends). The route's score is the segments' scores weighted by their length; the worst segment is
named. All the route's sums are read at once for all its cells (cell sums, the hours of the week the
departure windows need, the last 7 days, the heaviest incidents): the number of queries does not grow
with the number of segments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import h3

from incidenthub.clock import iso_utc
from incidenthub.errors import AppError, FieldError
from incidenthub.intel import geo, polyline, scoring, service
from incidenthub.intel.service import EXPLAIN_CELLS, EXPLAIN_IDS, TENANT_CELL_KM2, Area, Context, area, window

MIN_POINTS, MAX_POINTS = 2, 100
MAX_LENGTH_M = 200_000.0
SAMPLE_M = 100.0
HOTSPOT_RATIO = 2.0  # a cell at least this many times the reference density is a hotspot
DEPARTURE_HOURS = 24
_SPACING_M = h3.average_hexagon_edge_length(geo.BASE_RESOLUTION, unit="m") * math.sqrt(3)
_M_PER_DEG = math.pi * geo.EARTH_RADIUS_M / 180.0

Point = tuple[float, float]


def _bad(field: str, message: str) -> AppError:
    return AppError(message, [FieldError(field, message)])


def parse_waypoints(text: str) -> list[Point]:
    """`lat,lon;lat,lon;...` as points; anything else is a 400 naming `waypoints`."""
    points: list[Point] = []
    for number, pair in enumerate(text.strip().strip(";").split(";"), start=1):
        parts = pair.split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            raise _bad("waypoints", f"waypoint {number} ({pair.strip()!r}) is not `lat,lon`") from None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or math.isnan(lat) or math.isnan(lon):
            raise _bad(
                "waypoints", f"waypoint {number} ({lat}, {lon}) is not on the globe (lat -90..90, lon -180..180)"
            )
        points.append((lat, lon))
    return points


def route_points(waypoints: str | None, encoded: str | None) -> tuple[list[Point], str]:
    """The route's points and the parameter they came from; exactly one of the two must be given."""
    if (waypoints is None) == (encoded is None):
        both = waypoints is not None
        message = "give either waypoints or polyline, not both" if both else "give waypoints or polyline"
        raise AppError(message, [FieldError("waypoints", message), FieldError("polyline", message)])
    if waypoints is not None:
        points, field = parse_waypoints(waypoints), "waypoints"
    else:
        try:
            points, field = polyline.decode(encoded or ""), "polyline"
        except polyline.PolylineError as error:
            raise _bad("polyline", f"not an encoded polyline: {error}") from None
    if not MIN_POINTS <= len(points) <= MAX_POINTS:
        raise _bad(field, f"a route has {MIN_POINTS} to {MAX_POINTS} points; this one has {len(points)}")
    length = sum(geo.distance_m(*a, *b) for a, b in pairwise(points))
    if length > MAX_LENGTH_M:
        raise _bad(field, f"the route is {length / 1000:.1f} km long; at most {MAX_LENGTH_M / 1000:g} km")
    return points, field


def _project(a: Point, b: Point, p: Point) -> tuple[float, float]:
    """(distance in metres from p to the segment a-b, how far along it p's foot lies in metres); flat-earth
    approximation around a, exact enough at corridor scale."""
    cos = math.cos(math.radians(a[0]))
    bx, by = (b[1] - a[1]) * cos * _M_PER_DEG, (b[0] - a[0]) * _M_PER_DEG
    px, py = (p[1] - a[1]) * cos * _M_PER_DEG, (p[0] - a[0]) * _M_PER_DEG
    length2 = bx * bx + by * by
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, (px * bx + py * by) / length2))
    return math.hypot(px - t * bx, py - t * by), t * math.sqrt(length2)


@dataclass
class Segment:
    start: Point
    end: Point
    length_m: float
    offset_m: float  # distance along the route where it starts
    cells: list[str]


def corridor(start: Point, end: Point, corridor_m: float, centres: dict[str, Point]) -> list[str]:
    """The resolution-9 cells whose centres lie within `corridor_m` of the segment, and the samples' own."""
    length = geo.distance_m(*start, *end)
    steps = max(1, math.ceil(length / SAMPLE_M))
    k = max(1, math.ceil(corridor_m / _SPACING_M) + 1)
    own: dict[str, None] = {}
    candidates: set[str] = set()
    for step in range(steps + 1):
        f = step / steps
        cell = h3.latlng_to_cell(start[0] + f * (end[0] - start[0]), start[1] + f * (end[1] - start[1]), 9)
        if cell not in own:
            own[cell] = None
            candidates.update(h3.grid_disk(cell, k))
    found = dict(own)
    for cell in candidates:
        if cell not in found:
            centre = centres.get(cell) or centres.setdefault(cell, h3.cell_to_latlng(cell))
            if _project(start, end, centre)[0] <= corridor_m:
                found[cell] = None
    return list(found)


def corridor_km2(length_m: float, corridor_m: float) -> float:
    return (length_m * 2 * corridor_m + math.pi * corridor_m**2) / 1e6


def segments(points: Sequence[Point], corridor_m: float) -> list[Segment]:
    centres: dict[str, Point] = {}
    found: list[Segment] = []
    offset = 0.0
    for start, end in pairwise(points):
        length = geo.distance_m(*start, *end)
        found.append(Segment(start, end, length, offset, corridor(start, end, corridor_m, centres)))
        offset += length
    return found


def _departures(ctx: Context, by_hour: dict[int, float], at: datetime) -> list[dict[str, Any]]:
    """The next 24 departure hours from `at`, each with its 3-hour window's weight over the route's cells
    (`by_hour`: their stored decayed weight per hour of the week)."""
    hours: list[dict[str, Any]] = []
    for k in range(DEPARTURE_HOURS):
        when = at + timedelta(hours=k)
        hour = ctx.hour_of_week(when)
        weight = sum(by_hour.get(h, 0.0) for h in window(hour)) * ctx.factor
        hours.append({"departs_at": when, "hour_of_week": hour, "weight": weight})
    mean = sum(h["weight"] for h in hours) / len(hours)
    return [
        {
            "departs_at": iso_utc(h["departs_at"]),
            "local_time": h["departs_at"].astimezone(ctx.settings.zone).isoformat(timespec="minutes"),
            "hour_of_week": h["hour_of_week"],
            "weight": round(h["weight"], 4),
            "relative_risk": round(h["weight"] / mean, 4) if mean > 0 else 1.0,
        }
        for h in hours
    ]


def _hotspots(found: Area, parts: Sequence[Segment], reference: float) -> list[dict[str, Any]]:
    spots = []
    for cell, entry in found.cells.items():
        density = entry["weight"] / h3.cell_area(cell, unit="km^2")
        if entry["incidents"] <= 0 or density < HOTSPOT_RATIO * reference:
            continue
        centre = h3.cell_to_latlng(cell)
        distance, along = min(
            (d, s.offset_m + t) for s in parts if cell in s.cells for d, t in [_project(s.start, s.end, centre)]
        )
        categories: dict[str, int] = entry["categories"]
        spots.append(
            {
                "cell": cell,
                "distance_along_m": round(along, 1),
                "distance_from_route_m": round(distance, 1),
                "lat": round(centre[0], 7),
                "lon": round(centre[1], 7),
                "incidents": entry["incidents"],
                "top_category": max(sorted(categories), key=lambda c: categories[c]),
                "weight": round(entry["weight"], 4),
                "density_ratio": round(density / reference, 2),
            }
        )
    return sorted(spots, key=lambda s: s["distance_along_m"])


def route_safety(ctx: Context, points: Sequence[Point], corridor_m: float, at: datetime) -> dict[str, Any]:
    """GET /safety/route: every segment scored over its corridor, the route's length-weighted score."""
    parts = segments(points, corridor_m)
    every = list(dict.fromkeys(cell for s in parts for cell in s.cells))
    repository, tenant = ctx.repository, ctx.tenant_id
    found = area(ctx, every)
    with_incidents = list(found.cells)
    # One read of the hours of the week the departure windows need (the window of `at` is among them):
    # from the hour before `at` to the hour after the 24th, a range of the primary key per cell.
    first = (ctx.hour_of_week(at) - 1) % 168
    last = (ctx.hour_of_week(at + timedelta(hours=DEPARTURE_HOURS - 1)) + 1) % 168
    asked = set(window(ctx.hour_of_week(at)))
    by_hour: dict[int, float] = {}
    in_window: dict[str, float] = {}
    for row in repository.hours_from(tenant, with_incidents, first, last) if with_incidents else []:
        by_hour[row.hour_of_week] = by_hour.get(row.hour_of_week, 0.0) + row.decayed
        if row.hour_of_week in asked:
            in_window[row.cell] = in_window.get(row.cell, 0.0) + row.decayed * ctx.factor
    # Only cells with an incident in the last 7 days can add to `recent`.
    since = ctx.now - timedelta(days=scoring.RECENT_DAYS)
    lately = [cell for cell, entry in found.cells.items() if entry["last_at"] >= since]
    recent = repository.weight_since_by_cell(tenant, lately, since) if lately else {}
    total, parents = repository.totals(tenant)
    total_now, tenant_km2 = total * ctx.factor, parents * TENANT_CELL_KM2
    half_life = ctx.settings.half_life_days

    answers = []
    for index, part in enumerate(parts):
        mine = [found.cells[c] for c in part.cells if c in found.cells]
        km2 = corridor_km2(part.length_m, corridor_m)
        proof = scoring.Evidence(
            nearby=sum(c["weight"] for c in mine),
            same_hours=sum(in_window.get(c["cell"], 0.0) for c in mine),
            recent=sum(recent.get(c["cell"], 0.0) for c in mine),
            area_km2=km2,
        )
        result = scoring.score(proof, scoring.reference_density(total_now, tenant_km2, proof.nearby, km2), half_life)
        answers.append(
            {
                "index": index,
                "from": {"lat": part.start[0], "lon": part.start[1]},
                "to": {"lat": part.end[0], "lon": part.end[1]},
                "length_m": round(part.length_m, 1),
                "score": result.score,
                "level": result.level,
                "risk": result.risk,
                "incidents": sum(c["incidents"] for c in mine),
                "weight": round(proof.nearby, 4),
                "cells": len(part.cells),
            }
        )
    length = sum(p.length_m for p in parts)
    if length > 0:
        overall = round(sum(a["score"] * p.length_m for a, p in zip(answers, parts, strict=True)) / length)
    else:
        overall = round(sum(a["score"] for a in answers) / len(answers))
    worst = min(answers, key=lambda a: (a["score"], a["index"]))
    reference = scoring.reference_density(total_now, tenant_km2, found.weight_now, corridor_km2(length, corridor_m))
    departures = _departures(ctx, by_hour, at)
    return {
        "at": iso_utc(at),
        "local_time": at.astimezone(ctx.settings.zone).isoformat(timespec="minutes"),
        "timezone": ctx.settings.timezone,
        "points": len(points),
        "length_m": round(length, 1),
        "corridor_m": corridor_m,
        "score": overall,
        "level": scoring.level_of(overall),
        "worst_segment": {"index": worst["index"], "score": worst["score"], "level": worst["level"]},
        "reference_per_km2": round(reference, 4),
        "half_life_days": half_life,
        "segments": answers,
        "hotspots": _hotspots(found, parts, reference),
        "departure": {
            "safest": min(departures, key=lambda d: d["weight"]),
            "hours": departures,
        },
        "cells": [
            {"cell": c["cell"], "incidents": c["incidents"], "weight": round(c["weight"], 4)}
            for c in sorted(found.cells.values(), key=lambda c: c["weight"], reverse=True)[:EXPLAIN_CELLS]
        ],
        "incidents": {
            "total": found.incidents,
            "ids": service.heaviest(ctx, list(found.cells), EXPLAIN_IDS) if found.incidents else [],
        },
        "computed_at": iso_utc(ctx.now),
    }
