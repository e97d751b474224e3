"""HTTP routes of response-time analytics, mounted at /v1 and /v1/external; scope `analytics:read`
(or `incidents:read` for one incident's legs)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from incidenthub.analytics import service
from incidenthub.analytics.schemas import IncidentIntervals
from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.problems import responses
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
