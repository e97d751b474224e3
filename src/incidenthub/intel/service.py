"""The threat-intelligence answers, computed from the tenant's safety sums. No web framework here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import h3
from sqlalchemy.orm import Session

from incidenthub.clock import iso_utc
from incidenthub.incidents.safety import SEVERITY_WEIGHTS, Settings
from incidenthub.intel import geo, scoring
from incidenthub.intel.repository import IntelRepository

EXPLAIN_IDS = 20  # incident ids an answer lists (with the total)
EXPLAIN_CELLS = 50  # cells an answer lists, heaviest first
TENANT_CELL_KM2 = h3.average_hexagon_area(7, unit="km^2")


@dataclass(frozen=True)
class Context:
    """One tenant's settings and one moment: what every answer of one request is computed against."""

    tenant_id: str
    settings: Settings
    now: datetime
    repository: IntelRepository

    @classmethod
    def of(cls, session: Session, tenant_id: str, now: datetime) -> Context:
        repository = IntelRepository(session)
        timezone, values = repository.tenant(tenant_id)
        return cls(tenant_id, Settings.of(timezone, values), now, repository)

    @property
    def factor(self) -> float:
        """Stored decayed sums times this are weights now."""
        return self.settings.now_factor(self.now)

    def hour_of_week(self, at: datetime) -> int:
        return self.settings.hour_of_week(at)

    def reference(self, nearby: float, area_km2: float) -> float:
        total, cells = self.repository.totals(self.tenant_id)
        return scoring.reference_density(total * self.factor, cells * TENANT_CELL_KM2, nearby, area_km2)


@dataclass
class Area:
    """The sums of a set of resolution-9 cells: per cell, and in all."""

    cells: dict[str, dict[str, Any]]
    incidents: int
    weight_now: float


def area(ctx: Context, cells: Sequence[str]) -> Area:
    """Read the sums of these cells (all categories), weights decayed to now."""
    per_cell: dict[str, dict[str, Any]] = {}
    for row in ctx.repository.cells(ctx.tenant_id, cells):
        entry = per_cell.setdefault(
            row.cell, {"cell": row.cell, "incidents": 0, "weight": 0.0, "categories": {}, "last_at": row.last_at}
        )
        entry["incidents"] += row.incidents
        entry["weight"] += row.decayed * ctx.factor
        entry["categories"][row.category] = entry["categories"].get(row.category, 0) + row.incidents
        entry["last_at"] = max(entry["last_at"], row.last_at)
    return Area(
        cells=per_cell,
        incidents=sum(c["incidents"] for c in per_cell.values()),
        weight_now=sum(c["weight"] for c in per_cell.values()),
    )


def window(hour_of_week: int) -> list[int]:
    """The hour of the week asked for and its neighbours (Sunday 23h neighbours Monday 0h)."""
    half = scoring.TIME_WINDOW_HOURS // 2
    return [(hour_of_week + offset) % 168 for offset in range(-half, half + 1)]


def evidence(ctx: Context, cells: Sequence[str], found: Area, at: datetime, area_km2: float) -> scoring.Evidence:
    hours = window(ctx.hour_of_week(at))
    same_hours = sum(row.decayed for row in ctx.repository.hours_from(ctx.tenant_id, cells, hours[0], hours[-1]))
    _, recent = ctx.repository.weight_since(ctx.tenant_id, cells, ctx.now - timedelta(days=scoring.RECENT_DAYS))
    return scoring.Evidence(
        nearby=found.weight_now, same_hours=same_hours * ctx.factor, recent=recent, area_km2=area_km2
    )


def explain(ctx: Context, found: Area) -> dict[str, Any]:
    """The cells (heaviest first, capped) and the incidents that weigh most in them (capped, with a total)."""
    ranked = sorted(found.cells.values(), key=lambda c: c["weight"], reverse=True)
    return {
        "cells": [
            {"cell": c["cell"], "incidents": c["incidents"], "weight": round(c["weight"], 4)}
            for c in ranked[:EXPLAIN_CELLS]
        ],
        "incidents": {
            "total": found.incidents,
            "ids": heaviest(ctx, [c["cell"] for c in ranked], EXPLAIN_IDS) if found.incidents else [],
        },
    }


def heaviest(ctx: Context, cells: Sequence[str], limit: int) -> list[str]:
    """The ids of the incidents of these cells that weigh most now, heaviest first, read from the recent ones
    first (the index on cell and time; a busy area holds thousands of older incidents): an incident older
    than `span` weighs at most the heaviest severity x 2^(-span / half-life) now, so once the `limit`-th
    heaviest recent one weighs that much no older one can displace it (else the span widens)."""
    top = max(SEVERITY_WEIGHTS.values())
    half_life = ctx.settings.half_life_days
    for spans in (1.0, 4.0, 16.0):
        rows = ctx.repository.heaviest_since(ctx.tenant_id, cells, limit, ctx.now - timedelta(days=spans * half_life))
        if len(rows) == limit:
            lightest = rows[-1][0] * ctx.factor
            if lightest >= top * 2.0 ** (-spans):
                return [row[2] for row in rows]
            if lightest > 0:  # the span that makes it certain
                span = timedelta(days=half_life * math.log2(top / lightest))
                return [row[2] for row in ctx.repository.heaviest_since(ctx.tenant_id, cells, limit, ctx.now - span)]
    return [row[2] for row in ctx.repository.heaviest_since(ctx.tenant_id, cells, limit)]


def safety_score(ctx: Context, lat: float, lon: float, radius_m: float, at: datetime) -> dict[str, Any]:
    """GET /safety/score: 0-100 (100 safest) for a place at a time, with the factors that made it."""
    cells = geo.cells_within(lat, lon, radius_m)
    found = area(ctx, cells)
    area_km2 = geo.circle_area_km2(radius_m)
    proof = evidence(ctx, cells, found, at, area_km2)
    reference = ctx.reference(found.weight_now, area_km2)
    result = scoring.score(proof, reference, ctx.settings.half_life_days)
    return {
        "location": {"type": "Point", "coordinates": [lon, lat]},
        "radius_m": radius_m,
        "at": iso_utc(at),
        "local_time": at.astimezone(ctx.settings.zone).isoformat(timespec="minutes"),
        "timezone": ctx.settings.timezone,
        "score": result.score,
        "level": result.level,
        "risk": result.risk,
        "reference_per_km2": round(reference, 4),
        "half_life_days": ctx.settings.half_life_days,
        "factors": [
            {"factor": f.name, "value": f.value, "weight": f.weight, "contribution": f.contribution}
            for f in result.factors
        ],
        **explain(ctx, found),
        "computed_at": iso_utc(ctx.now),
    }
