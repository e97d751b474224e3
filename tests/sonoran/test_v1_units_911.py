"""Sonoran v1 911 calls and units: call_911 (and 911_call), remove_911, unit status/location/panic, active units."""

from __future__ import annotations

import pytest

from tests.factories import bearer
from tests.sonoran.helpers import Sonoran

CALL_911 = {
    "serverId": 1,
    "isEmergency": True,
    "caller": "Jane Doe",
    "location": "Innocence Blvd",
    "description": "Medical emergency reported.",
    "metaData": {"priority": "1", "postal": "9001", "block": "100", "code": "MED", "x": "425.1", "y": "-979.2"},
}


@pytest.mark.parametrize(
    ("path", "type_"), [("call_911", "CALL_911"), ("911_call", "911_CALL"), ("call_911", "911_CALL")]
)
def test_call_911_and_its_aliases(sonoran: Sonoran, path: str, type_: str) -> None:
    response = sonoran.ok(path, [CALL_911], type_=type_)
    assert response.text == "EMERGENCY CALL ADDED ID: 1"
    call = sonoran.calls()["emergencyCalls"][0]
    assert call["callId"] == 1 and call["isEmergency"] is True and call["caller"] == "Jane Doe"
    assert call["location"] == "Innocence Blvd" and call["metaData"]["x"] == "425.1"
    incident = sonoran.incident(1)
    assert incident["caller"]["name"] == "Jane Doe" and incident["location"]["address"] == "Innocence Blvd"
    assert incident["priority"] == "1" and incident["location"]["postal"] == "9001"
    assert incident["incident_type"] == "MED" and incident["call_source"] == "911"


def test_remove_911(sonoran: Sonoran) -> None:
    sonoran.ok("call_911", [CALL_911])
    assert sonoran.ok("remove_911", [{"serverId": 1, "callId": 1}]).text == "EMERGENCY CALL 1 REMOVED"
    assert sonoran.calls()["emergencyCalls"] == []
    assert sonoran.incident(1)["status"] == "cancelled"
    dispatch_id = sonoran.new_call()
    response = sonoran.v1("remove_911", [{"callId": dispatch_id}])
    assert (response.status_code, response.text) == (400, f"INVALID CALL ID: {dispatch_id}")


def test_remove_911_releases_a_unit_a_dispatcher_put_on_it(sonoran: Sonoran) -> None:
    sonoran.ok("call_911", [CALL_911])
    incident_id = sonoran.incident(1)["incident_id"]
    native = bearer(sonoran.key(["incidents:write", "dispatch:write", "dispatch:read"]))
    path = f"/v1/incidents/{incident_id}/assignments"
    assert sonoran.client.post(path, json={"call_sign": "M7"}, headers=native).status_code == 201
    sonoran.ok("remove_911", [{"serverId": 1, "callId": 1}])
    incident = sonoran.incident(1)
    assert incident["status"] == "cancelled"
    [responder] = incident["responders"]
    assert responder["status"] == "cleared" and responder["cleared_at"] == incident["cancelled_at"]
    assert [e["message"] for e in incident["timeline"] if e["event"] == "unit_cleared"] == ["M7 cleared: call closed"]


@pytest.mark.parametrize(
    ("code", "status"),
    [(0, "unavailable"), (1, "busy"), (2, "available"), (3, "enroute"), (4, "on_scene"), (100, "offline")],
)
def test_each_unit_status(sonoran: Sonoran, code: int, status: str) -> None:
    assert (
        sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": code, "serverId": 1}]).text == "UNIT STATUS UPDATED"
    )
    units = sonoran.ok("get_active_units", [{"includeOffline": True}]).json()
    assert units[0]["status"] == code and units[0]["data"]["apiId1"] == "STEAM:1"
    native = sonoran.client.get("/v1/units", headers={"Authorization": f"Bearer {sonoran.key_a}"}).json()["data"]
    assert native[0]["status"] == status


@pytest.mark.parametrize("code", [5, -1, 99, "enroute"])
def test_out_of_range_unit_status_changes_nothing(sonoran: Sonoran, code: object) -> None:
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 2}])
    response = sonoran.v1("unit_status", [{"apiId": "STEAM:1", "status": code}])
    assert response.status_code == 400 and response.text.startswith("INVALID REQUEST DATA: data[0].status")
    assert sonoran.ok("get_active_units").json()[0]["status"] == 2


def test_unit_status_stamps_the_call_and_moves_the_lifecycle(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1", "STEAM:2"])
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 3}])
    assert sonoran.incident(call_id)["status"] == "responding"
    sonoran.ok("unit_status", [{"apiId": "STEAM:2", "status": 4}, {"apiId": "STEAM:1", "status": 4}])
    incident = sonoran.incident(call_id)
    assert incident["status"] == "on_scene"
    responders = {r["unit"]["call_sign"]: r for r in incident["responders"]}
    assert responders["STEAM:1"]["enroute_at"] and responders["STEAM:1"]["arrived_at"]
    assert responders["STEAM:2"]["enroute_at"] is None and responders["STEAM:2"]["arrived_at"]
    assert sum(e["event"] == "unit_status" for e in incident["timeline"]) == 3


def test_unit_location_and_panic(sonoran: Sonoran) -> None:
    text = sonoran.ok(
        "unit_location",
        [
            {"apiId": "STEAM:1", "location": "Mission Row", "coordinates": {"x": 441.2, "y": -981.9}},
            {"apiId": "STEAM:2", "location": "Sandy Shores"},
        ],
    ).text
    assert text == "UNIT LOCATION UPDATED"
    assert sonoran.ok("unit_panic", [{"apiId": "STEAM:1", "isPanic": True}]).text == "UNIT PANIC UPDATED"
    units = {u["data"]["apiId1"]: u for u in sonoran.ok("get_active_units").json()}
    assert units["STEAM:1"]["location"] == "Mission Row" and units["STEAM:1"]["isPanic"] is True
    assert units["STEAM:2"]["location"] == "Sandy Shores" and units["STEAM:2"]["isPanic"] is False
    bad = sonoran.v1("unit_location", [{"apiId": "STEAM:1", "coordinates": {"x": "far"}}])
    assert bad.status_code == 400 and "coordinates" in bad.text
    assert sonoran.v1("unit_panic", [{"apiId": "STEAM:1"}]).text.startswith("INVALID REQUEST DATA: data[0].isPanic")


def test_get_active_units_hides_offline_and_pages(sonoran: Sonoran) -> None:
    sonoran.ok("unit_status", [{"apiId": f"STEAM:{i}", "status": 100 if i == 0 else 2} for i in range(4)])
    assert len(sonoran.ok("get_active_units").json()) == 3
    assert len(sonoran.ok("get_active_units", [{"includeOffline": True}]).json()) == 4
    assert len(sonoran.ok("get_active_units", [{"includeOffline": True, "limit": 2, "offset": 3}]).json()) == 1
    assert sonoran.v1("get_active_units", [{"limit": 101}]).status_code == 400


def test_a_units_old_status_does_not_carry_to_a_new_call(sonoran: Sonoran) -> None:
    first = sonoran.new_call(units=["STEAM:1"])
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 4}])
    second = sonoran.new_call(units=["STEAM:1"])
    incident = sonoran.incident(second)
    assert incident["status"] == "assigned"
    responder = incident["responders"][0]
    assert responder["status"] == "dispatched" and responder["dispatched_at"]
    assert responder["enroute_at"] is None and responder["arrived_at"] is None
    assert sonoran.incident(first)["responders"][0]["cleared_at"]
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 3}])
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 4}])
    responder = sonoran.incident(second)["responders"][0]
    assert responder["enroute_at"] and responder["arrived_at"] and responder["enroute_at"] <= responder["arrived_at"]


def test_enroute_after_on_scene_leaves_enroute_empty(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1"])
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 4}])
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 3}])
    responder = sonoran.incident(call_id)["responders"][0]
    assert responder["arrived_at"] and responder["enroute_at"] is None


@pytest.mark.parametrize(
    ("name", "item"),
    [
        ("unit_status", {"apiId": "STEAM:1", "status": 3, "serverId": 2}),
        ("unit_location", {"apiId": "STEAM:1", "location": "Mission Row", "serverId": 2}),
        ("unit_panic", {"apiId": "STEAM:1", "isPanic": True, "serverId": 2}),
    ],
)
def test_unit_endpoints_check_the_server(sonoran: Sonoran, name: str, item: dict[str, object]) -> None:
    response = sonoran.v1(name, [item])
    assert (response.status_code, response.text) == (400, "INVALID SERVER ID: 2")
    assert sonoran.ok("get_active_units", [{"includeOffline": True}]).json() == []
