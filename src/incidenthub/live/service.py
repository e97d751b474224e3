"""The tenant's events after a point, paged for polling clients and followed as they commit for streams.

Both read the same way: first the tenant's newest event number N, then its events after the cursor up to
N. Numbers are handed out in commit order, so every event up to N is committed and visible: the cursor can
move to N even when the filters took none of them, and the next read starts there without a gap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from incidenthub.db import Database
from incidenthub.events.repository import EventRepository, envelope
from incidenthub.live.hub import Hub
from incidenthub.models import OutboxEvent

log = logging.getLogger(__name__)

PAGE_DEFAULT = 100
PAGE_MAX = 1000
_STREAM_BATCH = 500  # events a stream reads at once while catching up


@dataclass(frozen=True)
class Filters:
    types: tuple[str, ...] = ()
    incident_id: str | None = None


@dataclass(frozen=True)
class Window:
    events: list[OutboxEvent]
    cursor: int  # where the next read starts
    more: bool  # events after `cursor` were already there


def read_after(session: Session, tenant_id: str, after: int, limit: int, filters: Filters) -> Window:
    """Up to `limit` of the tenant's events after `after` that pass the filters, in sequence order."""
    repository = EventRepository(session)
    newest = repository.last_seq(tenant_id)
    found = repository.after(tenant_id, after, limit + 1, types=filters.types, incident_id=filters.incident_id)
    found = [event for event in found if event.seq <= newest]  # committed after `newest` was read: next time
    if len(found) > limit:
        return Window(found[:limit], found[limit - 1].seq, True)
    return Window(found, max(after, newest), False)


def page(session: Session, tenant_id: str, after: int, limit: int, filters: Filters) -> dict[str, Any]:
    """`GET /v1/events`: a page of envelopes and the cursor of the next."""
    window = read_after(session, tenant_id, after, limit, filters)
    return {"data": [envelope(e) for e in window.events], "next_after": window.cursor, "has_more": window.more}


def newest(database: Database, tenant_id: str) -> int:
    """Where a stream without `Last-Event-ID` starts: after the tenant's latest event."""
    with database.read_sessions() as session:
        return EventRepository(session).last_seq(tenant_id)


class Stop(Protocol):
    """Set when the server shuts down (sse-starlette's `shutdown_event`, an anyio event)."""

    def is_set(self) -> bool: ...

    async def wait(self) -> Any: ...


async def _wait(ticket: asyncio.Event, stop: Stop, timeout: float) -> bool:
    """Until an announcement (True), the server stopping or the timeout (False)."""
    announced = asyncio.ensure_future(ticket.wait())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((announced, stopping), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        announced.cancel()
        stopping.cancel()
    return ticket.is_set()


def _read(database: Database, tenant_id: str, after: int, filters: Filters) -> tuple[list[dict[str, Any]], int, bool]:
    with database.read_sessions() as session:  # a connection only for the read, never while a stream waits
        window = read_after(session, tenant_id, after, _STREAM_BATCH, filters)
        return [envelope(e) for e in window.events], window.cursor, window.more


async def follow(
    hub: Hub,
    database: Database,
    tenant_id: str,
    after: int,
    filters: Filters,
    *,
    recheck_seconds: float,
    still_allowed: Callable[[], Awaitable[bool]],
    stop: Stop,
) -> AsyncGenerator[dict[str, Any], None]:
    """The tenant's events after `after` that pass the filters, as they commit, until the caller stops,
    `stop` is set (the server is shutting down: the stream then ends cleanly, so the client sees a finished
    answer), or `still_allowed` (asked every `recheck_seconds` of quiet) says the key may no longer read them."""
    cursor = after
    checked = time.monotonic()
    try:
        async with hub.watching(tenant_id):
            log.info("event stream opened; streams open in this process: %d", hub.streams)
            while True:
                ticket = hub.ticket(tenant_id)  # before reading: an announcement after the read sets it
                more = True
                while more and not stop.is_set():
                    events, cursor, more = await asyncio.to_thread(_read, database, tenant_id, cursor, filters)
                    for event in events:
                        yield event
                # Read again only when the hub announces something: a quiet stream costs no query.
                while True:
                    announced = await _wait(ticket, stop, recheck_seconds)
                    if stop.is_set():
                        return
                    if time.monotonic() - checked >= recheck_seconds:  # busy or quiet, as often
                        if not await still_allowed():
                            log.info("event stream ended: its key may no longer read events")
                            return
                        checked = time.monotonic()
                    if announced:
                        break
    finally:
        log.info("event stream closed; streams open in this process: %d", hub.streams)
