"""GET /v1/audit: every write through every door names its key (id and name), door, address and what changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from tests.factories import bearer

SEED: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "govworx_seed_example.json").read_text())
PHONE = "+2348012345678"
SOS = {
    "category": "sos",
    "severity": "critical",
    "subject": {"name": "Amaka Obi", "phone": PHONE, "reference": "TRIP-44821"},
    "location": {"coordinates": [3.3792, 6.5244], "address": "14 Bourdillon Road, Ikoyi, Lagos"},
}
COMMUNITY = "ACME-COMMUNITY"


class World:
    """Tenant acme (also a Sonoran community) with a named all-scope key, and tenant globex."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self.client = client
        with database.transaction() as session:
            auth_service.create_tenant(session, "Acme", "acme", "UTC", COMMUNITY)
            auth_service.create_tenant(session, "Globex", "globex", "UTC")
            issued = auth_service.create_key(session, "acme", ["*"], name="cad-bridge")
            self.secret, self.key_id = issued.secret, issued.key.id
            other = auth_service.create_key(session, "acme", ["*"], name="second-bridge")
            self.other_secret, self.other_key_id = other.secret, other.key.id
            self.writer = auth_service.create_key(session, "acme", ["incidents:write", "incidents:read"]).secret
            self.globex = auth_service.create_key(session, "globex", ["*"], name="globex-admin").secret
        self.acme = bearer(self.secret)

    def audit(self, headers: dict[str, str] | None = None, **params: Any) -> Response:
        return self.client.get("/v1/audit", params=params, headers=self.acme if headers is None else headers)

    def entries(self, **params: Any) -> list[dict[str, Any]]:
        response = self.audit(limit=100, **params)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def last(self) -> dict[str, Any]:
        """The entries of the newest write (one write may change several records)."""
        entries = self.entries()
        newest = [e for e in entries if e["write_id"] == entries[0]["write_id"]]
        assert len(newest) == 1, newest
        return newest[0]

    def ok(self, response: Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None


@pytest.fixture
def world(client: TestClient, database: Database) -> World:
    return World(client, database)


def _is(entry: dict[str, Any], world: World, door: str, route: str, **expected: Any) -> None:
    assert entry["key_id"] == world.key_id and entry["key_name"] == "cad-bridge", entry
    assert entry["door"] == door and entry["route"] == route, entry
    assert entry["address"] == "testclient", entry  # the client address Starlette's test client connects from
    assert entry["at"].endswith("Z"), entry
    for name, value in expected.items():
        assert entry[name] == value, (name, entry)


def test_a_write_through_each_door_is_recorded_with_its_key_door_address_and_what_changed(world: World) -> None:
    client, acme = world.client, world.acme
    writes = 0

    # native: create, note (the client's author stays the note's author; the audit names the key), status, cancel
    incident_id = world.ok(client.post("/v1/incidents", json=SOS, headers=acme), 201)["incident"]["incident_id"]
    _is(world.last(), world, "native", "/v1/incidents", incident_id=incident_id, events=["created"])
    note = world.ok(
        client.post(f"/v1/incidents/{incident_id}/notes", json={"note": "x", "author": "Jane"}, headers=acme), 201
    )
    assert note["author"] == "Jane"
    _is(
        world.last(),
        world,
        "native",
        "/v1/incidents/{incident_id}/notes",
        incident_id=incident_id,
        record_id=note["note_id"],
        events=["note_added"],
    )
    world.ok(client.post(f"/v1/incidents/{incident_id}/status", json={"status": "dispatching"}, headers=acme))
    _is(world.last(), world, "native", "/v1/incidents/{incident_id}/status", incident_id=incident_id)
    assert world.last()["events"] == ["dispatching"]
    writes += 3

    # dispatch: assignment (and its PATCH), unit create, PATCH, status, location
    assignment = world.ok(
        client.post(f"/v1/incidents/{incident_id}/assignments", json={"call_sign": "E-1"}, headers=acme), 201
    )
    _is(world.last(), world, "native", "/v1/incidents/{incident_id}/assignments", incident_id=incident_id)
    assignment_id = assignment["assignment_id"]
    world.ok(
        client.patch(
            f"/v1/incidents/{incident_id}/assignments/{assignment_id}", json={"status": "enroute"}, headers=acme
        )
    )
    _is(world.last(), world, "native", "/v1/incidents/{incident_id}/assignments/{assignment_id}")
    assert world.last()["incident_id"] == incident_id
    world.ok(client.post(f"/v1/incidents/{incident_id}/cancel", json={"reason": "hoax"}, headers=acme))
    _is(world.last(), world, "native", "/v1/incidents/{incident_id}/cancel", incident_id=incident_id)
    assert "cancelled" in world.last()["events"]
    unit = world.ok(client.post("/v1/units", json={"call_sign": "L-9"}, headers=acme), 201)
    unit_id = unit["unit_id"]
    _is(world.last(), world, "native", "/v1/units", record_id=unit_id, events=["unit_created"])
    world.ok(client.patch(f"/v1/units/{unit_id}", json={"name": "Ladder 9"}, headers=acme))
    _is(world.last(), world, "native", "/v1/units/{unit_id}", record_id=unit_id, fields=["name"])
    world.ok(client.post(f"/v1/units/{unit_id}/status", json={"status": "busy"}, headers=acme))
    _is(world.last(), world, "native", "/v1/units/{unit_id}/status", record_id=unit_id, fields=["status"])
    world.ok(client.post(f"/v1/units/{unit_id}/location", json={"latitude": 6.5, "longitude": 3.4}, headers=acme))
    _is(world.last(), world, "native", "/v1/units/{unit_id}/location", record_id=unit_id, fields=["location"])
    writes += 7

    # GovWorx upload
    uploaded = world.ok(client.put("/api/v1/external/incident", json=SEED, headers={"Authentication": acme["Authorization"]}))
    _is(world.last(), world, "govworx", "/api/v1/external/incident", incident_id=uploaded["id"], events=["created"])
    writes += 1

    # EIDO import (of the uploaded incident's EIDO document)
    document = world.ok(client.get(f"/v1/incidents/{uploaded['id']}/eido", headers=acme))
    response = client.post("/v1/eido", json=document, headers=acme)
    assert response.status_code in (200, 201), response.text
    imported = response.json()
    entry = world.last()
    _is(entry, world, "eido", "/v1/eido")
    assert entry["incident_id"] is not None and entry["incident_id"] in json.dumps(imported)
    writes += 1

    # Sonoran v1 (key in the body) and v2
    v1 = {"id": COMMUNITY, "key": world.secret, "type": "NEW_DISPATCH"}
    text = client.post("/emergency/new_dispatch", json={**v1, "data": [{"title": "Fire", "priority": 2}]}).text
    call_id = int(text.rsplit(" ", 1)[1])
    found = world.ok(client.get(f"/v1/incidents?source=sonoran&external_id={call_id}", headers=acme))["data"]
    _is(world.last(), world, "sonoran", "/emergency/{name}", incident_id=found[0]["incident_id"])
    panic = client.post(
        "/emergency/unit_panic", json={**v1, "type": "UNIT_PANIC", "data": [{"apiId": "STEAM:1", "isPanic": True}]}
    )
    assert panic.text == "UNIT PANIC UPDATED", panic.text
    assert world.last()["events"] == ["unit_panic"] and world.last()["fields"] == ["panic"]
    located = client.post(
        "/emergency/unit_location",
        json={**v1, "type": "UNIT_LOCATION", "data": [{"apiId": "STEAM:1", "location": "Mission Row"}]},
    )
    assert located.text == "UNIT LOCATION UPDATED", located.text
    _is(world.last(), world, "sonoran", "/emergency/{name}", events=["unit_location"], fields=["location"])
    v2_call = world.ok(
        client.post(
            "/v2/emergency/servers/1/dispatch-calls",
            json={"origin": 0, "status": 1, "priority": 1, "address": "Mission Row", "title": "Robbery", "communityUserIds": []},
            headers=acme,
        ),
        201,
    )
    found = world.ok(client.get(f"/v1/incidents?source=sonoran&external_id={v2_call['callId']}", headers=acme))
    _is(
        world.last(),
        world,
        "sonoran",
        "/v2/emergency/servers/{serverId}/dispatch-calls",
        incident_id=found["data"][0]["incident_id"],
        events=["created"],
    )
    servers = {"servers": [{"id": 1, "name": "Main"}], "deployMap": False}
    world.ok(client.put("/v2/general/servers", json=servers, headers=acme))
    _is(world.last(), world, "sonoran", "/v2/general/servers", incident_id=None, fields=["servers", "deployMap"])
    writes += 5

    # DevRev: create, update, delete (the delete is on record though the incident is gone)
    created = world.ok(client.post("/incidents.create", json={"title": "Outage", "severity": 1}, headers=acme), 201)
    devrev_incident = world.last()["incident_id"]
    _is(world.last(), world, "devrev", "/incidents.create", events=["created"])
    world.ok(client.post("/incidents.update", json={"id": created["incident"]["id"], "title": "Big outage"}, headers=acme))
    _is(world.last(), world, "devrev", "/incidents.update", incident_id=devrev_incident, fields=["title"])
    world.ok(client.post("/incidents.delete", json={"id": created["incident"]["id"]}, headers=acme))
    _is(world.last(), world, "devrev", "/incidents.delete", incident_id=devrev_incident, events=["deleted"])
    settings = world.ok(client.get("/v1/devrev/settings", headers=acme))
    world.ok(client.put("/v1/devrev/settings", json=settings, headers=acme))
    _is(world.last(), world, "devrev", "/v1/devrev/settings", incident_id=None)
    assert set(world.last()["fields"]) == set(settings)
    fragment = world.ok(
        client.post(
            "/v1/custom-schemas",
            json={"kind": "tenant_fragment", "fields": [{"name": "region", "type": "text"}]},
            headers=acme,
        ),
        201,
    )
    _is(world.last(), world, "devrev", "/v1/custom-schemas", record_id=fragment["id"])
    writes += 5

    # webhooks, access, intel
    hook = world.ok(
        client.post("/v1/webhooks", json={"url": "https://93.184.216.34/hook", "events": ["incident.*"]}, headers=acme),
        201,
    )
    world.ok(client.patch(f"/v1/webhooks/{hook['webhook_id']}", json={"active": False}, headers=acme))
    _is(world.last(), world, "native", "/v1/webhooks/{webhook_id}", record_id=hook["webhook_id"], fields=["active"])
    site = world.ok(client.post("/v1/sites", json={"name": "Palm Court", "gates": ["main"]}, headers=acme), 201)
    _is(world.last(), world, "native", "/v1/sites", record_id=site["site_id"])
    visitor = {"name": "Chidi Okeke", "phone": PHONE}
    code = world.ok(client.post("/v1/access-codes", json={"site_id": site["site_id"], "visitor": visitor}, headers=acme), 201)
    _is(world.last(), world, "native", "/v1/access-codes", record_id=code["access_code_id"])
    place = {"name": "Station", "type": "police_station", "location": {"coordinates": [3.38, 6.52]}}
    made = world.ok(client.post("/v1/safety/places", json=place, headers=acme), 201)
    _is(world.last(), world, "native", "/v1/safety/places", record_id=made["place_id"])
    writes += 5

    entries = world.entries()
    assert len({e["write_id"] for e in entries}) == writes
    # Never a secret, a phone number, a name or a body's text in any entry.
    text = json.dumps(entries)
    secrets = [world.secret, world.secret.split("_")[1], PHONE, "Amaka Obi", "Chidi Okeke", "Jane"]
    secrets += [SEED["callerNumber"], code["code"], code["token"], "Mission Row", "Outage"]
    for secret in secrets:
        assert str(secret) not in text, secret
