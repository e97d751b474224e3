"""GET /safety/danger-zones: connected groups of hot resolution-8 cells, heaviest first.

A cell is hot when its weighted density (decayed weight now / its area) is at least twice the tenant's
reference density (`scoring.reference_density` over the whole tenant: its decayed weight per km² of the
resolution-7 cells where it has incidents, floored at 1). Hot cells that touch (H3 neighbours) form one
zone. A zone's `score` is its danger, 0-100: `round(100 x (1 - 2 ** -risk))` with `risk` the zone's
weighted density over the reference, i.e. 100 minus the safety score its density alone would get (a zone
of twice the average scores 75).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import h3

from incidenthub.clock import iso_utc
from incidenthub.incidents.schemas import CATEGORIES
from incidenthub.intel import geo, service
from incidenthub.intel.bbox import Box
from incidenthub.intel.heatmap import top_categories
from incidenthub.intel.service import EXPLAIN_IDS, Context

ZONE_RESOLUTION = 8
HOT_FACTOR = 2.0
PARENT_REACH_M = 1_000.0  # a resolution-9 cell's centre lies within ~530 m of its resolution-8 parent's
# Below any resolution-8 cell's area (about 0.37 km² for the pentagons up to 0.9 km²; the mean is 0.74).
SMALLEST_CELL_KM2 = 0.25
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PEAK_HOURS = 3


@dataclass
class ZoneCell:
    cell: str
    incidents: int = 0
    decayed: float = 0.0
    last_at: datetime | None = None
    categories: dict[str, int] = field(default_factory=dict)


def tenant_reference(ctx: Context) -> float:
    """The tenant's weighted incidents per km² (floored), as the score's reference with no circle left out."""
    return ctx.reference(0.0, 0.0)


def resolution8_cells(
    ctx: Context, lat: float | None, lon: float | None, radius_m: float, min_density: float | None = None
) -> dict[str, ZoneCell]:
    """The tenant's resolution-8 cells with incidents (within `radius_m` of the point when given, by centre);
    with `min_density`, the database leaves out those that cannot reach it (the exact test is the caller's)."""
    box = None if lat is None or lon is None else Box.around(lat, lon, radius_m + PARENT_REACH_M)
    floor = None if min_density is None else min_density * SMALLEST_CELL_KM2 / ctx.factor
    cells: dict[str, ZoneCell] = {}
    for row in ctx.repository.grouped(ctx.tenant_id, ZONE_RESOLUTION, box, last_at=True, min_decayed=floor):
        if not row.incidents:
            continue
        if lat is not None and lon is not None and geo.distance_m(lat, lon, *h3.cell_to_latlng(row.cell)) > radius_m:
            continue
        categories = {name: int(getattr(row, f"c_{name}")) for name in CATEGORIES}
        cells[row.cell] = ZoneCell(row.cell, int(row.incidents), float(row.decayed), row.last_at, categories)
    return cells


def density(ctx: Context, cell: str, decayed: float) -> float:
    return decayed * ctx.factor / float(h3.cell_area(cell, unit="km^2"))


def _groups(hot: set[str]) -> list[list[str]]:
    """The connected groups of these cells (neighbours by an edge), each sorted."""
    left, groups = set(hot), []
    while left:
        start = left.pop()
        group, todo = [start], [start]
        while todo:
            for neighbour in h3.grid_disk(todo.pop(), 1):
                if neighbour in left:
                    left.remove(neighbour)
                    group.append(neighbour)
                    todo.append(neighbour)
        groups.append(sorted(group))
    return groups


def _peaks(ctx: Context, children: list[str]) -> dict[str, Any]:
    by_hour: dict[int, list[float]] = {}
    for row in ctx.repository.hours(ctx.tenant_id, children):
        entry = by_hour.setdefault(int(row.hour_of_week), [0, 0.0])
        entry[0] += int(row.incidents)
        entry[1] += float(row.decayed) * ctx.factor
    ranked = sorted(by_hour.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))
    of_day: dict[int, int] = {}
    of_week: dict[int, int] = {}
    for hour_of_week, (incidents, _) in by_hour.items():
        of_day[hour_of_week % 24] = of_day.get(hour_of_week % 24, 0) + int(incidents)
        of_week[hour_of_week // 24] = of_week.get(hour_of_week // 24, 0) + int(incidents)
    best_hour = min(of_day.items(), key=lambda item: (-item[1], item[0]), default=None)
    best_day = min(of_week.items(), key=lambda item: (-item[1], item[0]), default=None)
    return {
        "peak_hours": [
            {
                "hour_of_week": how,
                "weekday": WEEKDAYS[how // 24],
                "hour": how % 24,
                "incidents": int(values[0]),
                "weight": round(values[1], 4),
            }
            for how, values in ranked[:PEAK_HOURS]
        ],
        "peak_hour_of_day": None if best_hour is None else {"hour": best_hour[0], "incidents": best_hour[1]},
        "peak_weekday": None if best_day is None else {"weekday": WEEKDAYS[best_day[0]], "incidents": best_day[1]},
    }


def danger_zones(
    ctx: Context,
    lat: float | None,
    lon: float | None,
    radius_m: float,
    min_incidents: int,
    page: int,
    limit: int,
) -> dict[str, Any]:
    """A page of the danger zones (heaviest risk first) around a point, or over the tenant's whole area."""
    reference = tenant_reference(ctx)
    cells = resolution8_cells(ctx, lat, lon, radius_m, HOT_FACTOR * reference)
    hot = {c for c, e in cells.items() if density(ctx, c, e.decayed) >= HOT_FACTOR * reference}
    zones: list[dict[str, Any]] = []
    for group in _groups(hot):
        members = [cells[c] for c in group]
        incidents = sum(m.incidents for m in members)
        if incidents < min_incidents:
            continue
        decayed = sum(m.decayed for m in members)
        area_km2 = sum(h3.cell_area(c, unit="km^2") for c in group)
        risk = decayed * ctx.factor / area_km2 / reference
        heaviest = min(members, key=lambda m: (-m.decayed, m.cell))
        categories: dict[str, int] = {}
        for m in members:
            for name, count in m.categories.items():
                categories[name] = categories.get(name, 0) + count
        centre = geo.centroid([(*h3.cell_to_latlng(m.cell), m.decayed) for m in members])
        zones.append(
            {
                "zone_id": f"zone_{heaviest.cell}",
                "polygon": geo.polygon(group),
                "centroid": {"type": "Point", "coordinates": [round(centre[1], 7), round(centre[0], 7)]},
                "score": round(100 * (1 - 2.0 ** (-risk))),
                "risk": round(risk, 4),
                "area_km2": round(area_km2, 4),
                "incident_count": incidents,
                "weight": round(decayed * ctx.factor, 4),
                "top_categories": top_categories(categories),
                "last_incident_at": iso_utc(max(m.last_at for m in members if m.last_at is not None)),
                "cells": [
                    {"cell": m.cell, "incidents": m.incidents, "weight": round(m.decayed * ctx.factor, 4)}
                    for m in sorted(members, key=lambda m: (-m.decayed, m.cell))
                ],
            }
        )
    zones.sort(key=lambda z: (-z["risk"], -z["weight"], z["zone_id"]))
    shown = zones[(page - 1) * limit : page * limit]
    for zone in shown:
        children = [child for c in zone["cells"] for child in h3.cell_to_children(c["cell"], 9)]
        zone.update(_peaks(ctx, children))
        ids = service.heaviest(ctx, children, EXPLAIN_IDS) if children else []
        zone["incidents"] = {"total": zone["incident_count"], "ids": ids}
        zone["reference_per_km2"] = round(reference, 4)
    return {"data": shown, "page": page, "limit": limit, "total": len(zones), "has_more": page * limit < len(zones)}
