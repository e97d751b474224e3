"""`GET /v1/whoami`: a key tells a client (the board) who it is, its scopes and its tenant."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import Api


def test_a_key_reads_itself_and_its_tenant_never_its_secret(api: Api, client: TestClient) -> None:
    headers = api.key(["incidents:read", "dispatch:read"], name="board")
    key = headers["Authorization"].removeprefix("Bearer ")
    for base in ("/v1", "/v1/external"):
        response = client.get(f"{base}/whoami", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["tenant"] == {"slug": "acme", "name": "Acme", "timezone": "UTC"}
        assert sorted(body["scopes"]) == ["dispatch:read", "incidents:read"]
        assert body["name"] == "board" and body["environment"] == "live"
        assert body["key_id"].startswith("key") and key.startswith(body["prefix"])
        assert body["revoked_at"] is None and body["expires_at"] is None
        secret = key.removeprefix(body["prefix"]).lstrip("_")
        assert secret and secret not in response.text


def test_another_tenants_key_sees_its_own_tenant(api: Api, client: TestClient) -> None:
    acme = client.get("/v1/whoami", headers=api.acme).json()
    globex = client.get("/v1/whoami", headers=api.globex).json()
    assert acme["tenant"]["slug"] == "acme" and globex["tenant"]["slug"] == "globex"
    assert globex["scopes"] == ["*"] and globex["key_id"] != acme["key_id"]


def test_a_key_with_no_scope_at_all_may_still_ask(api: Api, client: TestClient) -> None:
    # The board signs in with any key; what it then shows depends on the scopes read here.
    response = client.get("/v1/whoami", headers=api.key(["access:read"]))
    assert response.status_code == 200 and response.json()["scopes"] == ["access:read"]


def test_without_a_valid_key_it_is_401(api: Api, client: TestClient) -> None:
    missing = client.get("/v1/whoami")
    assert missing.status_code == 401 and missing.headers["content-type"] == "application/problem+json"
    bad = client.get("/v1/whoami", headers={"Authorization": "Bearer ih_live_nope_0000"})
    assert bad.status_code == 401
    key_id = client.get("/v1/whoami", headers=api.acme).json()["key_id"]
    other = api.key(["keys:manage"])
    assert client.delete(f"/v1/api-keys/{key_id}", headers=other).status_code == 200
    assert client.get("/v1/whoami", headers=api.acme).status_code == 401
