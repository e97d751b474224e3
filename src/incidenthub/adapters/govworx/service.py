"""GovWorx door rules: upload (through the shared ingest), stored-incident and user reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from incidenthub.adapters.govworx import mapping
from incidenthub.adapters.govworx.schemas import UploadResult
from incidenthub.clock import iso_utc
from incidenthub.dispatch.repository import PersonnelRepository
from incidenthub.errors import FieldError, Invalid, NotFound
from incidenthub.incidents import service as incidents_service
from incidenthub.incidents.commands import SourceIncident
from incidenthub.incidents.ingest import UpsertResult
from incidenthub.incidents.repository import IncidentRepository
from incidenthub.models import Incident, Personnel


def upload_result(command: SourceIncident, result: UpsertResult) -> UploadResult:
    """GovWorx's answer to an upload the write path applied."""
    return UploadResult(
        id=result.incident_id,
        sysId=command.external_id,
        created=result.created,
        updated=result.updated,
        revision=result.revision,
    )


def related_sys_ids(session: Session, incident: Incident) -> list[str]:
    """The sysIds this incident names as related (the links it made itself)."""
    return [link.related_external_id for link in IncidentRepository(session).outgoing_links(incident.id)]


def stored_incident(session: Session, tenant_id: str, incident_id: str) -> dict[str, Any]:
    """GovWorx's MCP incident resource: the upload fields plus `id` and `createdAt`."""
    incident = incidents_service.get_incident(session, tenant_id, incident_id, full=True)
    return {
        "id": incident.id,
        "createdAt": iso_utc(incident.created_at),
        **mapping.to_upload(incident, related_sys_ids(session, incident)),
    }


def _user(person: Personnel) -> dict[str, Any]:
    """A person in GovWorx's user shape. These are personnel records, not logins: login fields are off."""
    return {
        "id": person.id,
        "tenantId": person.tenant_id,
        "email": person.email,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "personnelId": person.personnel_id,
        "loginEnabled": False,
        "notificationEmail": None,
        "idpSub": None,
        "roleId": None,
        "mfaEnabled": False,
        "lastLoginAt": None,
        "isSupervisor": person.role == "supervisor",
        "isTemplatePublishingAllowed": False,
        "vlrIdentifier": None,
        "passwordExpiresAt": None,
        "isPasswordExpired": False,
        "isSupportUser": False,
    }


def list_users(session: Session, tenant_id: str, page: int, size: int) -> dict[str, Any]:
    """The personnel registry as a Spring `Page` of GovWorx users (`page` counts from 0)."""
    rows, total = PersonnelRepository(session).page(tenant_id, page * size, size)
    total_pages = (total + size - 1) // size
    sort = {"empty": True, "sorted": False, "unsorted": True}
    return {
        "content": [_user(person) for person in rows],
        "totalElements": total,
        "totalPages": total_pages,
        "last": page >= total_pages - 1,
        "first": page == 0,
        "size": size,
        "number": page,
        "numberOfElements": len(rows),
        "empty": not rows,
        "sort": sort,
        "pageable": {
            "offset": page * size,
            "sort": sort,
            "pageSize": size,
            "paged": True,
            "pageNumber": page,
            "unpaged": False,
        },
    }


def find_user(
    session: Session, tenant_id: str, user_id: str | None, email: str | None, personnel_id: str | None
) -> dict[str, Any]:
    if not (user_id or email or personnel_id):
        message = "give one of userId, email or personnelId"
        raise Invalid(message, [FieldError("userId", message)])
    person = PersonnelRepository(session).find(tenant_id, id=user_id, email=email, personnel_id=personnel_id)
    if person is None:
        raise NotFound("User not found")
    return _user(person)
