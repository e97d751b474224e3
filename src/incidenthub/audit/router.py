"""GET /v1/audit: the tenant's audit trail (scope keys:manage)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from incidenthub.audit import service
from incidenthub.audit.repository import AuditFilter
from incidenthub.audit.schemas import AuditPage
from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.problems import responses
from incidenthub.query_times import QueryTime, query_utc
from incidenthub.runtime import read_session

router = APIRouter(tags=["audit"])


@router.get(
    "/audit",
    response_model=AuditPage,
    responses=responses(400, 401, 403, 422),
    summary="List audit entries",
    description=(
        "Every write through every door, newest first: the API key (id and name, never the secret), when (UTC), "
        "the door, the client's address, and what changed (the incident or record id, the timeline event kinds "
        "and the names of the fields changed, never their values). A write that is refused leaves no entry."
    ),
)
def list_audit(
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("keys:manage")),
    key_id: Annotated[str | None, Query(max_length=64, description="only writes by this API key")] = None,
    door: Annotated[str | None, Query(max_length=32, description="native, govworx, sonoran, devrev or eido")] = None,
    incident_id: Annotated[str | None, Query(max_length=64, description="only changes of this incident")] = None,
    from_date: Annotated[QueryTime | None, Query(description="at or after (UTC if no offset)")] = None,
    to_date: Annotated[QueryTime | None, Query(description="at or before (UTC if no offset)")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 20,
) -> AuditPage:
    filters = AuditFilter(
        key_id=key_id,
        door=door,
        incident_id=incident_id,
        at_from=query_utc("from_date", from_date),
        at_to=query_utc("to_date", to_date),
    )
    return service.list_entries(session, principal.tenant_id, filters, page, limit)
