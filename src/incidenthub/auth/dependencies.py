"""FastAPI dependencies that turn an Authorization header into a Principal with the right scope."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

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
    interval = timedelta(seconds=runtime.settings.key_touch_interval_seconds)
    if principal.last_used_at is None or utcnow() - principal.last_used_at > interval:
        # Its own short transaction, not the group-committed write path: a key row locked inside a
        # batch would let two writers on PostgreSQL deadlock over it.
        with runtime.database.transaction() as session:
            auth_service.touch_key(session, principal.key_id)
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
