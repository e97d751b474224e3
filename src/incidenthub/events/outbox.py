"""The outbox: the one way anything leaves incidenthub (webhooks, the live stream, Sonoran push events).

A change queues its events on the session (`emit`) while it runs. Just before the transaction commits,
the queued events get the new state of their resources (read once per resource, after the last change of
the transaction), the next numbers of their tenant's event sequence, and are inserted in one statement.
So an event exists exactly when its change committed: a rolled-back write or savepoint leaves none.

The sequence is a per-tenant counter row: taking it locks the row until the commit, so numbers are handed
out in commit order and a reader that has seen event N has seen every event before N (no gaps to wait for).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, event, insert, text
from sqlalchemy.orm import Session, SessionTransaction

from incidenthub.auth.repository import TenantRepository
from incidenthub.db import SESSION_DOOR
from incidenthub.models import OutboxEvent
from incidenthub.models.base import new_id

# (session, tenant_id, resource ids, the objects the changes held by id) -> {resource id: its state as the
# native API shows it}; a resource that no longer exists is left out (its events then carry no state).
StateReader = Callable[[Session, str, Sequence[str], Mapping[str, Any]], Mapping[str, dict[str, Any]]]

COUNTER = "events"
CHANNEL = "incidenthub_events"  # PostgreSQL NOTIFY channel; the payload is the tenant id

_QUEUE = "outbox"
_MARKS = "outbox_marks"


@dataclass
class Pending:
    tenant_id: str
    type: str
    resource_type: str
    resource_id: str
    incident_id: str | None
    occurred_at: datetime
    actor: str | None
    state: StateReader | None
    extra: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    # The changed object itself when the change had it (kept alive: the session holds objects weakly).
    held: Any = None


def emit(
    session: Session,
    *,
    tenant_id: str,
    type: str,
    resource_type: str,
    resource_id: str,
    incident_id: str | None,
    at: datetime,
    actor: str | None = None,
    state: StateReader | None = None,
    extra: Mapping[str, Any] | None = None,
    held: Any = None,
) -> None:
    """Queue one event for this transaction; it is written just before the commit, or never."""
    queue: list[Pending] = session.info.setdefault(_QUEUE, [])
    queue.append(
        Pending(
            tenant_id=tenant_id,
            type=type,
            resource_type=resource_type,
            resource_id=resource_id,
            incident_id=incident_id,
            occurred_at=at,
            actor=actor,
            state=state,
            extra=dict(extra or {}),
            source=session.info.get(SESSION_DOOR),
            held=held,
        )
    )


def incidents_in(session: Session) -> dict[tuple[str, str], bool]:
    """(tenant id, incident id) of every incident the events queued in this transaction name, each with
    whether it was created in it."""
    queue: list[Pending] = session.info.get(_QUEUE, [])
    found: dict[tuple[str, str], bool] = {}
    for p in queue:
        if p.incident_id is not None:
            key = (p.tenant_id, p.incident_id)
            found[key] = found.get(key, False) or p.type == "incident.created"
    return found


# --- written before the commit, dropped with a rollback ----------------------------------------------------


@event.listens_for(Session, "after_transaction_create")
def _mark(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[id(transaction)] = len(session.info.get(_QUEUE, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous: SessionTransaction) -> None:
    marks: dict[int, int] = session.info.get(_MARKS, {})
    if previous.nested and id(previous) in marks:
        del session.info.get(_QUEUE, [])[marks.pop(id(previous)) :]
    elif previous.parent is None:
        session.info.pop(_QUEUE, None)
        session.info.pop(_MARKS, None)


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    # Changes made in the flush (ORM objects) queue events too: flush first, then take the queue.
    session.flush()
    queued: list[Pending] = session.info.pop(_QUEUE, [])
    session.info.pop(_MARKS, None)
    if queued:
        write(session, queued)


def write(session: Session, queued: Sequence[Pending]) -> None:
    """Insert the events with their resources' state and their tenant's next sequence numbers."""
    states = _states(session, queued)
    numbers: dict[str, list[int]] = {}
    for tenant_id in sorted({p.tenant_id for p in queued}):  # one order: two writers never deadlock
        count = sum(1 for p in queued if p.tenant_id == tenant_id)
        numbers[tenant_id] = TenantRepository(session).next_numbers(tenant_id, COUNTER, count)[::-1]
    rows = []
    for item in queued:
        data: dict[str, Any] = dict(item.extra)
        state = states.get((item.state, item.tenant_id, item.resource_id)) if item.state else None
        if state is not None:
            data["object"] = state
        rows.append(
            {
                "event_id": new_id("evt"),
                "tenant_id": item.tenant_id,
                "seq": numbers[item.tenant_id].pop(),
                "type": item.type,
                "resource_type": item.resource_type,
                "resource_id": item.resource_id,
                "incident_id": item.incident_id,
                "source": item.source,
                "actor": item.actor,
                "occurred_at": item.occurred_at,
                "data": data,
            }
        )
    session.execute(insert(cast(Table, OutboxEvent.__table__)), rows)
    if session.get_bind().dialect.name == "postgresql":
        for tenant_id in numbers:
            session.execute(text("SELECT pg_notify(:channel, :tenant)"), {"channel": CHANNEL, "tenant": tenant_id})


def _states(session: Session, queued: Sequence[Pending]) -> dict[tuple[StateReader, str, str], dict[str, Any]]:
    """Each resource's state, read once per reader and tenant for the whole transaction."""
    wanted: dict[tuple[StateReader, str], dict[str, Any]] = {}
    for item in queued:
        if item.state is not None:
            held = wanted.setdefault((item.state, item.tenant_id), {})
            if held.get(item.resource_id) is None:
                held[item.resource_id] = item.held
    found: dict[tuple[StateReader, str, str], dict[str, Any]] = {}
    for (reader, tenant_id), held in wanted.items():
        objects = {resource_id: value for resource_id, value in held.items() if value is not None}
        for resource_id, state in reader(session, tenant_id, sorted(held), objects).items():
            found[(reader, tenant_id, resource_id)] = state
    return found
