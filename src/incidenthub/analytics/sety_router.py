"""GET /v1/analytics/incidents (and /v1/external): Sety's IncidentAnalytics; scope `analytics:read` or
`incidents:read` (it counts the incidents the list shows)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from incidenthub.analytics import sety
from incidenthub.analytics.sety_schemas import IncidentAnalytics
from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.problems import responses
from incidenthub.query_times import DAY_OR_TIME_SCHEMA
from incidenthub.runtime import read_session

router = APIRouter(tags=["analytics"])

_BAD_DATE = {**responses(400)[400], "description": "from_date or to_date is not a date, or the period is reversed"}
_UNUSABLE_SLA = {**responses(409)[409], "description": "The tenant's SLA settings cannot be used"}
_DATE = "An ISO 8601 date (a whole UTC day) or date-time (UTC if no offset)"


@router.get(
    "/analytics/incidents",
    response_model=IncidentAnalytics,
    responses={**responses(401, 403), 400: _BAD_DATE, 409: _UNUSABLE_SLA},
    summary="Incident analytics (Sety's IncidentAnalytics)",
)
def incident_analytics(
    from_date: Annotated[
        str | None, Query(description=f"{_DATE}; default 30 days before to_date", json_schema_extra=DAY_OR_TIME_SCHEMA)
    ] = None,
    to_date: Annotated[
        str | None, Query(description=f"{_DATE}; default now", json_schema_extra=DAY_OR_TIME_SCHEMA)
    ] = None,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("analytics:read", "incidents:read")),
) -> IncidentAnalytics:
    """Counts by status, category, severity and source of the incidents created in the period; the mean and
    nearest-rank p90 of the time to assign, arrive and resolve; the SLA breaches at the request time."""
    return IncidentAnalytics.model_validate(sety.incident_analytics(session, principal.tenant_id, from_date, to_date))
