"""FastAPI dependencies that turn an Authorization header into a Principal with the right scope.

A key this process verified in the last `key_cache_seconds` is taken from memory on the event loop: no
query and no thread. Otherwise the database is asked, in a worker thread, and the answer is remembered.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from math import inf

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from incidenthub import http_log
from incidenthub.audit import context as audit_context
from incidenthub.auth import limits
from incidenthub.auth import service as auth_service
from incidenthub.auth.service import Principal
from incidenthub.clock import utcnow
from incidenthub.errors import Unauthorized
from incidenthub.runtime import Runtime, runtime_of

bearer = HTTPBearer(auto_error=False, description="An incidenthub API key: `Authorization: Bearer ih_...`")


def _verify(runtime: Runtime, raw_key: str) -> Principal:
    """Ask the database; remember a key that verified (failures are not remembered)."""
    started = time.monotonic()  # the cache bound counts from before the read
    with runtime.database.read_sessions() as session:
        principal = auth_service.authenticate(session, raw_key)
    runtime.keys.put(raw_key, principal, started)
    return principal


def _touch(runtime: Runtime, principal: Principal) -> None:
    """Keep the key's last_used_at fresh: written at most once per interval by each process."""
    interval = runtime.settings.key_touch_interval_seconds
    stale = principal.last_used_at is None or utcnow() - principal.last_used_at > timedelta(seconds=interval)
    now = time.monotonic()
    if stale and now - runtime.key_touches.get(principal.key_id, -inf) >= interval:
        # Queued on the write path in a transaction of its own: the request does not wait for it, SQLite
        # keeps one writer, and no batch holds the key's row while it inserts (two PostgreSQL writers
        # could otherwise deadlock over it).
        runtime.key_touches[principal.key_id] = now
        key_id = principal.key_id
        runtime.writes.submit(lambda s: auth_service.touch_key(s, key_id), alone=True)


def principal_for_key(runtime: Runtime, raw_key: str) -> Principal:
    """Verify a key (from the cache, else the database); for callers already off the event loop."""
    principal = runtime.keys.get(raw_key) or _verify(runtime, raw_key)
    _touch(runtime, principal)
    http_log.note_tenant(principal.tenant_slug, principal.key_id)
    audit_context.note_key(principal.tenant_id, principal.key_id, principal.key_name)
    return principal


async def principal_for_key_async(runtime: Runtime, raw_key: str) -> Principal:
    """Verify a key: a cache hit stays on the event loop; only a miss queries, in a worker thread."""
    principal = runtime.keys.get(raw_key)
    if principal is None:
        principal = await run_in_threadpool(_verify, runtime, raw_key)
    _touch(runtime, principal)
    http_log.note_tenant(principal.tenant_slug, principal.key_id)
    audit_context.note_key(principal.tenant_id, principal.key_id, principal.key_name)
    return principal


def key_of(headers: Mapping[str, str]) -> str | None:
    """The API key of a request, in every header form the doors' clients send it.

    `Authorization: Bearer <key>` (native/Sety, Sonoran v2, DevRev), `Authorization: <key>` (DevRev's
    TypeScript SDK sends the bare token) and `Authentication: Bearer <key>` (GovWorx's documented
    spelling). Sonoran v1 sends its key inside the JSON body instead (`router_v1` reads it there).
    """
    for name in ("authorization", "authentication"):
        value = headers.get(name, "").strip()
        if not value:
            continue
        scheme, _, rest = value.partition(" ")
        if scheme.lower() == "bearer":
            return rest.strip() or None
        if name == "authorization" and not rest:
            return value
    return None


async def authenticated(request: Request, _scheme: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    """The caller of a request carrying its key in any accepted header form; 401 otherwise.

    Every authenticated request counts against its key's rate limit (auth/limits.py); a failed one against
    its address and key id. (`bearer` is there for the OpenAPI document's security scheme; the headers are
    read by `key_of`.)
    """
    key = key_of(request.headers)
    if key is None:
        raise Unauthorized("missing API key: send `Authorization: Bearer <key>`")
    runtime = runtime_of(request)
    try:
        principal = await principal_for_key_async(runtime, key)
    except Unauthorized as error:
        await limits.failed_async(runtime, error)  # 429 instead, once this address or key id is throttled
        raise
    await limits.admit_async(runtime, principal)  # counted against the key's limit; 429 past it
    return principal


def require(scope: str, *alternatives: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that answers 403 unless the caller's key holds `scope` (or an alternative)."""

    async def dependency(principal: Principal = Depends(authenticated)) -> Principal:
        principal.require(scope, *alternatives)
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency
