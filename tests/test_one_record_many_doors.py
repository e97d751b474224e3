"""Issue 10, cases 11-12: one record whatever door made it.

11. The GovWorx read answers the native `inc_...` id for every incident (GovWorx reads key on it).
12. Every incident has severity, category and title in the native read, through one tenant-configurable mapping.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.models import Incident, Tenant
from tests.factories import bearer, make_key

SEED = json.loads((Path(__file__).parent / "data" / "govworx_seed_example.json").read_text())


class Doors:
    """One tenant (with a Sonoran community id) and one all-scopes key, used the way each door's client sends it."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self.client, self.database = client, database
        with database.transaction() as session:
            auth_service.create_tenant(session, "Metro", "metro", "UTC", "COMM-M")
        self.key = make_key(database, "metro", ["*"])
        self.native = bearer(self.key)

    def govworx(self, **changes: Any) -> str:
        body = {**copy.deepcopy(SEED), **changes}
        answer = self.client.put("/api/v1/external/incident", json=body, headers=self.native)
        assert answer.status_code in (200, 201), answer.text
        incident_id: str = answer.json()["id"]
        return incident_id

    def devrev(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post("/incidents.create", json=body, headers={"Authorization": self.key})
        assert answer.status_code == 201, answer.text
        incident: dict[str, Any] = answer.json()["incident"]
        return incident

    def sonoran(self, call: dict[str, Any]) -> str:
        body = {"id": "COMM-M", "key": self.key, "type": "NEW_DISPATCH", "data": [call]}
        answer = self.client.post("/emergency/new_dispatch", json=body)
        assert answer.status_code == 200 and answer.text.startswith("NEW DISPATCH CREATED"), answer.text
        external_id = answer.text.rsplit(" ", 1)[1]
        return self.native_id("sonoran", external_id)

    def native_id(self, source: str, external_id: str) -> str:
        with self.database.read_sessions() as session:
            found = session.scalar(
                select(Incident.id).where(Incident.source == source, Incident.external_id == external_id)
            )
            assert found is not None
            return found

    def read(self, incident_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/v1/incidents/{incident_id}", headers=self.native)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def govworx_read(self, incident_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/api/v1/external/mcp/resources/incidents/{incident_id}", headers=self.native)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


def test_govworx_read_answers_the_native_id_whatever_door_made_the_incident(
    client: TestClient, database: Database
) -> None:
    doors = Doors(client, database)
    made = {
        "govworx": doors.govworx(),
        "devrev": doors.native_id("devrev", doors.devrev({"title": "Checkout down"})["id"]),
        "sonoran": doors.sonoran({"title": "Traffic Stop", "priority": 2, "code": "10-39 - Traffic Stop"}),
    }
    native = client.post("/v1/incidents", json={"category": "sos", "title": "Panic"}, headers=doors.native)
    assert native.status_code == 201, native.text
    made["native"] = native.json()["incident"]["incident_id"]
    for door, incident_id in made.items():
        assert incident_id.startswith("inc_"), door
        read = doors.govworx_read(incident_id)
        assert read["id"] == incident_id == doors.read(incident_id)["incident_id"], door
    devrev = doors.govworx_read(made["devrev"])
    # DevRev's own ids stay where they belong: the DON is the source id, INC-1 the number.
    assert devrev["sysId"] == "don:core:incidenthub:devo/metro:incident/1" and devrev["number"] == "INC-1"
    # The DevRev display id is not a GovWorx id.
    assert client.get("/api/v1/external/mcp/resources/incidents/INC-1", headers=doors.native).status_code == 404


def test_every_door_gets_severity_category_and_title(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    cardiac = doors.read(doors.govworx())  # the seed: "Medical Emergency - Cardiac Arrest", "Priority 1"
    assert (cardiac["category"], cardiac["severity"], cardiac["title"]) == (
        "medical",
        "high",
        "Medical Emergency - Cardiac Arrest",
    )
    fire = doors.read(doors.govworx(sysId="F-1", incidentType="Structure Fire", priority="Priority 3"))
    assert (fire["category"], fire["severity"], fire["title"]) == ("fire", "low", "Structure Fire")
    robbery = doors.read(doors.govworx(sysId="R-1", incidentType="Armed Robbery", priority="Priority 2"))
    assert (robbery["category"], robbery["severity"]) == ("location_threat", "medium")

    stop = doors.read(doors.sonoran({"title": "Traffic Stop", "priority": 1, "code": "10-39 - Traffic Stop"}))
    assert (stop["category"], stop["severity"], stop["title"]) == ("vehicle", "high", "Traffic Stop")

    devrev = doors.devrev({"title": "Checkout down", "severity": 0})
    read = doors.read(doors.native_id("devrev", devrev["id"]))
    assert (read["category"], read["severity"], read["priority"], read["title"]) == (
        "other",
        "critical",
        "Sev0",
        "Checkout down",
    )
    # A severity change on DevRev moves the native severity with it.
    updated = client.post(
        "/incidents.update", json={"id": devrev["id"], "severity": 3}, headers={"Authorization": doors.key}
    )
    assert updated.status_code == 200 and doors.read(read["incident_id"])["severity"] == "low"


def test_the_mapping_is_set_per_tenant(client: TestClient, database: Database) -> None:
    doors = Doors(client, database)
    with database.transaction() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "metro"))
        assert tenant is not None
        tenant.settings = {
            **(tenant.settings or {}),
            "classification": {
                "categories": {"Structure Fire": "location_threat"},
                "severities": {"Priority 3": "critical"},
            },
        }
    fire = doors.read(doors.govworx(sysId="F-2", incidentType="Structure Fire", priority="Priority 3"))
    assert (fire["category"], fire["severity"]) == ("location_threat", "critical")
    # A later upload reclassifying the call moves category and the derived title along.
    doors.govworx(sysId="F-2", incidentType="Medical Emergency - Cardiac Arrest", priority="Priority 1")
    again = doors.read(fire["incident_id"])
    assert (again["category"], again["severity"], again["title"]) == (
        "medical",
        "high",
        "Medical Emergency - Cardiac Arrest",
    )
