"""Units' small per-tenant integer ids (Sonoran's identId)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from incidenthub.auth.repository import TenantRepository
from incidenthub.models import Unit

IDENT_COUNTER = "unit_ident"


def ensure_ident(session: Session, unit: Unit) -> int:
    """The unit's small per-tenant integer id (Sonoran's identId), handed out on first need."""
    ident = (unit.extra or {}).get("ident_id")
    if isinstance(ident, int):
        return ident
    ident = TenantRepository(session).next_number(unit.tenant_id, IDENT_COUNTER)
    unit.extra = {**(unit.extra or {}), "ident_id": ident}
    return ident


def ident_of(unit: Unit) -> int | None:
    ident = (unit.extra or {}).get("ident_id")
    return ident if isinstance(ident, int) else None
