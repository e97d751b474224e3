"""HTTP routes of response-time analytics, mounted at /v1 and /v1/external; scope `analytics:read`
(or `incidents:read` for one incident's legs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from incidenthub.analytics import answers, charts, report, service
from incidenthub.analytics.legs import GroupBy
from incidenthub.analytics.period import DATE_PATTERN
from incidenthub.analytics.schemas import Compliance, IncidentIntervals, IntervalFigures
from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.clock import utcnow
from incidenthub.errors import FieldError, NotFound
from incidenthub.problems import responses
from incidenthub.query_times import DAY_OR_TIME_SCHEMA
from incidenthub.runtime import read_session

router = APIRouter(tags=["analytics"])

_UNUSABLE_SETTINGS = {
    **responses(409)[409],
    "description": "The tenant's analytics settings cannot be used (`errors` names the member)",
}


@router.get(
    "/incidents/{incident_id}/intervals",
    response_model=IncidentIntervals,
    responses={**responses(401, 403, 404), 409: _UNUSABLE_SETTINGS},
    summary="Response-time intervals of one incident",
)
def incident_intervals(
    incident_id: str,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("analytics:read", "incidents:read")),
) -> IncidentIntervals:
    """The legs of the incident (call answer, call processing, queue, total, call duration) and of each unit
    (turnout, travel, response, on scene), each with the two stored times it came from and the standards that
    judge it; negative legs (clock skew) are null and listed under `data_quality`."""
    return IncidentIntervals.model_validate(service.incident_intervals(session, principal.tenant_id, incident_id))


# --- answers over a period: a bad parameter is 400 naming it (the app renders these routes' errors so) -------

DateOrTime = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=DATE_PATTERN,
        json_schema_extra=DAY_OR_TIME_SCHEMA,
        description="ISO 8601 date (a whole day in the tenant's time zone) or date-time (no offset: the tenant's "
        "local time); to_date is inclusive. Default: the 365 days up to now",
    ),
]
_PERIOD = {**responses(400, 401, 403), 409: _UNUSABLE_SETTINGS}


@router.get(
    "/analytics/intervals",
    response_model=IntervalFigures,
    responses=_PERIOD,
    summary="Response-time figures per group and leg over a period",
)
def interval_figures(
    from_date: DateOrTime = None,
    to_date: DateOrTime = None,
    group_by: Annotated[GroupBy | None, Query(description="Group the incidents by this (default: one group)")] = None,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("analytics:read")),
) -> IntervalFigures:
    """Per group and per leg: count, p50, p90 (nearest rank), mean, missing legs, data-quality issues (negative
    legs, left out), and the share within each target of every standard that judges the leg. `hour` and
    `weekday` are the call's local hour and weekday in the tenant's time zone; `unit` groups the unit legs only."""
    answer = answers.intervals_answer(session, principal.tenant_id, group_by, from_date, to_date, utcnow())
    return IntervalFigures.model_validate(answer)


@router.get(
    "/analytics/compliance",
    response_model=Compliance,
    responses=_PERIOD,
    summary="Pass or fail of one standard over a period, its worst groups and the legs that missed",
)
def compliance(
    standard: Annotated[str, Query(max_length=64, description="A standard's id (see the tenant's standards)")],
    from_date: DateOrTime = None,
    to_date: DateOrTime = None,
    group_by: Annotated[
        GroupBy | None, Query(description="Rank the worst groups by this (default: by the standard's leg)")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("analytics:read")),
) -> Compliance:
    """Each target of the standard: legs judged, share within, passed; the five groups with the lowest share
    within; and the legs over the strictest threshold, longest first, with the stored times they came from."""
    answer = answers.compliance_answer(
        session, principal.tenant_id, standard, group_by, (from_date, to_date), page, limit, utcnow()
    )
    return Compliance.model_validate(answer)


_CHART: dict[int | str, dict[str, Any]] = {
    200: {
        "description": f"The chart, a {charts.WIDTH_PX} x {charts.HEIGHT_PX} PNG picture",
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/analytics/charts/{name}.png",
    response_class=Response,
    responses={**_CHART, **_PERIOD, **responses(404)},
    summary="A chart of the compliance report, as a PNG",
)
def chart(
    name: Annotated[str, Path(max_length=64, description=f"One of {', '.join(charts.CHARTS)}")],
    from_date: DateOrTime = None,
    to_date: DateOrTime = None,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("analytics:read")),
) -> Response:
    """`answer-times`: the distribution of call answer times (1 s bars up to 60 s, then one bar) with lines at
    15 s and 20 s labelled with the share within each; `p90-by-hour`: p90 of call answer and call processing by
    the call's local hour; `call-takers`: per call taker p90 answer time and share within 15 s, worst first (25
    at most). The same figures as `/v1/analytics/intervals` over the same period."""
    if name not in charts.CHARTS:
        message = f"no chart {name!r}; the charts are {', '.join(charts.CHARTS)}"
        raise NotFound(message, [FieldError("name", message)])
    data = report.gather(session, principal.tenant_id, from_date, to_date, utcnow(), parts=(name,))
    return Response(charts.png(name, data), media_type="image/png")
