"""Sites: create, list, get, update; errors named by field; scopes; another tenant's site is 404."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.access_factories import site
from tests.factories import Api

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_create_get_list_and_update_a_site(api: Api, client: TestClient) -> None:
    created = site(client, api.acme, address="1 Palm Rd, Lekki", coordinates=[3.47, 6.44])
    assert created["site_id"].startswith("site_")
    assert created["timezone"] == "Africa/Lagos" and created["gates"] == ["main", "back"]
    assert created["coordinates"] == [3.47, 6.44] and STAMP.match(created["created_at"])

    fetched = client.get(f"/v1/sites/{created['site_id']}", headers=api.acme)
    assert fetched.status_code == 200 and fetched.json() == created
    # Sety's base path answers the same.
    assert client.get(f"/v1/external/sites/{created['site_id']}", headers=api.acme).json() == created

    second = site(client, api.acme, name="Head Office", gates=[])
    listed = client.get("/v1/sites", params={"limit": 1}, headers=api.acme).json()
    assert listed["total"] == 2 and listed["has_more"] is True and listed["page"] == 1 and listed["limit"] == 1
    assert listed["data"][0]["site_id"] == second["site_id"]  # newest first

    changed = client.patch(
        f"/v1/sites/{created['site_id']}", json={"gates": ["north"], "timezone": "Europe/London"}, headers=api.acme
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["gates"] == ["north"] and body["timezone"] == "Europe/London"
    assert body["name"] == "Palm Court Estate" and body["address"] == "1 Palm Rd, Lekki"  # untouched
    cleared = client.patch(f"/v1/sites/{created['site_id']}", json={"coordinates": None}, headers=api.acme).json()
    assert cleared["coordinates"] is None


def test_a_site_defaults_to_the_tenants_timezone(api: Api, client: TestClient, database) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import bearer, make_key, make_tenant

    make_tenant(database, "lagos", timezone="Africa/Lagos")
    key = bearer(make_key(database, "lagos", ["access:write"]))
    response = client.post("/v1/sites", json={"name": "Gate house"}, headers=key)
    assert response.status_code == 201 and response.json()["timezone"] == "Africa/Lagos"


def test_bad_site_input_is_refused_naming_the_field(api: Api, client: TestClient) -> None:
    cases = [
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": ""}, "name"),
        ({"name": "x", "gates": ["main", "main"]}, "gates"),
        ({"name": "x", "coordinates": [200, 1]}, "coordinates"),
        ({"name": "x", "gates": [""]}, "gates.0"),
    ]
    for body, field in cases:
        response = client.post("/v1/sites", json=body, headers=api.acme)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == 422 and problem["message"]
        assert field in [e["field"] for e in problem["errors"]], (body, problem)
    created = site(client, api.acme)
    response = client.patch(f"/v1/sites/{created['site_id']}", json={"timezone": "Nowhere/Land"}, headers=api.acme)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "timezone"
    # A null name, timezone or gates leaves them as they are.
    response = client.patch(f"/v1/sites/{created['site_id']}", json={"name": None, "gates": None}, headers=api.acme)
    assert response.status_code == 200 and response.json()["name"] == "Palm Court Estate"
    assert response.json()["gates"] == ["main", "back"]
    assert client.get("/v1/sites", headers=api.acme).json()["total"] == 1


def test_another_tenants_site_is_not_found(api: Api, client: TestClient) -> None:
    created = site(client, api.acme)
    path = f"/v1/sites/{created['site_id']}"
    assert client.get(path, headers=api.globex).status_code == 404
    answer = client.patch(path, json={"name": "Mine now"}, headers=api.globex)
    assert answer.status_code == 404 and answer.json()["code"] == 404
    assert client.get("/v1/sites", headers=api.globex).json()["total"] == 0
    assert client.get(path, headers=api.acme).json()["name"] == "Palm Court Estate"


def test_scopes_guard_sites(api: Api, client: TestClient) -> None:
    reader = api.key(["access:read"])
    other = api.key(["incidents:read", "incidents:write"])
    assert client.post("/v1/sites", json={"name": "x"}, headers=reader).status_code == 403
    assert client.get("/v1/sites", headers=other).status_code == 403
    assert client.get("/v1/sites", headers=reader).status_code == 200
    assert client.get("/v1/sites").status_code == 401
