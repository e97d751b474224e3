"""One log line per request: method, route template, status, duration, door, tenant and API key id.

Never the raw path (ids, and whatever a client typed), a query string, a header, a key, a phone number or a
body: only the route's template (`/v1/incidents/{incident_id}`) and names the service chose itself. The key
is named by its row id (`key_...`), which is neither the secret nor the public lookup part of the key.
The tenant and key are noted by the authenticator (`note_tenant`) into a holder this middleware puts in a context
variable for the request; a worker thread sees the same holder, since threads run in a copy of the context.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("incidenthub.http")
# What uvicorn's ASGI trace (`INCIDENTHUB_LOG_LEVEL=trace`) would log of a request's scope and nobody needs:
# the raw path and query string carry ids and whatever a client typed (a phone number in a filter).
_SCOPE_PARTS_HIDDEN = ("path", "raw_path", "query_string")


class _HideScopeParts(logging.Filter):
    """uvicorn's trace logs each request's scope (bodies and headers already replaced by their lengths); the
    path and query string are replaced by their lengths too, at every level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, dict) for arg in record.args):
            record.args = tuple(_hidden(arg) if isinstance(arg, dict) else arg for arg in record.args)
        return True


def _hidden(message: dict[str, object]) -> dict[str, object]:
    shown = dict(message)
    for part in _SCOPE_PARTS_HIDDEN:
        value = shown.get(part)
        if isinstance(value, str | bytes) and value:
            shown[part] = f"<{len(value)} chars>"
    return shown


logging.getLogger("uvicorn.asgi").addFilter(_HideScopeParts())

# Route endpoints defined in these modules belong to no door (API documentation).
_NOT_A_DOOR = ("fastapi.", "incidenthub.docs_assets")


@dataclass
class _RequestNotes:
    tenant: str | None = None
    key_id: str | None = None


_notes: ContextVar[_RequestNotes | None] = ContextVar("incidenthub_request_notes", default=None)


def note_tenant(slug: str, key_id: str | None = None) -> None:
    """The request being served is one of this tenant's, by this key (called once the key is verified)."""
    notes = _notes.get()
    if notes is not None:
        notes.tenant = slug
        notes.key_id = key_id


def door_of(endpoint_module: str) -> str:
    """`incidenthub.adapters.<door>...` -> the door; the rest of incidenthub -> `native`; docs -> `-`."""
    if endpoint_module.startswith(_NOT_A_DOOR) or not endpoint_module.startswith("incidenthub."):
        return "-"
    parts = endpoint_module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "adapters" else "native"


def route_template(scope: Scope) -> str:
    """The matched route's path template, e.g. `/v1/incidents/{incident_id}`; `-` when no route matched.

    The router writes the matched route into the scope. A route of a router included with a prefix may know
    only its own part (`/incidents/{incident_id}`): the missing leading segments are the include prefix, which
    is the application's own static text (`/v1`, `/v1/external`), never a value from the request.
    """
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str) or not template:
        return "-"
    path: str = scope.get("path", "")
    if ":path}" not in template:  # a {name:path} parameter spans segments: nothing to count
        missing = path.rstrip("/").count("/") - template.rstrip("/").count("/")
        if missing > 0:
            template = "/".join(path.split("/")[: missing + 1]) + template
    return template


class RequestLog:
    """ASGI middleware writing `request method=... path=... status=... duration_ms=... door=... tenant=... key=...`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        notes = _RequestNotes()
        token = _notes.set(notes)
        started = time.perf_counter()
        status: int | None = None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        except BaseException:
            status = status or 500  # re-raised: the outermost handler answers 500
            raise
        finally:
            _notes.reset(token)
            route = scope.get("route")
            endpoint = getattr(route, "endpoint", None)
            log.info(
                "request method=%s path=%s status=%s duration_ms=%.1f door=%s tenant=%s key=%s",
                scope["method"],
                route_template(scope),
                status if status is not None else "-",
                (time.perf_counter() - started) * 1000,
                door_of(getattr(endpoint, "__module__", "") or ""),
                notes.tenant or "-",
                notes.key_id or "-",
            )
