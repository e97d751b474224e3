"""GET /v1/audit: every write through every door names its key (id and name), door, address and what changed."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event, select

from incidenthub.adapters.devrev import service as devrev_service
from incidenthub.adapters.devrev.schemas import IncidentsCreateRequest
from incidenthub.app import register_writes
from incidenthub.audit import context as audit_context
from incidenthub.auth import service as auth_service
from incidenthub.db import DOOR, Database, WritePath
from incidenthub.incidents import batch
from incidenthub.incidents.commands import SourceIncident
from incidenthub.models import Incident, Tenant
from tests.factories import bearer
from tests.writes import WAIT_SECONDS

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
    uploaded = world.ok(
        client.put("/api/v1/external/incident", json=SEED, headers={"Authentication": acme["Authorization"]})
    )
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
            json={
                "origin": 0,
                "status": 1,
                "priority": 1,
                "address": "Mission Row",
                "title": "Robbery",
                "communityUserIds": [],
            },
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
    world.ok(
        client.post("/incidents.update", json={"id": created["incident"]["id"], "title": "Big outage"}, headers=acme)
    )
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
    code = world.ok(
        client.post("/v1/access-codes", json={"site_id": site["site_id"], "visitor": visitor}, headers=acme), 201
    )
    _is(world.last(), world, "native", "/v1/access-codes", record_id=code["access_code_id"])
    place = {"name": "Station", "type": "police_station", "location": {"coordinates": [3.38, 6.52]}}
    made = world.ok(client.post("/v1/safety/places", json=place, headers=acme), 201)
    _is(world.last(), world, "native", "/v1/safety/places", record_id=made["place_id"])
    writes += 5

    # API keys: the new key is named by its id; its secret is in no entry (checked below)
    body = {"name": "cad", "scopes": ["incidents:read"], "environment": "test"}
    issued = world.ok(client.post("/v1/api-keys", json=body, headers=acme), 201)
    _is(world.last(), world, "native", "/v1/api-keys", record_id=issued["key_id"], events=["api_key_created"])
    world.ok(client.delete(f"/v1/api-keys/{issued['key_id']}", headers=acme))
    _is(world.last(), world, "native", "/v1/api-keys/{key_id}", record_id=issued["key_id"], events=["api_key_revoked"])
    writes += 2

    entries = world.entries()
    assert len({e["write_id"] for e in entries}) == writes
    # Never a secret, a phone number, a name or a body's text in any entry.
    text = json.dumps(entries)
    secrets = [world.secret, world.secret.rsplit("_", 2)[1], PHONE, "Amaka Obi", "Chidi Okeke", "Jane"]
    secrets += [SEED["callerNumber"], code["code"], code["token"], "Mission Row", "Outage", issued["key"]]
    for secret in secrets:
        assert str(secret) not in text, secret


def _write(world: World, headers: dict[str, str] | None = None) -> str:
    response = world.client.post("/v1/incidents", json={"category": "sos"}, headers=headers or world.acme)
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["incident"]["incident_id"]
    return incident_id


def test_a_devrev_delete_stays_on_record_after_the_incident_is_gone(world: World) -> None:
    created = world.ok(world.client.post("/incidents.create", json={"title": "x"}, headers=world.acme), 201)
    incident_id = world.last()["incident_id"]
    world.ok(world.client.post("/incidents.delete", json={"id": created["incident"]["id"]}, headers=world.acme))
    assert world.client.get(f"/v1/incidents/{incident_id}", headers=world.acme).status_code == 404
    trail = world.entries(incident_id=incident_id)
    assert [(e["route"], e["events"]) for e in trail] == [
        ("/incidents.delete", ["deleted"]),
        ("/incidents.create", ["created"]),
    ]
    assert {e["key_id"] for e in trail} == {world.key_id}


def test_filters_and_pages_newest_first(world: World) -> None:
    first = _write(world)
    second = _write(world, bearer(world.other_secret))
    world.ok(world.client.post(f"/v1/incidents/{first}/notes", json={"note": "n"}, headers=world.acme), 201)
    world.ok(world.client.post("/incidents.create", json={"title": "x"}, headers=world.acme), 201)

    everything = world.entries()
    assert [e["route"] for e in everything] == [
        "/incidents.create",
        "/v1/incidents/{incident_id}/notes",
        "/v1/incidents",
        "/v1/incidents",
    ]
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert [e["incident_id"] for e in world.entries(key_id=world.other_key_id)] == [second]
    assert {e["key_name"] for e in world.entries(key_id=world.other_key_id)} == {"second-bridge"}
    assert [e["route"] for e in world.entries(incident_id=first)] == [
        "/v1/incidents/{incident_id}/notes",
        "/v1/incidents",
    ]
    assert [e["door"] for e in world.entries(door="devrev")] == ["devrev"]
    assert world.entries(door="govworx") == []
    middle = everything[2]["at"]
    assert [e["id"] for e in world.entries(from_date=middle)] == [e["id"] for e in everything[:3]]
    assert [e["id"] for e in world.entries(to_date=middle)] == [e["id"] for e in everything[2:]]
    assert world.entries(from_date="2999-01-01T00:00:00Z") == []

    page = world.ok(world.audit(limit=3, page=1))
    assert (page["page"], page["limit"], page["total"], page["has_more"]) == (1, 3, 4, True)
    last = world.ok(world.audit(limit=3, page=2))
    assert ([e["id"] for e in last["data"]], last["has_more"]) == ([everything[3]["id"]], False)
    backwards = world.audit(from_date="2026-02-01T00:00:00Z", to_date="2026-01-01T00:00:00Z")
    assert backwards.status_code == 422 and "from_date" in backwards.text
    assert world.audit(from_date="1700000000").status_code == 422  # a number is not an ISO time


def test_another_tenants_trail_is_invisible_and_keys_manage_is_required(world: World) -> None:
    _write(world)
    globex = bearer(world.globex)
    _write(world, globex)
    theirs = world.ok(world.audit(globex))
    assert theirs["total"] == 1 and theirs["data"][0]["key_name"] == "globex-admin"
    assert world.ok(world.audit(globex, key_id=world.key_id))["total"] == 0
    assert world.ok(world.audit())["total"] == 1

    refused = world.audit(bearer(world.writer))
    assert refused.status_code == 403 and "keys:manage" in refused.json()["detail"]
    assert world.audit({}).status_code == 401
    assert world.audit(bearer("ih_notakey_at_all")).status_code == 401


def test_a_refused_write_leaves_no_entry(world: World) -> None:
    incident_id = _write(world)
    before = world.ok(world.audit())["total"]
    client, acme = world.client, world.acme
    refusals = [
        client.post("/v1/incidents/inc_nope/notes", json={"note": "x"}, headers=acme),  # 404
        client.post(f"/v1/incidents/{incident_id}/notes", json={}, headers=acme),  # 422
        client.post(f"/v1/incidents/{incident_id}/status", json={"status": "created"}, headers=bearer(world.globex)),
        client.post("/v1/units", json={"call_sign": "A"}, headers=bearer(world.writer)),  # 403
        client.post("/incidents.update", json={"id": "INC-99", "title": "t"}, headers=acme),  # 404
        client.post("/v1/incidents", json={"category": "sos"}, headers=bearer("ih_notakey_at_all")),  # 401
    ]
    assert [r.status_code for r in refusals] == [404, 422, 404, 403, 404, 401]
    world.ok(client.post(f"/v1/incidents/{incident_id}/cancel", headers=acme))
    again = client.post(f"/v1/incidents/{incident_id}/cancel", headers=acme)
    assert again.status_code == 409
    sonoran = client.post("/emergency/new_dispatch", json={"id": "NOPE", "key": world.secret, "data": []})
    assert sonoran.status_code == 400
    assert world.ok(world.audit())["total"] == before + 1  # the one cancel that was done
    assert world.last()["route"] == "/v1/incidents/{incident_id}/cancel"


def _queued_by(key_id: str, tenant_id: str, submit: Callable[[], Future[Any]]) -> Future[Any]:
    """Queue a write as a request of this key would (through the native door, from 10.0.0.7)."""

    def as_request() -> Future[Any]:
        DOOR.set("native")
        audit_context.enter_request("10.0.0.7", "POST", "/v1/incidents", ())
        audit_context.note_key(tenant_id, key_id, f"name of {key_id}")
        return submit()

    return contextvars.copy_context().run(as_request)


def test_writes_of_two_keys_applied_in_one_set_based_batch_each_get_their_own_entry(
    world: World, database: Database
) -> None:
    with database.read_sessions() as session:
        acme = session.scalars(select(Tenant.id).where(Tenant.slug == "acme")).one()
    writes = WritePath(database)
    register_writes(writes)

    def upsert(sys_id: str, tenant_id: str = acme) -> Callable[[], Future[Any]]:
        command = SourceIncident(source="govworx", external_id=sys_id, fields={"number": sys_id}, raw={"sysId": sys_id})
        return lambda: writes.submit_batched(batch.UPSERT, batch.Upsert(tenant_id, command))

    def devrev(key_id: str, title: str) -> Callable[[], Future[Any]]:
        caller = devrev_service.Caller(acme, "acme", key_id)
        body = {"title": title}
        request = IncidentsCreateRequest.model_validate(body)
        return lambda: writes.submit_batched(devrev_service.CREATE, devrev_service.Create(caller, request, body))

    queued = {
        "a1": _queued_by("key_a", acme, upsert("A1")),
        "b1": _queued_by("key_b", acme, upsert("B1")),
        "a2": _queued_by("key_a", acme, upsert("A2")),
        "da": _queued_by("key_a", acme, devrev("key_a", "from a")),
        "db": _queued_by("key_b", acme, devrev("key_b", "from b")),
    }
    audit_statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "audit_entries" in statement:
            audit_statements.append(statement)

    event.listen(database.write_engine, "before_cursor_execute", seen)
    writes.start()  # all queued first: one batch, each kind applied by one call of its set-based handler
    try:
        upserted = {name: queued[name].result(timeout=WAIT_SECONDS).result.incident_id for name in ("a1", "b1", "a2")}
        for name in ("da", "db"):
            queued[name].result(timeout=WAIT_SECONDS)
        assert writes.batches == 1
        # The five writes' entries cost the commit one statement.
        assert len(audit_statements) == 1 and audit_statements[0].lstrip().upper().startswith("INSERT")
        event.remove(database.write_engine, "before_cursor_execute", seen)
        # A refused write beside another: the batch runs again one write at a time; only the other is recorded.
        writes.stop()
        refused = _queued_by("key_b", acme, upsert("BAD", "ten_missing"))  # a foreign key breaks
        beside = _queued_by("key_a", acme, upsert("A3"))
        writes.start()
        upserted["a3"] = beside.result(timeout=WAIT_SECONDS).result.incident_id
        assert refused.exception(timeout=WAIT_SECONDS) is not None
        # The same upload again changes nothing, and is still on record as the key's write.
        repeat = _queued_by("key_b", acme, upsert("A1")).result(timeout=WAIT_SECONDS)
        assert not repeat.result.created and not repeat.result.changed
    finally:
        writes.stop()

    with database.read_sessions() as session:
        rows = session.execute(select(Incident.title, Incident.id).where(Incident.source == "devrev")).all()
        dons: dict[str, str] = {row[0]: row[1] for row in rows}
    entries = world.entries()
    assert all(e["address"] == "10.0.0.7" and e["door"] == "native" for e in entries)
    by = [(e["key_id"], e["incident_id"], e["events"]) for e in reversed(entries)]
    assert sorted(by[:5]) == sorted(
        [
            ("key_a", upserted["a1"], ["created"]),
            ("key_b", upserted["b1"], ["created"]),
            ("key_a", upserted["a2"], ["created"]),
            ("key_a", dons["from a"], ["created"]),
            ("key_b", dons["from b"], ["created"]),
        ]
    )
    assert by[5:] == [("key_a", upserted["a3"], ["created"]), ("key_b", upserted["a1"], [])]
    assert {e["key_name"] for e in entries} == {"name of key_a", "name of key_b"}
