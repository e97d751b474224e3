"""Sonoran unit calls: status, location, panic, and the active-unit list (v1 and v2 alike)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from incidenthub.adapters.sonoran import mapping, service
from incidenthub.adapters.sonoran.mapping import LocationUpdate, Target
from incidenthub.dispatch import service as dispatch
from incidenthub.dispatch.repository import UnitRepository
from incidenthub.models import Unit


def unit_status(
    session: Session, tenant_id: str, targets: Sequence[Target], status: int, actor: str | None = None
) -> int:
    units = service.distinct_units(session, tenant_id, targets)
    dispatch.set_statuses(session, units, mapping.UNIT_STATUSES[status], actor=actor)
    return len(units)


def unit_locations(session: Session, tenant_id: str, updates: Sequence[LocationUpdate]) -> int:
    resolved = service.resolve_all(session, tenant_id, [update.target for update in updates])
    for update in updates:
        dispatch.set_location(resolved[update.target], update.location, coordinates=update.coordinates)
    session.flush()
    return len(updates)


def unit_panic(session: Session, tenant_id: str, targets: Sequence[Target], is_panic: bool) -> int:
    units = service.distinct_units(session, tenant_id, targets)
    dispatch.set_panic(session, units, is_panic)
    return len(units)


def active_units(
    session: Session, tenant_id: str, server_id: int, *, include_offline: bool, limit: int, offset: int
) -> list[Unit]:
    service.require_server(session, tenant_id, server_id)
    return UnitRepository(session).list(tenant_id, include_offline=include_offline, offset=offset, limit=limit)
