"""Safe places (police stations, hospitals, fire stations, security posts) and GET /safety/safe-zones.

Opening hours are `"24/7"` or `{"mon": [["08:00", "18:00"]], ...}` in the tenant's timezone: a range whose
end is before its start runs past midnight into the next day (`["22:00", "06:00"]`), one whose end equals
its start lasts the whole day, a day not listed is closed; places without hours have `open_now: null`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import h3
from sqlalchemy.orm import Session

from incidenthub.clock import iso_utc
from incidenthub.errors import NotFound
from incidenthub.intel import geo
from incidenthub.intel.bbox import Box
from incidenthub.intel.repository import IntelRepository
from incidenthub.intel.schemas import DAYS, PlaceCreate, PlacePage, PlaceRead
from incidenthub.intel.service import Context
from incidenthub.intel.zones import ZONE_RESOLUTION, density, resolution8_cells, tenant_reference
from incidenthub.models import SafePlace

LOW_FACTOR = 0.5  # a low-risk cell: at most half the tenant's reference density
LOW_RISK_CELLS = 10
PLACES_SHOWN = 50


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def open_at(hours: Any, local: datetime) -> bool | None:
    """Whether a place with these opening hours is open at this local time (None: hours unknown)."""
    if hours is None:
        return None
    if hours == "24/7":
        return True
    now = local.hour * 60 + local.minute
    today, yesterday = DAYS[local.weekday()], DAYS[(local.weekday() - 1) % 7]
    for start_text, end_text in hours.get(today) or []:
        start, end = _minutes(start_text), _minutes(end_text)
        if start == end or (start < end and start <= now < end) or (end < start and now >= start):
            return True
    for start_text, end_text in hours.get(yesterday) or []:
        start, end = _minutes(start_text), _minutes(end_text)
        if end < start and now < end:
            return True
    return False


# Places (writes run in the write path's transaction; nothing here commits)


def place_read(place: SafePlace) -> PlaceRead:
    return PlaceRead.model_validate(
        {
            "place_id": place.id,
            "name": place.name,
            "type": place.type,
            "location": {
                "type": "Point",
                "coordinates": [place.longitude, place.latitude],
                "address": place.address,
            },
            "phone": place.phone,
            "opening_hours": place.opening_hours,
            "metadata": place.extra_metadata or {},
            "created_at": place.created_at,
        }
    )


def create_place(session: Session, tenant_id: str, body: PlaceCreate, now: datetime) -> PlaceRead:
    hours = body.opening_hours
    place = SafePlace(
        tenant_id=tenant_id,
        name=body.name,
        type=body.type,
        longitude=body.location.coordinates[0],
        latitude=body.location.coordinates[1],
        address=body.location.address,
        phone=body.phone,
        opening_hours=hours,
        extra_metadata=dict(body.metadata),
        created_at=now,
    )
    IntelRepository(session).add_place(place)
    return place_read(place)


def place_or_404(session: Session, tenant_id: str, place_id: str) -> SafePlace:
    place = IntelRepository(session).place(tenant_id, place_id)
    if place is None:
        raise NotFound(f"Safe place {place_id} not found")
    return place


def delete_place(session: Session, tenant_id: str, place_id: str) -> None:
    IntelRepository(session).delete_place(place_or_404(session, tenant_id, place_id))


def list_places(session: Session, tenant_id: str, page: int, limit: int, type_: str | None) -> PlacePage:
    rows, total = IntelRepository(session).places(tenant_id, (page - 1) * limit, limit, type_)
    return PlacePage(
        data=[place_read(r) for r in rows], page=page, limit=limit, total=total, has_more=page * limit < total
    )


# Safe zones


def _where(lat: float, lon: float, to_lat: float, to_lon: float) -> dict[str, float]:
    return {
        "distance_m": round(geo.distance_m(lat, lon, to_lat, to_lon), 1),
        # 359.96 rounds to 360.0, which is north again: 0.0 (found by make fuzz: a 500 at lat=0, lon=-160).
        "bearing_deg": round(geo.bearing_deg(lat, lon, to_lat, to_lon), 1) % 360.0,
    }


def safe_zones(ctx: Context, lat: float, lon: float, radius_m: float) -> dict[str, Any]:
    """Registered safe places within the radius (nearest first) and the nearest low-risk resolution-8 cells."""
    local = ctx.now.astimezone(ctx.settings.zone)
    places = []
    for place in ctx.repository.places_in(ctx.tenant_id, Box.around(lat, lon, radius_m)):
        where = _where(lat, lon, place.latitude, place.longitude)
        if where["distance_m"] <= radius_m:
            places.append(
                {
                    **place_read(place).model_dump(mode="json"),
                    **where,
                    "open_now": open_at(place.opening_hours, local),
                }
            )
    places.sort(key=lambda p: (p["distance_m"], p["place_id"]))
    reference = tenant_reference(ctx)
    known = resolution8_cells(ctx, lat, lon, radius_m)
    low = []
    for cell in geo.cells_within(lat, lon, radius_m, ZONE_RESOLUTION):
        found = known.get(cell)
        decayed = found.decayed if found else 0.0
        if density(ctx, cell, decayed) <= LOW_FACTOR * reference:
            c_lat, c_lon = h3.cell_to_latlng(cell)
            low.append(
                {
                    "cell": cell,
                    "centre": {"type": "Point", "coordinates": [round(c_lon, 7), round(c_lat, 7)]},
                    **_where(lat, lon, c_lat, c_lon),
                    "incidents": found.incidents if found else 0,
                    "weight": round(decayed * ctx.factor, 4),
                }
            )
    low.sort(key=lambda c: (c["distance_m"], c["cell"]))
    return {
        "location": {"type": "Point", "coordinates": [lon, lat]},
        "radius_m": radius_m,
        "timezone": ctx.settings.timezone,
        "local_time": local.isoformat(timespec="minutes"),
        "places": places[:PLACES_SHOWN],
        "places_total": len(places),
        "low_risk_cells": low[:LOW_RISK_CELLS],
        "low_risk_resolution": ZONE_RESOLUTION,
        "low_risk_max_per_km2": round(LOW_FACTOR * reference, 4),
        "reference_per_km2": round(reference, 4),
        "computed_at": iso_utc(ctx.now),
    }
