"""New dispatch calls (v1 `new_dispatch`, v2 `POST .../dispatch-calls`), many requests at a time, set-based.

The write path hands this handler every request of kind `NEW_CALLS` queued together. Per batch: one server
check and one block of call ids per tenant, one lookup (and registration) of the units the calls name,
one locking lookup of where those units are now; then one multi-row insert each of incidents, timeline
entries, notes, assignments and `sonoran_calls`. The rows are those `service.new_dispatch` writes one call
at a time; a call created closed (status 2) still goes that way, in its place in the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from incidenthub.adapters.sonoran import mapping, service
from incidenthub.adapters.sonoran.mapping import NewCall
from incidenthub.adapters.sonoran.repository import SonoranCallRepository
from incidenthub.auth.repository import TenantRepository
from incidenthub.clock import utcnow
from incidenthub.dispatch import assignments
from incidenthub.dispatch.repository import UnitRepository
from incidenthub.incidents import changes, drafts
from incidenthub.models import SonoranCall, Unit

# The kind the write path applies set-based (registered in app.py).
NEW_CALLS = "sonoran.new_calls"


@dataclass
class NewCalls:
    """The calls of one request: created together, answered together (all or none)."""

    tenant_id: str
    actor: str | None
    calls: list[NewCall]


@dataclass
class Created:
    call_id: int
    body: dict[str, Any]  # the call as Sonoran shows it (v2's answer)


@dataclass
class _Item:
    payload: int
    tenant_id: str
    actor: str | None
    call: NewCall


def new_calls(session: Session, payloads: Sequence[NewCalls]) -> list[list[Created]]:
    """Create every payload's calls in the session's transaction, in order; the created calls of each."""
    items = [_Item(index, p.tenant_id, p.actor, call) for index, p in enumerate(payloads) for call in p.calls]
    results: list[list[Created]] = [[] for _ in payloads]
    for closed, run in groupby(items, key=lambda item: item.call.fields.status == mapping.CLOSED):
        group = list(run)
        if closed:
            # Rare: created and closed at once. The row-at-a-time rules, then nothing of it kept in the session
            # (the set-based statements after it change rows behind the session's back).
            for item in group:
                view = service.new_dispatch(session, item.tenant_id, item.call, item.actor)
                results[item.payload].append(
                    Created(view.call.call_id, mapping.dispatch_call_json(view.call, view.incident))
                )
            session.flush()
            session.expunge_all()
            continue
        for item, created in zip(group, _create(session, group), strict=True):
            results[item.payload].append(created)
    return results


def _create(session: Session, items: list[_Item]) -> list[Created]:
    now = utcnow()
    by_tenant: dict[str, list[_Item]] = {}
    for item in items:
        by_tenant.setdefault(item.tenant_id, []).append(item)
    call_ids: dict[int, int] = {}
    units: dict[int, list[Unit]] = {}
    rules = {tenant_id: changes.rules_of(session, tenant_id) for tenant_id in by_tenant}
    for tenant_id, group in by_tenant.items():
        for server_id in sorted({item.call.server_id for item in group}):
            service.require_server(session, tenant_id, server_id)
        numbers = TenantRepository(session).next_numbers(tenant_id, mapping.CALL_COUNTER, len(group))
        call_ids.update((id(item), number) for item, number in zip(group, numbers, strict=True))
        units.update(_units(session, tenant_id, group))
    made: list[drafts.Draft] = []
    wanted: list[assignments.NewUnits] = []
    calls: list[SonoranCall] = []
    for item in items:
        call_id = call_ids[id(item)]
        draft = drafts.draft(
            item.tenant_id,
            mapping.SOURCE,
            str(call_id),
            service.dispatch_fields(item.call, call_id),
            item.call.raw,
            actor=item.actor,
            message=service.DISPATCH_CREATED,
            at=now,
            rules=rules[item.tenant_id],
        )
        _notes(draft, item, now)
        made.append(draft)
        wanted.append(assignments.NewUnits(draft, units[id(item)], item.actor, primary=True))
        call = SonoranCall(
            tenant_id=item.tenant_id, call_id=call_id, incident_id=draft.id, server_id=item.call.server_id
        )
        call.kind, call.closed, call.closed_at, call.created_at = service.DISPATCH, False, None, now
        calls.append(call)
    assignments.assign_new(session, wanted, at=now)
    session.flush()  # units registered or given an ident above
    drafts.insert_drafts(session, made)
    SonoranCallRepository(session).add_many([{name: getattr(call, name) for name in _CALL_COLUMNS} for call in calls])
    known = {unit.id: unit for found in units.values() for unit in found}
    return [
        Created(call.call_id, mapping.dispatch_call_json(call, drafts.as_incident(draft, known)))
        for call, draft in zip(calls, made, strict=True)
    ]


_CALL_COLUMNS = ("tenant_id", "call_id", "incident_id", "server_id", "kind", "closed", "closed_at", "created_at")


def _notes(draft: drafts.Draft, item: _Item, at: datetime) -> None:
    for note in item.call.notes:
        draft.add_note(note.content, author=note.label, label=note.type, at=at)
        draft.record("note_added", message=note.content, actor=note.label or item.actor, at=at)


def _units(session: Session, tenant_id: str, items: list[_Item]) -> dict[int, list[Unit]]:
    """The distinct units each call names, in order (those never seen registered), for all calls at once.

    A call naming no unit gets the unit with its `primary` ident, if the tenant has one (never registered).
    """
    resolved = service.resolve_all(session, tenant_id, [t for item in items for t in item.call.targets])
    primaries = [item.call.primary for item in items if not item.call.targets and (item.call.primary or 0) > 0]
    by_ident = UnitRepository(session).by_idents(tenant_id, [p for p in primaries if p is not None])
    found: dict[int, list[Unit]] = {}
    for item in items:
        named = [resolved[target] for target in item.call.targets]
        if not named and item.call.primary is not None and item.call.primary > 0:
            unit = by_ident.get(item.call.primary)
            named = [unit] if unit is not None else []
        found[id(item)] = list({unit.id: unit for unit in named}.values())
    return found
