"""HTTP routes of threat intelligence (`/safety/...`), mounted at /v1 and /v1/external; scope `intel:read`.

A query parameter out of range answers 400 naming it (the app renders these routes' validation errors so).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.clock import as_utc, utcnow
from incidenthub.errors import AppError, FieldError
from incidenthub.intel import analytics, heatmap, places, render, route, service, zones
from incidenthub.intel.bbox import Box
from incidenthub.intel.schemas import (
    Category,
    DangerAnalytics,
    DangerZonePage,
    HeatmapResponse,
    PlaceCreate,
    PlacePage,
    PlaceRead,
    PlaceType,
    RouteSafety,
    SafetyScore,
    SafeZones,
)
from incidenthub.problems import responses
from incidenthub.query_times import DAY_OR_TIME_SCHEMA
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(tags=["threat intelligence"])

_READ = responses(400, 401, 403)
Lat = Annotated[float, Query(ge=-90, le=90, description="Latitude, WGS 84")]
Lon = Annotated[float, Query(ge=-180, le=180, description="Longitude, WGS 84")]
At = Annotated[
    datetime | None,
    Query(description="ISO 8601 time with an offset; its local hour of the week is scored (default now)"),
]


def _at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    return as_utc(value) if value.tzinfo is not None else as_utc(value.replace(tzinfo=now.tzinfo))


@router.get("/safety/score", response_model=SafetyScore, responses=_READ, summary="Safety score")
def safety_score(
    lat: Lat,
    lon: Lon,
    radius_m: Annotated[float, Query(ge=100, le=5000, description="Metres around the point")] = 500,
    at: At = None,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("intel:read")),
) -> SafetyScore:
    """Real-time safety score (0-100) for a location based on recent incident history."""
    now = utcnow()
    ctx = service.Context.of(session, principal.tenant_id, now)
    return SafetyScore.model_validate(service.safety_score(ctx, lat, lon, radius_m, _at(at, now)))


# --- heat map, danger zones, safe zones, places (h/intel-map) ----------------------------------------------

_PNG: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The heat map: GeoJSON (format=json) or a 1000 x 800 PNG picture (format=png)",
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
    }
}
OptionalLat = Annotated[float | None, Query(ge=-90, le=90, description="Latitude, WGS 84 (with lon)")]
OptionalLon = Annotated[float | None, Query(ge=-180, le=180, description="Longitude, WGS 84 (with lat)")]
Page = Annotated[int, Query(ge=1, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=100)]
DateOrTime = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=heatmap.DATE_PATTERN,
        description="ISO 8601 date (the whole UTC day) or date-time (no offset: UTC)",
        json_schema_extra=DAY_OR_TIME_SCHEMA,
    ),
]


def _both(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        missing = "lat" if lat is None else "lon"
        message = "is required with " + ("lon" if missing == "lat" else "lat")
        raise AppError(f"{missing}: {message}", [FieldError(missing, message)])


@router.get(
    "/safety/heatmap",
    response_model=HeatmapResponse,
    responses={**_READ, **_PNG},
    summary="Heat map of incidents on H3 cells",
)
def safety_heatmap(
    bbox: Annotated[
        str,
        Query(
            max_length=200,
            pattern=r"^[-+0-9.eE]+,[-+0-9.eE]+,[-+0-9.eE]+,[-+0-9.eE]+$",
            description="min_lon,min_lat,max_lon,max_lat (GeoJSON order); each side at most 2 degrees",
        ),
    ],
    resolution: Annotated[int, Query(ge=5, le=9, description="H3 resolution of the cells")] = 8,
    from_date: DateOrTime = None,
    to_date: DateOrTime = None,
    category: Annotated[Category | None, Query(description="Only this category")] = None,
    format: Annotated[Literal["json", "png"], Query(description="GeoJSON, or a picture")] = "json",
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("intel:read")),
) -> Any:
    """The tenant's incidents in a bounding box on H3 cells: count, decayed weight, top categories per cell."""
    box = Box.parse(bbox)
    now = utcnow()
    window = heatmap.period_of(from_date, to_date, now)
    ctx = service.Context.of(session, principal.tenant_id, now)
    answer = heatmap.heatmap(ctx, box, resolution, category, window)
    if format == "png":
        return Response(render.heatmap_png(answer), media_type="image/png")
    # Thousands of cells: the answer is already in the documented shape (tests/intel/test_heatmap.py checks it
    # against HeatmapResponse), so it is encoded once instead of validated and converted twice.
    return Response(orjson.dumps(answer), media_type="application/json")


@router.get(
    "/safety/danger-zones", response_model=DangerZonePage, responses=_READ, summary="Danger zones (hot cell groups)"
)
def danger_zones(
    lat: OptionalLat = None,
    lon: OptionalLon = None,
    radius_m: Annotated[float, Query(ge=500, le=50_000, description="Metres around the point")] = 5000,
    min_incidents: Annotated[int, Query(ge=1, le=1_000_000, description="Smallest zone shown")] = 3,
    page: Page = 1,
    limit: Limit = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("intel:read")),
) -> DangerZonePage:
    """Connected groups of hot resolution-8 cells around a point (or the tenant's whole area), most dangerous first."""
    _both(lat, lon)
    ctx = service.Context.of(session, principal.tenant_id, utcnow())
    return DangerZonePage.model_validate(zones.danger_zones(ctx, lat, lon, radius_m, min_incidents, page, limit))


@router.get("/safety/safe-zones", response_model=SafeZones, responses=_READ, summary="Safe places and low-risk cells")
def safe_zones(
    lat: Lat,
    lon: Lon,
    radius_m: Annotated[float, Query(ge=100, le=20_000, description="Metres around the point")] = 2000,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("intel:read")),
) -> SafeZones:
    """Registered safe places within the radius, and the nearest low-risk cells, with distance and bearing."""
    ctx = service.Context.of(session, principal.tenant_id, utcnow())
    return SafeZones.model_validate(places.safe_zones(ctx, lat, lon, radius_m))


# Safe places: their own router, mounted with the native API's errors (a bad body is 422 naming the field).
places_router = APIRouter(tags=["threat intelligence"])


@places_router.post(
    "/safety/places",
    status_code=201,
    response_model=PlaceRead,
    responses=responses(400, 401, 403, 413, 415, 422),
    summary="Register a safe place",
)
async def create_place(
    body: PlaceCreate, request: Request, principal: Principal = Depends(require("intel:write"))
) -> PlaceRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: places.create_place(session, tenant_id, body, utcnow()))


@places_router.get(
    "/safety/places", response_model=PlacePage, responses=responses(401, 403, 422), summary="List safe places"
)
def list_places(
    type: Annotated[PlaceType | None, Query(description="Only this type")] = None,
    page: Page = 1,
    limit: Limit = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("intel:read")),
) -> PlacePage:
    return places.list_places(session, principal.tenant_id, page, limit, type)


@places_router.get(
    "/safety/places/{place_id}", response_model=PlaceRead, responses=responses(401, 403, 404), summary="Get safe place"
)
def get_place(
    place_id: str, session: Session = Depends(read_session), principal: Principal = Depends(require("intel:read"))
) -> PlaceRead:
    return places.place_read(places.place_or_404(session, principal.tenant_id, place_id))


@places_router.delete(
    "/safety/places/{place_id}", status_code=204, responses=responses(401, 403, 404), summary="Delete safe place"
)
async def delete_place(
    place_id: str, request: Request, principal: Principal = Depends(require("intel:write"))
) -> Response:
    tenant_id = principal.tenant_id
    await runtime_of(request).writes.run(lambda session: places.delete_place(session, tenant_id, place_id))
    return Response(status_code=204)


# --- route safety and danger analytics ----------------------------------------------------------------------


@router.get("/safety/route", response_model=RouteSafety, responses=_READ, summary="Route safety")
def route_safety(
    waypoints: Annotated[
        str | None, Query(description="`lat,lon;lat,lon;...`, 2 to 100 points (or give `polyline`)")
    ] = None,
    polyline: Annotated[
        str | None, Query(description="Google encoded polyline (precision 5), 2 to 100 points (or `waypoints`)")
    ] = None,
    corridor_m: Annotated[float, Query(ge=50, le=1000, description="Metres either side of the route")] = 200,
    at: At = None,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("intel:read")),
) -> RouteSafety:
    """The safety of a route: overall and per segment, hotspots along it, the safest departure hour."""
    points, _ = route.route_points(waypoints, polyline)
    now = utcnow()
    ctx = service.Context.of(session, principal.tenant_id, now)
    return RouteSafety.model_validate(route.route_safety(ctx, points, corridor_m, _at(at, now)))


@router.get("/safety/danger-analytics", response_model=DangerAnalytics, responses=_READ, summary="Danger analytics")
def danger_analytics(
    lat: Lat,
    lon: Lon,
    radius_m: Annotated[float, Query(ge=100, le=10000, description="Metres around the point")] = 1000,
    from_date: Annotated[
        str | None,
        Query(
            description="ISO date (whole UTC day) or date-time; default 90 days before to_date",
            json_schema_extra=DAY_OR_TIME_SCHEMA,
        ),
    ] = None,
    to_date: Annotated[
        str | None,
        Query(description="ISO date (inclusive) or date-time; default now", json_schema_extra=DAY_OR_TIME_SCHEMA),
    ] = None,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("intel:read")),
) -> DangerAnalytics:
    """Counts, time of day and week, trend, comparison, patterns and a 24-hour forecast for an area."""
    now = utcnow()
    since, until = analytics.period(from_date, to_date, now)
    ctx = service.Context.of(session, principal.tenant_id, now)
    return DangerAnalytics.model_validate(analytics.danger_analytics(ctx, lat, lon, radius_m, since, until))
