"""Units' small per-tenant integer ids (Sonoran's identId)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from incidenthub.auth.repository import TenantRepository
from incidenthub.models import Unit

IDENT_COUNTER = "unit_ident"


def ensure_ident(session: Session, unit: Unit) -> int:
    """The unit's small per-tenant integer id (Sonoran's identId), handed out on first need."""
    return ensure_idents(session, [unit])[0]


def ensure_idents(session: Session, units: Sequence[Unit]) -> list[int]:
    """Each unit's ident, in order; those without one get theirs from one reservation of the counter."""
    lacking = list({unit.id: unit for unit in units if ident_of(unit) is None}.values())
    by_tenant: dict[str, list[Unit]] = {}
    for unit in lacking:
        by_tenant.setdefault(unit.tenant_id, []).append(unit)
    for tenant_id, group in by_tenant.items():
        numbers = TenantRepository(session).next_numbers(tenant_id, IDENT_COUNTER, len(group))
        for unit, number in zip(group, numbers, strict=True):
            unit.extra = {**(unit.extra or {}), "ident_id": number}
            unit.ident_id = number  # the indexed copy lookups use
    return [ident for unit in units if (ident := ident_of(unit)) is not None]


def ident_of(unit: Unit) -> int | None:
    ident = (unit.extra or {}).get("ident_id")
    return ident if isinstance(ident, int) else None
