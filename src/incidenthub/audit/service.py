"""Reading the audit trail."""

from __future__ import annotations

from sqlalchemy.orm import Session

from incidenthub.audit.repository import AuditFilter, AuditRepository
from incidenthub.audit.schemas import AuditEntryRead, AuditPage
from incidenthub.errors import FieldError, Invalid
from incidenthub.models import AuditEntry

MAX_PAGE_SIZE = 100


def list_entries(session: Session, tenant_id: str, filters: AuditFilter, page: int, limit: int) -> AuditPage:
    """The tenant's audit entries, newest first, one page at a time."""
    if filters.at_from and filters.at_to and filters.at_from > filters.at_to:
        raise Invalid("from_date is after to_date", [FieldError("from_date", "must not be after to_date")])
    rows, total = AuditRepository(session).page(tenant_id, filters, (page - 1) * limit, limit)
    return AuditPage(
        data=[_read(row) for row in rows],
        page=page,
        limit=limit,
        total=total,
        has_more=page * limit < total,
    )


def _read(row: AuditEntry) -> AuditEntryRead:
    return AuditEntryRead(
        id=row.seq,
        write_id=row.write_id,
        at=row.at,
        key_id=row.key_id,
        key_name=row.key_name,
        door=row.door,
        address=row.address,
        method=row.method,
        route=row.route,
        incident_id=row.incident_id,
        record_id=row.record_id,
        events=list(row.events),
        fields=list(row.fields),
    )
