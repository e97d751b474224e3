"""One log line per request (method, route template, status, duration, door, tenant), and no secret in it."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.http_log import door_of
from tests.factories import SOS, Api, make_key

SEED = Path(__file__).parent / "data" / "govworx_seed_example.json"
LINE = re.compile(
    r"^request method=(?P<method>\S+) path=(?P<path>\S+) status=(?P<status>\S+) "
    r"duration_ms=(?P<ms>\d+\.\d) door=(?P<door>\S+) tenant=(?P<tenant>\S+) key=(?P<key>\S+)$"
)


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    found = []
    for record in caplog.records:
        if record.name == "incidenthub.http":
            match = LINE.match(record.getMessage())
            assert match, record.getMessage()
            assert record.levelno == logging.INFO
            found.append({k: v for k, v in match.groupdict().items() if k != "ms"})
    return found


def _key_id(database: Database, raw_key: str) -> str:
    """The row id of a key (what the log names), from its public lookup part."""
    with database.read_sessions() as session:
        principal = auth_service.authenticate(session, raw_key)
    return principal.key_id


def _server_text(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the server logged (the test's own HTTP client logs its requests under `httpx`)."""
    return "\n".join(caplog.handler.format(record) for record in caplog.records if not record.name.startswith("httpx"))


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def test_each_request_is_one_line_naming_its_route_template_door_and_tenant(
    api: Api, client: TestClient, database: Database, log: pytest.LogCaptureFixture
) -> None:
    acme_key = api.acme["Authorization"].removeprefix("Bearer ")
    acme, globex = _key_id(database, acme_key), _key_id(database, api.globex["Authorization"].removeprefix("Bearer "))
    created = client.post("/v1/incidents", json=SOS, headers=api.acme)
    incident_id = created.json()["incident"]["incident_id"]
    client.get(f"/v1/incidents/{incident_id}", headers=api.acme)
    client.get(f"/v1/external/incidents/{incident_id}", headers=api.acme)
    client.get("/v1/incidents", headers={"Authorization": "Bearer ih_notakey_at_all"})
    client.get("/no/such/path")
    uploaded = client.put(
        "/api/v1/external/incident",
        content=SEED.read_bytes(),
        headers={"Authentication": f"Bearer {acme_key}", "Content-Type": "application/json"},
    )
    assert uploaded.status_code in (200, 201), uploaded.text
    devrev = client.post("/incidents.create", json={"title": "Outage", "severity": 1}, headers=api.globex)
    assert devrev.status_code == 201, devrev.text
    client.get("/v1/health")

    assert _lines(log) == [
        {"method": "POST", "path": "/v1/incidents", "status": "201", "door": "native", "tenant": "acme", "key": acme},
        {
            "method": "GET",
            "path": "/v1/incidents/{incident_id}",
            "status": "200",
            "door": "native",
            "tenant": "acme",
            "key": acme,
        },
        {
            "method": "GET",
            "path": "/v1/external/incidents/{incident_id}",
            "status": "200",
            "door": "native",
            "tenant": "acme",
            "key": acme,
        },
        {"method": "GET", "path": "/v1/incidents", "status": "401", "door": "native", "tenant": "-", "key": "-"},
        {"method": "GET", "path": "-", "status": "404", "door": "-", "tenant": "-", "key": "-"},
        {
            "method": "PUT",
            "path": "/api/v1/external/incident",
            "status": uploaded.status_code.__str__(),
            "door": "govworx",
            "tenant": "acme",
            "key": acme,
        },
        {
            "method": "POST",
            "path": "/incidents.create",
            "status": "201",
            "door": "devrev",
            "tenant": "globex",
            "key": globex,
        },
        {"method": "GET", "path": "/v1/health", "status": "200", "door": "native", "tenant": "-", "key": "-"},
    ]
    # The raw id, the key, the body's phone numbers and names are nowhere in what was logged.
    text = _server_text(log)
    seed = json.loads(SEED.read_text())
    for secret in (incident_id, acme_key, SOS["subject"]["phone"], SOS["subject"]["name"], seed["callerNumber"]):
        assert secret not in text


def test_a_sonoran_body_key_and_community_never_reach_the_log(
    client: TestClient, database: Database, log: pytest.LogCaptureFixture
) -> None:
    with database.transaction() as session:
        auth_service.create_tenant(session, "County", "county", sonoran_community_id="county-community")
    key = make_key(database, "county", ["dispatch:write", "dispatch:read"])
    item = {"origin": 0, "status": 1, "priority": 2, "address": "Mission Row", "title": "Caller 555-0100"}
    ok = client.post(
        "/emergency/new_dispatch",
        json={"id": "county-community", "key": key, "type": "NEW_DISPATCH", "data": [item]},
    )
    assert ok.status_code == 200, ok.text
    refused = client.post(
        "/emergency/new_dispatch",
        json={"id": "other-community", "key": key, "type": "NEW_DISPATCH", "data": [item]},
    )
    assert refused.status_code == 400
    v2 = client.get("/v2/emergency/servers/1/calls", headers={"Authorization": f"Bearer {key}"})
    assert v2.status_code == 200

    lines = _lines(log)
    assert [(line["path"], line["status"], line["door"]) for line in lines] == [
        ("/emergency/{name}", "200", "sonoran"),
        ("/emergency/{name}", "400", "sonoran"),
        ("/v2/emergency/servers/{serverId}/calls", "200", "sonoran"),
    ]
    assert lines[0]["tenant"] == "county" and lines[2]["tenant"] == "county"
    assert lines[0]["key"] == lines[2]["key"] == _key_id(database, key)
    for secret in (key, key.rsplit("_", 2)[1], "555-0100", "county-community", "other-community", "Mission Row"):
        assert secret not in _server_text(log)


def test_door_names_follow_the_adapter_package() -> None:
    assert door_of("incidenthub.adapters.sonoran.router_v1") == "sonoran"
    assert door_of("incidenthub.adapters.eido.router") == "eido"
    assert door_of("incidenthub.incidents.router") == "native"
    assert door_of("fastapi.applications") == "-"
