"""Issue 11, the outbox: every change of state is an event, written with the change, whatever door made it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from incidenthub.db import Database
from incidenthub.events.repository import envelope
from incidenthub.incidents import service as incident_service
from incidenthub.incidents.schemas import NoteCreate
from incidenthub.models import OutboxEvent, Tenant
from tests import access_factories as access
from tests.test_one_record_many_doors import Doors


def events(database: Database, slug: str = "metro") -> list[dict[str, Any]]:
    with database.read_sessions() as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id).order_by(OutboxEvent.seq))
        return [envelope(row) for row in rows]


def types(found: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in found]


def test_a_native_incident_through_its_lifecycle(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    made = client.post("/v1/incidents", json={"category": "sos", "title": "Panic"}, headers=doors.native)
    assert made.status_code == 201
    incident_id = made.json()["incident"]["incident_id"]
    created = events(database)
    assert types(created) == ["incident.created"]
    first = created[0]
    assert (first["seq"], first["source"], first["resource_type"], first["resource_id"], first["incident_id"]) == (
        1,
        "native",
        "incident",
        incident_id,
        incident_id,
    )
    read = doors.read(incident_id)
    # The state as the native API shows it, but for the timeline (the events are the timeline).
    assert first["data"]["object"] == {k: v for k, v in read.items() if k not in ("timeline", "sla")}
    assert first["id"].startswith("evt_") and first["timestamp"].endswith("Z")

    noted = client.post(f"/v1/incidents/{incident_id}/notes", json={"note": "Caller safe"}, headers=doors.native)
    assert noted.status_code == 201
    moved = client.post(f"/v1/incidents/{incident_id}/status", json={"status": "dispatching"}, headers=doors.native)
    assert moved.status_code == 200
    resolved = client.post(f"/v1/incidents/{incident_id}/status", json={"status": "resolved"}, headers=doors.native)
    assert resolved.status_code == 200
    # A refused change (a resolved incident cannot be cancelled) writes nothing, so it says nothing.
    assert client.post(f"/v1/incidents/{incident_id}/cancel", json={}, headers=doors.native).status_code == 409

    found = events(database)
    assert types(found) == [
        "incident.created",
        "incident.note_added",
        "incident.status_changed",
        "incident.status_changed",
        "incident.resolved",
    ]
    assert [e["seq"] for e in found] == [1, 2, 3, 4, 5]
    assert found[1]["data"]["note_id"] == noted.json()["note_id"]
    assert found[1]["data"]["object"]["notes"][0]["note"] == "Caller safe"
    assert {k: found[2]["data"][k] for k in ("from", "to")} == {"from": "created", "to": "dispatching"}
    assert {k: found[3]["data"][k] for k in ("from", "to")} == {"from": "dispatching", "to": "resolved"}
    assert found[4]["data"]["object"]["status"] == "resolved"


def test_cancel_says_where_from(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    made = client.post("/v1/incidents", json={"category": "sos"}, headers=doors.native).json()["incident"]
    assert client.post(f"/v1/incidents/{made['incident_id']}/cancel", json={}, headers=doors.native).status_code == 200
    found = events(database)
    assert types(found) == ["incident.created", "incident.status_changed", "incident.cancelled"]
    assert found[2]["data"]["from"] == "created" and found[2]["data"]["object"]["status"] == "cancelled"


def test_govworx_unchanged_repeat_says_nothing_and_a_change_says_what(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    incident_id = doors.govworx()
    created = events(database)
    assert types(created) == ["incident.created"] and created[0]["source"] == "govworx"
    assert created[0]["data"]["object"]["responders"], "the seed's units are part of the new state"
    # Built from what the set-based insert wrote, it is what a read of the incident shows.
    assert created[0]["data"]["object"] == {
        k: v for k, v in doors.read(incident_id).items() if k not in ("timeline", "sla")
    }

    doors.govworx()  # the same sysId and body again
    assert len(events(database)) == 1

    doors.govworx(incidentType="Structure Fire")
    changed = events(database)[1:]
    assert types(changed) == ["incident.updated"]
    assert changed[0]["data"]["changed"]["incident_type"]["to"] == "Structure Fire"
    assert changed[0]["data"]["object"]["incident_type"] == "Structure Fire"
    assert changed[0]["resource_id"] == incident_id

    doors.govworx(incidentType="Structure Fire", relatedSysId="INC-2026-000999")
    linked = events(database)[2:]
    assert types(linked) == ["incident.updated", "incident.linked"]
    assert linked[1]["data"]["added"] == ["INC-2026-000999"]
    assert linked[1]["data"]["object"]["related_incidents"][0]["external_id"] == "INC-2026-000999"


def test_sonoran_and_devrev_creates_come_out_alike(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    incident_id = doors.sonoran({"title": "Traffic Stop", "priority": 2, "code": "10-39 - Traffic Stop"})
    doors.devrev({"title": "Checkout down"})
    found = events(database)
    assert [(e["type"], e["source"]) for e in found] == [
        ("incident.created", "sonoran"),
        ("incident.created", "devrev"),
    ]
    assert found[0]["incident_id"] == incident_id and found[0]["data"]["object"]["title"] == "Traffic Stop"
    for event in found:
        read = doors.read(event["incident_id"])
        assert event["data"]["object"] == {k: v for k, v in read.items() if k not in ("timeline", "sla")}


def test_a_unit_status_moves_the_assignment_and_the_incident(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    incident_id = client.post("/v1/incidents", json={"category": "fire"}, headers=doors.native).json()["incident"][
        "incident_id"
    ]
    unit = client.post("/v1/units", json={"call_sign": "E1"}, headers=doors.native)
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["unit_id"]
    assigned = client.post(f"/v1/incidents/{incident_id}/assignments", json={"unit_id": unit_id}, headers=doors.native)
    assert assigned.status_code == 201, assigned.text
    assignment_id = assigned.json()["assignment_id"]
    before = len(events(database))
    moved = client.post(f"/v1/units/{unit_id}/status", json={"status": "enroute"}, headers=doors.native)
    assert moved.status_code == 200, moved.text

    found = events(database)
    assert "assignment.created" in types(found[:before])
    made = next(e for e in found if e["type"] == "assignment.created")
    assert made["resource_id"] == assignment_id and made["data"]["object"]["incident_id"] == incident_id
    later = found[before:]
    # The unit moves; its incident follows it to responding; its assignment is stamped en route.
    assert types(later) == ["unit.status_changed", "incident.status_changed", "assignment.updated"]
    unit_event = next(e for e in later if e["type"] == "unit.status_changed")
    assert unit_event["resource_id"] == unit_id and unit_event["incident_id"] is None
    assert unit_event["data"]["to"] == "enroute" and unit_event["data"]["object"]["incident_id"] == incident_id
    status = next(e for e in later if e["type"] == "incident.status_changed")
    assert status["data"]["to"] == "responding" and status["data"]["object"]["status"] == "responding"
    assignment = next(e for e in later if e["type"] == "assignment.updated")
    assert assignment["data"]["object"]["status"] == "enroute" and assignment["data"]["object"]["enroute_at"]


def test_every_tenant_counts_its_own_events(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    for _ in range(3):
        assert client.post("/v1/incidents", json={"category": "sos"}, headers=doors.native).status_code == 201
    other = client.post("/v1/incidents", json={"category": "sos"}, headers=_other_tenant(client, database))
    assert other.status_code == 201
    assert [e["seq"] for e in events(database)] == [1, 2, 3]
    assert [e["seq"] for e in events(database, "other")] == [1]


def _other_tenant(client: TestClient, database: Database) -> dict[str, str]:
    from incidenthub.auth import service as auth_service
    from tests.factories import bearer, make_key

    with database.transaction() as session:
        auth_service.create_tenant(session, "Other", "other", "UTC", None)
    return bearer(make_key(database, "other", ["*"]))


def test_the_gate_says_who_came_in_who_was_refused_and_who_left(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    estate = access.site(client, doors.native)
    entry = access.walk_in(client, doors.native, estate["site_id"])
    refused = access.check_in(client, doors.native, estate["site_id"], code="ZZZZZZZZ")
    assert refused.status_code == 409, refused.text
    out = client.patch(f"/v1/access-logs/{entry['access_log_id']}/checkout", json={}, headers=doors.native)
    assert out.status_code == 200, out.text

    found = events(database)
    assert types(found) == ["access.checked_in", "access.denied", "access.checked_out"]
    assert {e["resource_type"] for e in found} == {"access_log"} and {e["source"] for e in found} == {"native"}
    assert found[0]["resource_id"] == found[2]["resource_id"] == entry["access_log_id"]
    assert found[0]["data"]["object"] == entry
    assert found[1]["data"]["object"]["denial_reason"] == "unknown"
    assert found[2]["data"]["object"] == out.json()


def test_an_event_exists_exactly_when_its_change_committed(client: TestClient, database: Database) -> None:
    """A write undone by its savepoint (the write path's retry of one failing job) or its transaction leaves no
    event; the others of the same transaction keep theirs."""
    doors = Doors(client, database)
    made = [client.post("/v1/incidents", json={"category": "sos"}, headers=doors.native).json() for _ in range(3)]
    kept, undone, aborted = (m["incident"]["incident_id"] for m in made)
    tenant_id = _tenant(database)
    with database.transaction() as session:
        with session.begin_nested():
            incident_service.add_note(session, tenant_id, kept, NoteCreate(note="kept"))
        try:
            with session.begin_nested():
                incident_service.add_note(session, tenant_id, undone, NoteCreate(note="undone"))
                raise RuntimeError("this job fails")
        except RuntimeError:
            pass
    try:
        with database.transaction() as session:
            incident_service.add_note(session, tenant_id, aborted, NoteCreate(note="aborted"))
            raise RuntimeError("the whole transaction fails")
    except RuntimeError:
        pass
    noted = [e for e in events(database) if e["type"] == "incident.note_added"]
    assert [e["incident_id"] for e in noted] == [kept]
    assert [e["seq"] for e in events(database)] == [1, 2, 3, 4]


def _tenant(database: Database) -> str:
    with database.read_sessions() as session:
        found = session.scalar(select(Tenant.id).where(Tenant.slug == "metro"))
        assert found is not None
        return found
