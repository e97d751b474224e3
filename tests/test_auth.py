"""API keys: 401 for missing or bad keys, 403 without the scope, 404 across tenants."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from incidenthub.app import create_app
from incidenthub.auth import service as auth_service
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.models import ApiKey
from tests.factories import Api, bearer, make_key, make_tenant


def _endpoints(incident_id: str) -> list[tuple[str, str, dict | None, str]]:  # type: ignore[type-arg]
    """Every incident endpoint: method, path, body, scope it needs."""
    return [
        ("POST", "/v1/incidents", {"category": "sos"}, "incidents:write"),
        ("GET", "/v1/incidents", None, "incidents:read"),
        ("GET", f"/v1/incidents/{incident_id}", None, "incidents:read"),
        ("POST", f"/v1/incidents/{incident_id}/notes", {"note": "n"}, "incidents:write"),
        ("POST", f"/v1/incidents/{incident_id}/cancel", {}, "incidents:write"),
        ("POST", f"/v1/incidents/{incident_id}/status", {"status": "dispatching"}, "incidents:write"),
    ]


def _call(api: Api, method: str, path: str, body: dict | None, headers: dict[str, str]):  # type: ignore[no-untyped-def,type-arg]
    return api.client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer ih_AAAAAAAAAAAA_notthesecretatallnotthesecretatall0"},
    ],
)
def test_missing_or_bad_key_is_401_everywhere(api: Api, headers: dict[str, str]) -> None:
    incident_id = api.create_id()
    for method, path, body, _scope in _endpoints(incident_id):
        response = _call(api, method, path, body, headers)
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == 401
    assert api.total() == 1
    assert api.incident(incident_id)["revision"] == 1


def test_key_with_a_wrong_secret_is_401(api: Api) -> None:
    real = api.acme["Authorization"].removeprefix("Bearer ")
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    assert api.client.get("/v1/incidents", headers=bearer(forged)).status_code == 401


def test_key_without_the_scope_is_403_and_changes_nothing(api: Api) -> None:
    incident_id = api.create_id()
    unrelated = api.key(["dispatch:read", "intel:read"])
    for method, path, body, scope in _endpoints(incident_id):
        response = _call(api, method, path, body, unrelated)
        assert response.status_code == 403, (method, path)
        assert scope in response.json()["detail"]
    reader = api.key(["incidents:read"])
    for method, path, body, scope in _endpoints(incident_id):
        expected_ok = scope == "incidents:read"
        response = _call(api, method, path, body, reader)
        assert (response.status_code < 300) == expected_ok, (method, path, response.status_code)
    assert api.total() == 1
    assert api.incident(incident_id)["revision"] == 1


def test_write_scope_alone_can_create(api: Api) -> None:
    assert api.create(headers=api.key(["incidents:write"])).status_code == 201


def test_another_tenants_incident_is_404_on_every_endpoint(api: Api) -> None:
    theirs = api.create_id({"category": "sos", "title": "acme secret"})  # acme's incident; globex asks
    for method, path, body, _scope in _endpoints(theirs)[2:]:
        response = _call(api, method, path, body, api.globex)
        assert response.status_code == 404, (method, path)
        assert "acme secret" not in response.text
    listed = api.client.get("/v1/incidents", headers=api.globex).json()
    assert listed["total"] == 0 and listed["data"] == []
    by_key = api.client.get("/v1/incidents?source=native", headers=api.globex).json()
    assert by_key["data"] == []
    incident = api.incident(theirs)
    assert incident["revision"] == 1 and incident["status"] == "created" and incident["notes"] == []


def test_revoked_key_is_401(api: Api, database: Database) -> None:
    headers = api.key(["*"])
    assert api.client.get("/v1/incidents", headers=headers).status_code == 200
    with database.transaction() as session:
        key_id = session.scalars(select(ApiKey.id).order_by(ApiKey.created_at.desc())).first()
        auth_service.revoke_key(session, key_id)  # type: ignore[arg-type]
    assert api.client.get("/v1/incidents", headers=headers).status_code == 401


def test_expired_key_is_401(api: Api, database: Database) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    headers = api.key(["*"], expires_at=soon)
    assert api.client.get("/v1/incidents", headers=headers).status_code == 200
    with database.transaction() as session:
        session.execute(update(ApiKey).where(ApiKey.expires_at.is_not(None)).values(expires_at=datetime.now(UTC)))
    assert api.client.get("/v1/incidents", headers=headers).status_code == 401


def test_keys_are_stored_hashed_and_last_use_is_recorded(api: Api, database: Database) -> None:
    secret = api.acme["Authorization"].removeprefix("Bearer ")
    api.client.get("/v1/incidents", headers=api.acme)
    # The last-use write is queued on the write path; a later write is committed after it.
    assert api.create().status_code == 201
    with database.read_sessions() as session:
        keys = list(session.scalars(select(ApiKey)))
    stored = " ".join(f"{k.prefix} {k.secret_hash} {k.name}" for k in keys)
    assert secret not in stored
    assert secret.rsplit("_", 2)[2] not in stored
    assert len(secret.rsplit("_", 2)[2]) >= 22  # >= 128 bits of base62
    assert any(k.last_used_at is not None for k in keys)


# The key cache (on in production, off in the other tests): a verified key is served from memory for
# `key_cache_seconds`, then verified again; its own expires_at holds on every request.


def _key_id(database: Database, secret: str) -> str:
    with database.read_sessions() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == secret.rsplit("_", 2)[1]))
    assert key is not None
    return key.id


def test_cached_key_stops_working_within_the_cache_bound_after_revocation(database_url: str) -> None:
    bound = 1.0
    database = Database(database_url)
    with TestClient(create_app(Settings(database_url=database_url, key_cache_seconds=bound))) as client:
        make_tenant(database, "acme")
        secret = make_key(database, "acme", ["*"])
        assert client.get("/v1/incidents", headers=bearer(secret)).status_code == 200
        with database.transaction() as session:
            auth_service.revoke_key(session, _key_id(database, secret))
        revoked = time.monotonic()
        # Within the bound the process still trusts what it verified: no query per request...
        assert client.get("/v1/incidents", headers=bearer(secret)).status_code == 200
        # ...but a different secret under the same key id is never taken from the cache.
        assert client.get("/v1/incidents", headers=bearer(secret[:-4] + "AAAA")).status_code == 401
        while client.get("/v1/incidents", headers=bearer(secret)).status_code == 200:
            assert time.monotonic() - revoked < bound + 0.5, "revoked key still accepted past the cache bound"
            time.sleep(0.05)
        assert all(client.get("/v1/incidents", headers=bearer(secret)).status_code == 401 for _ in range(5))
    database.dispose()


def test_cached_key_is_refused_the_moment_it_expires(database_url: str) -> None:
    database = Database(database_url)
    settings = Settings(database_url=database_url, key_cache_seconds=300, key_touch_interval_seconds=0)
    with TestClient(create_app(settings)) as client:
        make_tenant(database, "acme")
        expires = datetime.now(UTC) + timedelta(seconds=1.5)
        secret = make_key(database, "acme", ["*"], expires_at=expires)
        assert client.get("/v1/incidents", headers=bearer(secret)).status_code == 200
        with database.transaction() as session:  # forget when it was used: the next use must record it
            session.execute(update(ApiKey).values(last_used_at=None))
        # From the cache; the write is committed after the last-use write its own authentication queued.
        assert client.post("/v1/incidents", json={"category": "sos"}, headers=bearer(secret)).status_code == 201
        with database.read_sessions() as session:
            assert session.scalar(select(ApiKey.last_used_at)) is not None
        time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
        assert client.get("/v1/incidents", headers=bearer(secret)).status_code == 401
    database.dispose()
