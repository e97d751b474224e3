"""HTTP routes of the live events: a page of them for polling clients, and a server-sent event stream.

Mounted at /v1 and /v1/external like the native incidents API, in its error format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from incidenthub.auth.dependencies import key_of, principal_for_key_async, require
from incidenthub.auth.service import Principal
from incidenthub.errors import AppError
from incidenthub.live import service
from incidenthub.live.hub import Hub
from incidenthub.live.schemas import EventPage, EventPattern
from incidenthub.problems import responses
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(tags=["events"])

SCOPE = "incidents:read"
# A client that stops reading is let go after this long, rather than held (with its unsent events) forever.
_SEND_TIMEOUT_SECONDS = 60.0
_SHUTDOWN_GRACE_SECONDS = 5.0
_MAX_SEQ = 2**62

After = Annotated[int, Query(ge=0, le=_MAX_SEQ, description="Events after this `seq` (0: from the first)")]
Types = Annotated[
    list[EventPattern] | None,
    Query(
        max_length=20,
        description="Only these types; repeatable; `incident.*` takes every `incident.` type, `*` every type",
    ),
]
IncidentId = Annotated[str | None, Query(min_length=1, max_length=64, description="Only this incident's events")]


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.live
    return hub


@router.get(
    "/events",
    response_model=EventPage,
    responses=responses(401, 403, 422),
    summary="List events (poll)",
    description=(
        "The tenant's events in `seq` order, after the cursor `after`. Pass the answer's `next_after` as the next "
        "`after`; `has_more` says a next page is already there. `seq` grows in commit order without gaps, so "
        "a client that keeps its last `next_after` misses nothing and sees nothing twice."
    ),
)
def list_events(
    session: Session = Depends(read_session),
    principal: Principal = Depends(require(SCOPE)),
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=service.PAGE_MAX)] = service.PAGE_DEFAULT,
    type: Types = None,
    incident_id: IncidentId = None,
) -> Response:
    filters = service.Filters(tuple(type or ()), incident_id)
    # The envelopes as they are (EventPage documents them): the one JSON shape of an event everywhere.
    return JSONResponse(service.page(session, principal.tenant_id, after, limit, filters))


_STREAM_DOC = (
    "Server-sent events: the tenant's events as they commit, one SSE event each, with `id:` the event's `seq`, "
    "`event:` its type and `data:` the event as JSON (the shape of `GET /v1/events`' items). A comment line "
    "(`: ping ...`) comes every 15 s (`INCIDENTHUB_STREAM_HEARTBEAT_SECONDS`) when nothing else does. "
    "Without `Last-Event-ID` or `after` the stream starts now: events committed after the request. The stream "
    "ends when the server stops or the key may no longer read events; reconnect with `Last-Event-ID` to resume."
)


# Each server-sent event, as its fields read (the stream is a sequence of these).
_ONE_EVENT = {
    "type": "object",
    "required": ["id", "event", "data"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "The event's `seq`"},
        "event": {"type": "string", "description": "The event's type"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/EventRead"},
            "description": "The event as JSON",
        },
    },
}


@router.get(
    "/events/stream",
    response_class=Response,
    responses={
        200: {"description": _STREAM_DOC, "content": {"text/event-stream": {"schema": _ONE_EVENT}}},
        **responses(401, 403, 422),
    },
    summary="Stream events (server-sent events)",
    description=(
        "Resume after a disconnect with the `Last-Event-ID` header (browsers' EventSource send it) or the `after` "
        "query parameter (the header wins): every event after that `seq`, then new ones, no gap, no duplicate."
    ),
)
async def stream_events(
    request: Request,
    principal: Principal = Depends(require(SCOPE)),
    after: Annotated[int | None, Query(ge=0, le=_MAX_SEQ, description="Resume after this `seq`")] = None,
    type: Types = None,
    incident_id: IncidentId = None,
    last_event_id: Annotated[
        int | None, Header(alias="Last-Event-ID", ge=0, le=_MAX_SEQ, description="Resume after this `seq`")
    ] = None,
) -> Response:
    runtime = runtime_of(request)
    tenant_id = principal.tenant_id
    start = last_event_id if last_event_id is not None else after
    if start is None:  # now: fixed before the answer starts, so whatever commits after the headers is sent
        start = await run_in_threadpool(service.newest, runtime.database, tenant_id)
    key = key_of(request.headers) or ""

    async def still_allowed() -> bool:
        # A key revoked, expired or narrowed while its stream is open ends the stream (within the key cache's bound).
        try:
            current = await principal_for_key_async(runtime, key)
            current.require(SCOPE)
        except AppError:
            return False
        return current.tenant_id == tenant_id

    shutdown = anyio.Event()
    events = service.follow(
        hub_of(request),
        runtime.database,
        tenant_id,
        start,
        service.Filters(tuple(type or ()), incident_id),
        recheck_seconds=runtime.settings.stream_heartbeat_seconds,
        still_allowed=still_allowed,
        stop=shutdown,
    )

    async def sse() -> AsyncIterator[ServerSentEvent]:
        async with aclosing(events):  # closed with the answer, whichever way it ends: the stream is let go at once
            async for event in events:
                yield ServerSentEvent(data=orjson.dumps(event).decode(), id=str(event["seq"]), event=event["type"])

    return EventSourceResponse(
        sse(),
        ping=runtime.settings.stream_heartbeat_seconds,
        send_timeout=_SEND_TIMEOUT_SECONDS,
        # On shutdown the stream ends itself (a finished answer, not a cut connection) within this bound.
        shutdown_event=shutdown,
        shutdown_grace_period=_SHUTDOWN_GRACE_SECONDS,
    )
