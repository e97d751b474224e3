"""Who is writing: the request's key, door and address, carried from the request to the write path.

A route dependency opens a holder for the request (`enter_request`); the authenticator notes the verified key
into it (`note_key`, also from a worker thread, which sees the same holder); a write queued by the request takes
`current(door)` with it, and the write path records it beside what the write changed, in the same transaction.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

# The session.info key under which a write's changes are collected while it runs (see `trail.collect`).
COLLECTED = "audit_changes"


@dataclass(frozen=True)
class Actor:
    """The key (id and name, never the secret), door, client address and route of one write."""

    tenant_id: str
    key_id: str
    key_name: str | None
    door: str
    address: str | None
    method: str
    route: str
    # The route's id parameters (`webhook_id`, ...): the record a write names when it changes no incident.
    path_ids: tuple[tuple[str, str], ...] = ()
    # The top-level field names of a PATCH or PUT body: what a write that changed no incident changed.
    fields_sent: tuple[str, ...] = ()


@dataclass
class _Request:
    address: str | None
    method: str
    route: str
    path_ids: tuple[tuple[str, str], ...]
    fields_sent: tuple[str, ...]
    tenant_id: str | None = None
    key_id: str | None = None
    key_name: str | None = None


_request: ContextVar[_Request | None] = ContextVar("incidenthub_audit_request", default=None)


def enter_request(
    address: str | None,
    method: str,
    route: str,
    path_ids: tuple[tuple[str, str], ...],
    fields_sent: tuple[str, ...] = (),
) -> None:
    """A request begins (called in the request's own context, before its key is verified)."""
    _request.set(_Request(address, method, route, path_ids, fields_sent))


def note_key(tenant_id: str, key_id: str, key_name: str | None) -> None:
    """The request's key is verified: its writes are recorded under it."""
    held = _request.get()
    if held is not None:
        held.tenant_id, held.key_id, held.key_name = tenant_id, key_id, key_name


def current(door: str | None) -> Actor | None:
    """The actor of the request being served; None outside a request or before its key is verified."""
    held = _request.get()
    if held is None or held.key_id is None or held.tenant_id is None:
        return None
    return Actor(
        tenant_id=held.tenant_id,
        key_id=held.key_id,
        key_name=held.key_name,
        door=door or "-",
        address=held.address,
        method=held.method,
        route=held.route,
        path_ids=held.path_ids,
        fields_sent=held.fields_sent,
    )
