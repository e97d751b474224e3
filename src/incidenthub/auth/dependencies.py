"""FastAPI dependencies that turn an Authorization header into a Principal with the right scope."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from math import inf

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from incidenthub.auth import service as auth_service
from incidenthub.auth.service import Principal
from incidenthub.clock import utcnow
from incidenthub.errors import Unauthorized
from incidenthub.runtime import Runtime, runtime_of

bearer = HTTPBearer(auto_error=False, description="An incidenthub API key: `Authorization: Bearer ih_...`")


def principal_for_key(runtime: Runtime, raw_key: str) -> Principal:
    """Verify a key and keep its last_used_at fresh (written at most once per interval)."""
    with runtime.database.read_sessions() as session:
        principal = auth_service.authenticate(session, raw_key)
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
    return principal


def authenticated(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    """The caller of a request carrying `Authorization: Bearer <key>`; 401 otherwise."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("missing API key: send `Authorization: Bearer <key>`")
    return principal_for_key(runtime_of(request), credentials.credentials)


def require(scope: str, *alternatives: str) -> Callable[..., Principal]:
    """A dependency that answers 403 unless the caller's key holds `scope` (or an alternative)."""

    def dependency(principal: Principal = Depends(authenticated)) -> Principal:
        principal.require(scope, *alternatives)
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency
