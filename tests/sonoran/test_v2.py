"""Sonoran v2: the OpenAPI file's example bodies on every route, problem+json errors, 404 serverId, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sonoran.helpers import Sonoran

S = "/emergency/servers/1"
CREATE = {  # the v2 OpenAPI file's createDispatchCall example
    "origin": 0,
    "status": 1,
    "priority": 1,
    "block": "100",
    "address": "Mission Row",
    "postal": "9001",
    "title": "Armed Robbery",
    "code": "211",
    "description": "Clerk reports a firearm.",
    "notes": [],
    "communityUserIds": ["player-1234"],
    "metaData": {"source": "integration", "x": "425.1", "y": "-979.2", "z": "30.7", "radius": "75"},
}


def _create(sonoran: Sonoran, **changes: Any) -> dict[str, Any]:
    response = sonoran.v2("POST", f"{S}/dispatch-calls", json={**CREATE, **changes})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://httpstatuses.com/{status}" and body["status"] == status
    assert body["instance"] == response.request.url.path and body["traceId"].startswith("00-")
    return body


def test_create_dispatch_call_answers_the_full_call(sonoran: Sonoran) -> None:
    call = _create(sonoran)
    assert call["callId"] == 1 and call["status"] == 1 and call["title"] == "Armed Robbery"
    assert call["metaData"]["radius"] == "75" and call["notes"] == [] and call["trackPrimary"] is False
    assert len(call["idents"]) == 1 and call["primary"] == call["idents"][0] and call["updated"].endswith("Z")
    incident = sonoran.incident(1)
    assert incident["status"] == "assigned" and incident["call_source"] == "caller"


def test_create_requires_fields_and_a_target(sonoran: Sonoran) -> None:
    missing = dict(CREATE)
    del missing["title"]
    assert "title" in str(_problem(sonoran.v2("POST", f"{S}/dispatch-calls", json=missing), 400)["errors"])
    untargeted = {k: v for k, v in CREATE.items() if k != "communityUserIds"}
    assert "target" in _problem(sonoran.v2("POST", f"{S}/dispatch-calls", json=untargeted), 400)["detail"]
    unassigned = _create(sonoran, communityUserIds=[])
    assert unassigned["idents"] == [] and unassigned["primary"] is None
    _problem(sonoran.v2("POST", f"{S}/dispatch-calls", json={**CREATE, "priority": 4}), 400)
    # No body at all (what schemathesis names "missing required property: body"): refused, nothing stored.
    assert "body" in str(_problem(sonoran.v2("POST", f"{S}/dispatch-calls"), 400)["errors"])
    assert len(sonoran.v2("GET", f"{S}/calls").json()["ActiveCalls"]) == 1


def test_update_dispatch_call_replaces_metadata(sonoran: Sonoran) -> None:
    _create(sonoran)
    patch = {"status": 1, "postal": "9002", "trackPrimary": True, "metaData": {"source": "integration", "x": "430.5"}}
    response = sonoran.v2("PATCH", f"{S}/dispatch-calls/1", json=patch)
    assert response.status_code == 200
    call = response.json()
    assert call["postal"] == "9002" and call["trackPrimary"] is True
    assert call["metaData"] == {"source": "integration", "x": "430.5"}
    _problem(sonoran.v2("PATCH", f"{S}/dispatch-calls/99", json=patch), 404)
    _problem(sonoran.v2("PATCH", f"{S}/dispatch-calls/1", json={}), 400)


def test_get_calls_pascal_case_and_close(sonoran: Sonoran) -> None:
    for _ in range(3):
        _create(sonoran)
    sonoran.v2("POST", f"{S}/calls/911", json={"caller": "Jane Doe", "location": "Innocence Blvd"})
    closed = sonoran.v2("POST", f"{S}/dispatch-calls/close", json={"callIds": [1, 2]})
    assert closed.status_code == 200 and closed.json() == {"callIds": [1, 2]}
    board = sonoran.v2("GET", f"{S}/calls", params={"closedLimit": 1, "closedOffset": 0, "type": 100}).json()
    assert set(board) == {"ActiveCalls", "EmergencyCalls", "ClosedCalls", "ClosedCallCount"}
    assert [c["callId"] for c in board["ActiveCalls"]] == [3]
    assert len(board["ClosedCalls"]) == 1 and board["ClosedCallCount"] == 2
    assert board["EmergencyCalls"][0]["caller"] == "Jane Doe"
    _problem(sonoran.v2("GET", f"{S}/calls", params={"type": 5}), 400)
    _problem(sonoran.v2("POST", f"{S}/dispatch-calls/close", json={"callIds": [3, 99]}), 404)
    assert sonoran.incident(3)["status"] == "assigned"  # the bad request closed nothing


def test_attach_detach_note_postal_primary(sonoran: Sonoran) -> None:
    call = _create(sonoran)
    attached = sonoran.v2("POST", f"{S}/dispatch-calls/1/attachments", json={"communityUserIds": "player-5678"})
    assert attached.status_code == 200
    assert attached.json()["callId"] == 1 and len(attached.json()["identIds"]) == 1
    second = attached.json()["identIds"][0]
    note = sonoran.v2(
        "POST",
        f"{S}/dispatch-calls/1/notes",
        json={"note": "Suspect fleeing", "noteType": "text", "label": "Integration"},
    )
    assert note.json() == {"callId": 1, "note": "Suspect fleeing"}
    postal = sonoran.v2("PATCH", f"{S}/dispatch-calls/1/postal", json={"postal": "9001"})
    assert postal.json() == {"callId": 1, "postal": "9001"}
    primary = sonoran.v2("PATCH", f"{S}/dispatch-calls/1/primary", json={"identId": second, "trackPrimary": True})
    assert primary.json() == {"callId": 1, "identId": second, "trackPrimary": True}
    current = sonoran.v2("GET", f"{S}/calls").json()["ActiveCalls"][0]
    assert current["primary"] == second and current["notes"][0]["label"] == "Integration"
    assert current["notes"][0]["time"].endswith("Z")
    detached = sonoran.v2("DELETE", f"{S}/dispatch-calls/attachments", json={"communityUserIds": "player-1234"})
    assert detached.json() == {"identIds": call["idents"]}
    assert sonoran.v2("GET", f"{S}/calls").json()["ActiveCalls"][0]["idents"] == [second]
    _problem(sonoran.v2("POST", f"{S}/dispatch-calls/1/attachments", json={}), 400)
    _problem(sonoran.v2("PATCH", f"{S}/dispatch-calls/1/primary", json={"identId": 999}), 404)


def test_911_create_and_remove(sonoran: Sonoran) -> None:
    body = {
        "isEmergency": True,
        "caller": "911 Caller",
        "location": "Alta St / Integrity Way",
        "description": "Shots fired",
        "deleteAfterMinutes": 15,
        "metaData": {"source": "integration", "x": "425.1", "y": "-979.2", "z": "30.7", "postal": "9001"},
    }
    created = sonoran.v2("POST", f"{S}/calls/911", json=body)
    assert created.status_code == 200
    assert created.json()["callId"] == 1 and created.json()["caller"] == "911 Caller"
    removed = sonoran.v2("DELETE", f"{S}/calls/911/1")
    assert removed.json() == {"callId": 1, "serverId": 1}
    assert sonoran.v2("GET", f"{S}/calls").json()["EmergencyCalls"] == []
    _problem(sonoran.v2("DELETE", f"{S}/calls/911/7"), 404)


@pytest.mark.parametrize(
    ("code", "name"),
    [(0, "UNAVAILABLE"), (1, "BUSY"), (2, "AVAILABLE"), (3, "ENROUTE"), (4, "ON_SCENE"), (100, "OFFLINE")],
)
def test_unit_status_each_value(sonoran: Sonoran, code: int, name: str) -> None:
    response = sonoran.v2("PATCH", f"{S}/units/status", json={"communityUserIds": "player-1234", "status": code})
    assert response.json() == {"updated": 1, "status": name}


def test_unit_status_out_of_range_and_units_list(sonoran: Sonoran) -> None:
    _problem(sonoran.v2("PATCH", f"{S}/units/status", json={"communityUserIds": "player-1", "status": 7}), 400)
    assert sonoran.v2("GET", f"{S}/units", params={"includeOffline": True}).json() == []
    locations = {
        "updates": [
            {
                "communityUserId": "player-1234",
                "location": "Mission Row",
                "coordinates": {"x": 441.2, "y": -981.9, "z": 30.7, "w": 90.0},
                "peerId": "peer-1",
                "vehicle": {"model": "police3", "headingOffset": 0},
            }
        ]
    }
    assert sonoran.v2("PATCH", f"{S}/unit-locations", json=locations).json() == {"updated": 1}
    panic = sonoran.v2("PATCH", f"{S}/units/panic", json={"communityUserIds": "player-1234", "isPanic": True})
    assert panic.json() == {"updated": 1, "isPanic": True}
    unit = sonoran.v2(
        "GET", f"{S}/units", params={"includeOffline": "true", "onlyUnits": "true", "limit": 10, "offset": 0}
    ).json()[0]
    assert unit["location"] == "Mission Row" and unit["isPanic"] is True and unit["coordinates"]["w"] == 90.0
    assert unit["data"]["communityUserId"] == "player-1234"


def test_auth_scopes_and_unknown_server(sonoran: Sonoran) -> None:
    missing = sonoran.client.get(f"/v2{S}/calls")
    _problem(missing, 401)
    _problem(sonoran.v2("GET", f"{S}/calls", key="ih_nope"), 401)
    _problem(sonoran.v2("POST", f"{S}/dispatch-calls", key=sonoran.key(["dispatch:read"]), json=CREATE), 403)
    _problem(sonoran.v2("GET", "/emergency/servers/2/calls"), 404)
    _problem(sonoran.v2("POST", "/emergency/servers/2/dispatch-calls", json=CREATE), 404)
    assert sonoran.v2("GET", f"{S}/calls").json()["ActiveCalls"] == []


def test_servers_can_be_configured(sonoran: Sonoran) -> None:
    servers = {"servers": [{"id": 1, "name": "Main Server"}, {"id": 2, "name": "Training"}], "deployMap": False}
    response = sonoran.v2("PUT", "/general/servers", json=servers)
    assert [s["id"] for s in response.json()["servers"]] == [1, 2]
    assert (
        _create(sonoran) and sonoran.v2("POST", "/emergency/servers/2/dispatch-calls", json=CREATE).status_code == 201
    )
    assert [c["callId"] for c in sonoran.v2("GET", "/emergency/servers/2/calls").json()["ActiveCalls"]] == [2]
    v1_servers = sonoran.ok("get_servers", category="general").json()["servers"]
    assert [s["name"] for s in v1_servers] == ["Main Server", "Training"]
    assert sonoran.v2("GET", "/general/version").json() == {"version": 3, "name": "PLUS"}


def test_tenant_isolation(sonoran: Sonoran) -> None:
    _create(sonoran)
    assert sonoran.v2("GET", f"{S}/calls", key=sonoran.key_b).json()["ActiveCalls"] == []
    _problem(sonoran.v2("PATCH", f"{S}/dispatch-calls/1", key=sonoran.key_b, json={"title": "x"}), 404)
    _problem(sonoran.v2("POST", f"{S}/dispatch-calls/close", key=sonoran.key_b, json={"callIds": [1]}), 404)
    assert sonoran.incident(1)["status"] == "assigned"


def test_detach_of_an_unknown_unit_makes_none_up(sonoran: Sonoran) -> None:
    _create(sonoran)
    detached = sonoran.v2("DELETE", f"{S}/dispatch-calls/attachments", json={"communityUserIds": "player-404"})
    assert detached.status_code == 200 and detached.json() == {"identIds": []}
    units = sonoran.v2("GET", f"{S}/units", params={"includeOffline": True}).json()
    assert [u["data"]["communityUserId"] for u in units] == ["player-1234"]
