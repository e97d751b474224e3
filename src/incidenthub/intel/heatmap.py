"""GET /safety/heatmap: the tenant's incidents on H3 cells of a bounding box, as a GeoJSON FeatureCollection.

Without a period the answer comes from the per-cell sums (`safety_cells`), grouped in SQL by the parent
column of the resolution asked for; with `from_date`/`to_date` it comes from the incidents of that period
(`safety_points`), grouped by resolution-9 cell in SQL and by parent here. Either way a resolution-9 cell
belongs to the map when its centre lies in the box, so both agree on counts for a period covering everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import h3

from incidenthub.clock import as_utc, iso_utc
from incidenthub.errors import AppError, FieldError
from incidenthub.incidents.schemas import CATEGORIES
from incidenthub.intel import geo, service
from incidenthub.intel.bbox import Box
from incidenthub.intel.service import EXPLAIN_IDS, Context

HOTTEST = 20  # cells listed in the explanation; the incident ids come from the 10 hottest
TOP_CATEGORIES = 3
EDGE_MARGIN_M = 250.0  # a point lies within a resolution-9 cell's edge length (~175 m) of the cell's centre
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$"
_DATE = re.compile(DATE_PATTERN)


@dataclass(frozen=True)
class Period:
    since: datetime  # inclusive
    until: datetime  # exclusive

    def as_dict(self) -> dict[str, str | None]:
        return {"from": iso_utc(self.since), "to": iso_utc(self.until)}


def _moment(value: str, param: str, end: bool) -> datetime:
    """A date (the whole UTC day; `end`: up to its last instant) or a date-time (no offset: UTC)."""
    message = "must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T18:00:00Z)"
    if not _DATE.match(value):
        raise AppError(f"{param}: {message}", [FieldError(param, message)])
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1) if end else day, time(), UTC)
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise AppError(f"{param}: {message}", [FieldError(param, message)]) from None
    moment = as_utc(moment) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return moment + timedelta(microseconds=1) if end else moment


def period_of(from_date: str | None, to_date: str | None, now: datetime) -> Period | None:
    """The period asked for (None when neither end is given); to_date is inclusive, a missing end is open."""
    if from_date is None and to_date is None:
        return None
    since = _moment(from_date, "from_date", end=False) if from_date else datetime(1900, 1, 1, tzinfo=UTC)
    until = _moment(to_date, "to_date", end=True) if to_date else now + timedelta(microseconds=1)
    if since >= until:
        message = "must be before to_date"
        raise AppError(f"from_date: {message}", [FieldError("from_date", message)])
    return Period(since, until)


@dataclass
class HeatCell:
    cell: str
    incidents: int = 0
    decayed: float = 0.0
    categories: dict[str, int] | None = None

    def add(self, category: str, incidents: int, decayed: float) -> None:
        self.incidents += incidents
        self.decayed += decayed
        self.categories = self.categories or {}
        self.categories[category] = self.categories.get(category, 0) + incidents


def _summed(rows: Iterable[tuple[str, str, int, float]]) -> dict[str, HeatCell]:
    cells: dict[str, HeatCell] = {}
    for cell, category, incidents, decayed in rows:
        if incidents:
            cells.setdefault(cell, HeatCell(cell)).add(category, int(incidents), float(decayed or 0.0))
    return cells


def top_categories(categories: dict[str, int], limit: int = TOP_CATEGORIES) -> list[dict[str, Any]]:
    ranked = sorted(((-count, name) for name, count in categories.items() if count > 0))
    return [{"category": name, "incidents": -negative} for negative, name in ranked[:limit]]


def heatmap(ctx: Context, box: Box, resolution: int, category: str | None, period: Period | None) -> dict[str, Any]:
    """The answer of GET /safety/heatmap (JSON form; `render.heatmap_png` draws it)."""
    box.check_cells(resolution)
    repository, tenant_id = ctx.repository, ctx.tenant_id
    base: dict[str, list[str]] = {}  # map cell -> its resolution-9 cells with incidents (dated answers only)
    if period is None:
        cells = {}
        for row in repository.grouped(tenant_id, resolution, box, category):
            if row.incidents:  # (cell, incidents, decayed, then the incidents of each category)
                categories = {name: int(n) for name, n in zip(CATEGORIES, row[3:], strict=True) if n}
                cells[row.cell] = HeatCell(row.cell, int(row.incidents), float(row.decayed or 0.0), categories)
    else:
        kept = []
        for r in repository.points_grouped(tenant_id, box.grown(EDGE_MARGIN_M), period.since, period.until, category):
            if box.holds(*h3.cell_to_latlng(r.cell)):
                parent = r.cell if resolution == 9 else h3.cell_to_parent(r.cell, resolution)
                base.setdefault(parent, []).append(r.cell)
                kept.append((parent, r.category, r.incidents, r.decayed))
        cells = _summed(kept)
    factor = ctx.factor
    ranked = sorted(cells.values(), key=lambda c: (-c.decayed, c.cell))
    heaviest = ranked[0].decayed * factor if ranked else 0.0
    features = [
        {
            "type": "Feature",
            "id": c.cell,
            "geometry": {"type": "Polygon", "coordinates": [geo.ring(c.cell)]},
            "properties": {
                "cell": c.cell,
                "count": c.incidents,
                "weight": round(c.decayed * factor, 4),
                "intensity": round(c.decayed * factor / heaviest, 4) if heaviest > 0 else 0.0,
                "top_categories": top_categories(c.categories or {}),
            },
        }
        for c in ranked
    ]
    hottest = [c.cell for c in ranked[:10]]
    if period is not None:
        sources = [child for cell in hottest for child in base.get(cell, [])]
    elif resolution >= 7:  # at most 49 resolution-9 children each: named by H3, not searched for
        sources = [
            child
            for cell in hottest
            for child in (h3.cell_to_children(cell, 9) if resolution < 9 else [cell])
            if box.holds(*h3.cell_to_latlng(child))
        ]
    else:
        sources = repository.children(tenant_id, resolution, hottest, box) if hottest else []
    total = sum(c.incidents for c in ranked)
    if not sources:
        ids: list[str] = []
    elif period is None and category is None:
        ids = service.heaviest(ctx, sources, EXPLAIN_IDS)
    else:
        since, until = (period.since, period.until) if period else (None, None)
        ids = repository.heaviest_between(tenant_id, sources, EXPLAIN_IDS, since, until, category)
    return {
        "type": "FeatureCollection",
        "features": features,
        "resolution": resolution,
        "bbox": box.as_list(),
        "category": category,
        "period": period.as_dict() if period else {"from": None, "to": None},
        "generated_at": iso_utc(ctx.now),
        "half_life_days": ctx.settings.half_life_days,
        "timezone": ctx.settings.timezone,
        "totals": {
            "cells": len(ranked),
            "incidents": total,
            "weight": round(sum(c.decayed for c in ranked) * factor, 4),
        },
        "cells": [
            {"cell": c.cell, "incidents": c.incidents, "weight": round(c.decayed * factor, 4)} for c in ranked[:HOTTEST]
        ],
        "incidents": {"total": total, "ids": ids},
    }
