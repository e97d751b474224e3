"""HTTP routes of threat intelligence (`/safety/...`), mounted at /v1 and /v1/external; scope `intel:read`.

A query parameter out of range answers 400 naming it (the app renders these routes' validation errors so).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.clock import as_utc, utcnow
from incidenthub.intel import analytics, route, service
from incidenthub.intel.schemas import DangerAnalytics, RouteSafety, SafetyScore
from incidenthub.problems import responses
from incidenthub.runtime import read_session

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
        str | None, Query(description="ISO date (whole UTC day) or date-time; default 90 days before to_date")
    ] = None,
    to_date: Annotated[str | None, Query(description="ISO date (inclusive) or date-time; default now")] = None,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("intel:read")),
) -> DangerAnalytics:
    """Counts, time of day and week, trend, comparison, patterns and a 24-hour forecast for an area."""
    now = utcnow()
    since, until = analytics.period(from_date, to_date, now)
    ctx = service.Context.of(session, principal.tenant_id, now)
    return DangerAnalytics.model_validate(analytics.danger_analytics(ctx, lat, lon, radius_m, since, until))
