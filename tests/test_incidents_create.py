"""POST /v1/incidents: the Sety create, idempotency, and the canonical read shape."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from incidenthub.app import create_app
from incidenthub.config import Settings
from tests.factories import SOS, Api, stored

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_create_answers_201_with_sety_incident(api: Api) -> None:
    body = {
        **SOS,
        "title": "Panic button",
        "description": "Rider pressed SOS",
        "is_drill": True,
        "metadata": {"app": "rider", "build": 42},
    }
    body["subject"] = {**SOS["subject"], "email": "amaka@example.com", "metadata": {"vehicle_plate": "LND-204-KJA"}}
    body["location"] = {**SOS["location"], "landmark": "Gate B"}

    response = api.create(body)

    assert response.status_code == 201
    answer = response.json()
    assert answer["idempotent"] is False
    incident = answer["incident"]
    assert re.fullmatch(r"inc_[a-z0-9]{16}", incident["incident_id"])
    assert incident["idempotency_key"] == "session_abc123"
    assert incident["category"] == "sos"
    assert incident["severity"] == "critical"
    assert incident["status"] == "created"
    assert incident["title"] == "Panic button"
    assert incident["description"] == "Rider pressed SOS"
    assert incident["is_drill"] is True
    assert incident["subject"] == {
        "name": "Amaka Obi",
        "phone": "+2348012345678",
        "email": "amaka@example.com",
        "reference": "TRIP-44821",
        "metadata": {"vehicle_plate": "LND-204-KJA"},
    }
    assert incident["location"]["coordinates"] == [3.3792, 6.5244]
    assert incident["location"]["address"] == "14 Bourdillon Road, Ikoyi, Lagos"
    assert incident["location"]["landmark"] == "Gate B"
    assert incident["metadata"] == {"app": "rider", "build": 42}
    assert incident["caller"] == {"name": "Amaka Obi", "number": "+2348012345678"}
    assert incident["source"] == "native"
    assert incident["external_id"] == "session_abc123"
    assert incident["revision"] == 1
    assert STAMP.match(incident["created_at"]) and STAMP.match(incident["updated_at"])
    assert incident["resolved_at"] is None and incident["cancelled_at"] is None
    assert [(e["event"], e["status"]) for e in incident["timeline"]] == [("created", "created")]
    assert STAMP.match(incident["timeline"][0]["timestamp"])
    for canonical in ("number", "incident_type", "priority", "disposition", "call_received_at", "call_taker"):
        assert canonical in incident
    assert incident["notes"] == [] and incident["responders"] == [] and incident["related_incidents"] == []

    # Reading it back shows the same record.
    assert stored(api.incident(incident["incident_id"])) == stored(incident)


def test_minimal_create_defaults(api: Api) -> None:
    incident = api.create({"category": "medical"}).json()["incident"]
    assert incident["severity"] == "medium"
    assert incident["idempotency_key"] is None
    assert incident["is_drill"] is False
    assert incident["subject"] is None
    assert incident["location"]["coordinates"] is None


def test_each_category_and_severity_is_accepted(api: Api) -> None:
    for category in ("sos", "vehicle", "location_threat", "medical", "fire", "other"):
        for severity in ("low", "medium", "high", "critical"):
            response = api.create({"category": category, "severity": severity})
            assert response.status_code == 201, (category, severity, response.text)
    assert api.total() == 24


def test_same_idempotency_key_returns_existing_and_changes_nothing(api: Api) -> None:
    first = api.create(SOS).json()["incident"]

    again = api.create({**SOS, "severity": "low", "title": "different"})

    assert again.status_code == 200
    assert again.json()["idempotent"] is True
    assert stored(again.json()["incident"]) == stored(first)
    assert api.total() == 1


def test_idempotency_keys_are_per_tenant(api: Api) -> None:
    ours = api.create(SOS).json()["incident"]["incident_id"]
    theirs = api.create(SOS, headers=api.globex)
    assert theirs.status_code == 201
    assert theirs.json()["incident"]["incident_id"] != ours


def test_twenty_concurrent_creates_with_one_key_make_one_incident(api: Api) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: api.create(SOS), range(20)))

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["incident"]["incident_id"] for r in responses}) == 1
    assert api.total() == 1


def test_two_app_processes_racing_on_one_key_make_one_incident(api: Api, settings: Settings) -> None:
    # A second app on the same database has its own writer: the database's unique index decides.
    with TestClient(create_app(settings)) as other:
        clients = [api.client, other] * 10
        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(lambda c: c.post("/v1/incidents", json=SOS, headers=api.acme), clients))
    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["incident"]["incident_id"] for r in responses}) == 1
    assert api.total() == 1


def test_unknown_fields_are_kept_in_the_raw_payload(api: Api, database) -> None:  # type: ignore[no-untyped-def]
    from incidenthub.models import Incident

    incident_id = api.create_id({"category": "sos", "trip": {"id": "T-1"}, "app_version": "3.1"})

    with database.read_sessions() as session:
        raw = session.get(Incident, incident_id).raw_payload
    assert raw == {"category": "sos", "trip": {"id": "T-1"}, "app_version": "3.1"}


def test_external_mount_serves_the_same_api(api: Api) -> None:
    response = api.client.post("/v1/external/incidents", json=SOS, headers=api.acme)
    assert response.status_code == 201
    incident_id = response.json()["incident"]["incident_id"]
    assert api.client.get(f"/v1/external/incidents/{incident_id}", headers=api.acme).status_code == 200
    assert api.incident(incident_id)["incident_id"] == incident_id
