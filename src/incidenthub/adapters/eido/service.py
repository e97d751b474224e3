"""EIDO door rules: an incident exported as an EIDO document, a document imported through the one write path."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from incidenthub.adapters.eido import export
from incidenthub.adapters.eido.schemas import EidoImported
from incidenthub.incidents import service as incidents_service
from incidenthub.incidents.commands import SourceIncident
from incidenthub.incidents.ingest import UpsertResult


def issuer(tenant_slug: str) -> str:
    """The functional element that issues this tenant's documents (`issuingElementIdentification`)."""
    return f"incidenthub:{tenant_slug}"


def document(session: Session, tenant_id: str, tenant_slug: str, incident_id: str) -> dict[str, Any]:
    """The tenant's incident as an EIDO document (404 for an incident of another tenant or none)."""
    incident = incidents_service.get_incident(session, tenant_id, incident_id, full=True)
    return export.document(incident, issuer(tenant_slug))


def imported(command: SourceIncident, result: UpsertResult) -> EidoImported:
    return EidoImported(
        incident_id=result.incident_id,
        external_id=command.external_id or "",
        created=result.created,
        updated=result.updated,
        unchanged=not result.created and not result.updated,
        revision=result.revision,
        changed=sorted(result.changed),
    )
