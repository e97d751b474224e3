"""HTTP routes of the native dispatch API: units, unit status and location, assignments (under /v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.dispatch import service
from incidenthub.dispatch.schemas import (
    AssignmentCreate,
    AssignmentList,
    AssignmentUpdate,
    UnitCreate,
    UnitList,
    UnitLocationChange,
    UnitRead,
    UnitStatusChange,
    UnitUpdate,
)
from incidenthub.incidents.schemas import ResponderRead
from incidenthub.problems import responses
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(tags=["dispatch"])

_READ = responses(401, 403, 404)
_WRITE = responses(400, 401, 403, 404, 409, 413, 422)


@router.get("/units", response_model=UnitList, responses=responses(401, 403, 422), summary="List units")
def list_units(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=service.MAX_UNIT_PAGE_SIZE)] = service.MAX_UNIT_PAGE_SIZE,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("dispatch:read")),
) -> UnitList:
    return service.list_units(session, principal.tenant_id, page, limit)


@router.post("/units", status_code=201, response_model=UnitRead, responses=_WRITE, summary="Create unit")
async def create_unit(
    body: UnitCreate, request: Request, principal: Principal = Depends(require("dispatch:write"))
) -> UnitRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: service.create_unit(session, tenant_id, body))


@router.get("/units/{unit_id}", response_model=UnitRead, responses=_READ, summary="Get unit")
def get_unit(
    unit_id: str,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("dispatch:read")),
) -> UnitRead:
    return service.read_unit(session, principal.tenant_id, unit_id)


@router.patch("/units/{unit_id}", response_model=UnitRead, responses=_WRITE, summary="Update unit")
async def update_unit(
    unit_id: str, body: UnitUpdate, request: Request, principal: Principal = Depends(require("dispatch:write"))
) -> UnitRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: service.update_unit(session, tenant_id, unit_id, body))


@router.post("/units/{unit_id}/status", response_model=UnitRead, responses=_WRITE, summary="Set unit status")
async def set_unit_status(
    unit_id: str, body: UnitStatusChange, request: Request, principal: Principal = Depends(require("dispatch:write"))
) -> UnitRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.change_unit_status(session, tenant_id, unit_id, body, actor=principal.key_id)
    )


@router.post("/units/{unit_id}/location", response_model=UnitRead, responses=_WRITE, summary="Set unit location")
async def set_unit_location(
    unit_id: str,
    body: UnitLocationChange,
    request: Request,
    principal: Principal = Depends(require("dispatch:write")),
) -> UnitRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.change_unit_location(session, tenant_id, unit_id, body)
    )


@router.get(
    "/incidents/{incident_id}/assignments", response_model=AssignmentList, responses=_READ, summary="List assignments"
)
def list_assignments(
    incident_id: str,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("dispatch:read")),
) -> AssignmentList:
    return service.list_assignments(session, principal.tenant_id, incident_id)


@router.post(
    "/incidents/{incident_id}/assignments",
    status_code=201,
    response_model=ResponderRead,
    responses=_WRITE,
    summary="Assign a unit or person to an incident",
)
async def create_assignment(
    incident_id: str,
    body: AssignmentCreate,
    request: Request,
    principal: Principal = Depends(require("dispatch:write")),
) -> ResponderRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.create_assignment(session, tenant_id, incident_id, body, actor=principal.key_id)
    )


@router.patch(
    "/incidents/{incident_id}/assignments/{assignment_id}",
    response_model=ResponderRead,
    responses=_WRITE,
    summary="Update an assignment: status (enroute, on_scene, cleared) and primary flag",
)
async def update_assignment(
    incident_id: str,
    assignment_id: str,
    body: AssignmentUpdate,
    request: Request,
    principal: Principal = Depends(require("dispatch:write")),
) -> ResponderRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.update_assignment(
            session, tenant_id, incident_id, assignment_id, body, actor=principal.key_id
        )
    )
