"""What Sonoran.js (1.0.107) and Sonoran.py send, byte for byte, and what is stored (issue 10, cases 1-6).

Sonoran.js has no argument formatter for some v1 types: `rest.request(type, ...args)` then sends the
positional arguments as one item keyed "0", "1", ... (and one object argument as `{"0": {...}}`); it wraps
updateUnitLocations' list once more. Every answer is read back through v1 `get_calls`, v2 `calls` and the
native API.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import Response

from tests.factories import bearer
from tests.sonoran.helpers import Sonoran

S = "/emergency/servers/1"


def _send(sonoran: Sonoran, path: str, type_: str, data: Any) -> Response:
    """The request exactly as Sonoran.js's RequestManager builds it: its body bytes and headers."""
    body = {"id": "COMM-A", "key": sonoran.key_a, "type": type_, "data": data, "product": 0}
    return sonoran.client.post(
        f"/{path}",
        content=json.dumps(body, separators=(",", ":")).encode(),
        headers={"Accept": "application/json", "Content-Type": "application/json"},
    )


def _ok(response: Response) -> str:
    assert response.status_code == 200, response.text
    return response.text


def _v2_call(sonoran: Sonoran, call_id: int) -> dict[str, Any]:
    board = sonoran.v2("GET", f"{S}/calls", params={"closedLimit": 100}).json()
    found = [c for c in board["ActiveCalls"] + board["ClosedCalls"] if c["callId"] == call_id]
    assert found, board
    call: dict[str, Any] = found[0]
    return call


def _native_count(sonoran: Sonoran) -> int:
    page = sonoran.client.get("/v1/incidents?source=sonoran", headers=bearer(sonoran.reader_a)).json()
    total: int = page["total"]
    return total


def _primary_call_sign(incident: dict[str, Any]) -> str | None:
    primaries = [r["unit"]["call_sign"] for r in incident["responders"] if r["is_primary"] and not r["cleared_at"]]
    return primaries[0] if primaries else None


def _idents(sonoran: Sonoran) -> dict[str, int]:
    units = sonoran.client.get("/v1/units", headers=bearer(sonoran.key_a)).json()["data"]
    return {unit["call_sign"]: unit["ident_id"] for unit in units}


# --- case 1: create911Call -----------------------------------------------------------------------------


def test_create911call_positional_arguments_are_stored(sonoran: Sonoran) -> None:
    data = [{"0": 1, "1": True, "2": "Jane Doe", "3": "1 Legion Sq", "4": "Car fire", "5": {"postal": "8001"}}]
    assert _ok(_send(sonoran, "emergency/911_call", "911_CALL", data)) == "EMERGENCY CALL ADDED ID: 1"

    v1_call = sonoran.calls()["emergencyCalls"][0]
    assert (v1_call["caller"], v1_call["location"], v1_call["description"]) == ("Jane Doe", "1 Legion Sq", "Car fire")
    assert v1_call["isEmergency"] is True and v1_call["metaData"] == {"postal": "8001"}
    v2_call = sonoran.v2("GET", f"{S}/calls").json()["EmergencyCalls"][0]
    assert (v2_call["caller"], v2_call["location"], v2_call["description"]) == ("Jane Doe", "1 Legion Sq", "Car fire")
    incident = sonoran.incident(1)
    assert incident["caller"]["name"] == "Jane Doe" and incident["location"]["address"] == "1 Legion Sq"
    assert incident["description"] == "Car fire" and incident["location"]["postal"] == "8001"
    assert incident["call_source"] == "911" and incident["metadata"] == {"postal": "8001"}


def test_create911call_non_emergency_flag_is_kept(sonoran: Sonoran) -> None:
    data = [{"0": 1, "1": False, "2": "Sam", "3": "Alta St", "4": "Noise complaint", "5": {}}]
    _ok(_send(sonoran, "emergency/911_call", "911_CALL", data))
    assert sonoran.calls()["emergencyCalls"][0]["isEmergency"] is False
    assert sonoran.incident(1)["call_source"] == "non_emergency"


@pytest.mark.parametrize(
    "data",
    [
        [{"0": 1, "1": True, "5": {}}],  # caller, location and description undefined (JSON drops them)
        [{"0": 1, "1": True, "2": "", "3": " ", "4": "", "5": {"postal": "8001"}}],
        [{"serverId": 1, "isEmergency": True, "metaData": {"postal": "8001"}}],
    ],
)
def test_an_empty_911_call_is_refused_and_nothing_stored(sonoran: Sonoran, data: Any) -> None:
    response = _send(sonoran, "emergency/911_call", "911_CALL", data)
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/plain")
    assert response.text == "INVALID REQUEST DATA: data[0]: a 911 call needs a caller, location or description"
    assert sonoran.calls()["emergencyCalls"] == [] and _native_count(sonoran) == 0


def test_an_empty_v2_911_call_is_refused_and_nothing_stored(sonoran: Sonoran) -> None:
    response = sonoran.v2("POST", f"{S}/calls/911", json={"isEmergency": True, "caller": "", "metaData": {}})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert "caller, location or description" in response.json()["detail"] + json.dumps(response.json())
    assert sonoran.v2("GET", f"{S}/calls").json()["EmergencyCalls"] == [] and _native_count(sonoran) == 0


def test_positional_arguments_are_refused_where_no_client_sends_them(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["unit-A"])
    response = _send(sonoran, "emergency/attach_unit", "ATTACH_UNIT", [{"0": 1, "1": call_id, "2": ["unit-B"]}])
    assert (response.status_code, response.text) == (
        400,
        "INVALID REQUEST DATA: data[0]: attach_unit takes named fields, not positional arguments",
    )
    too_many = _send(
        sonoran, "emergency/set_call_postal", "SET_CALL_POSTAL", [{"0": 1, "1": call_id, "2": "1", "3": 4}]
    )
    assert too_many.status_code == 400 and too_many.text.startswith("INVALID REQUEST DATA: data[0].3: ")
    assert sonoran.call(call_id)["idents"] == [_idents(sonoran)["unit-A"]] and sonoran.call(call_id)["postal"] == ""


# --- case 2: setCallPostal, setCallPrimary -------------------------------------------------------------


def test_set_call_postal_positional(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(postal="8001")
    data = [{"0": 1, "1": call_id, "2": "8002"}]
    assert (
        _ok(_send(sonoran, "emergency/set_call_postal", "SET_CALL_POSTAL", data))
        == f"CALL {call_id} POSTAL SET TO 8002"
    )
    assert sonoran.call(call_id)["postal"] == "8002"
    assert _v2_call(sonoran, call_id)["postal"] == "8002"
    assert sonoran.incident(call_id)["location"]["postal"] == "8002"


def test_set_call_primary_positional(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["unit-A", "unit-B"])
    ident_b = _idents(sonoran)["unit-B"]
    data = [{"0": 1, "1": call_id, "2": ident_b, "3": True}]
    text = _ok(_send(sonoran, "emergency/set_call_primary", "SET_CALL_PRIMARY", data))
    assert text == f"CALL {call_id} PRIMARY SET TO {ident_b}"
    assert (sonoran.call(call_id)["primary"], sonoran.call(call_id)["trackPrimary"]) == (ident_b, True)
    assert (_v2_call(sonoran, call_id)["primary"], _v2_call(sonoran, call_id)["trackPrimary"]) == (ident_b, True)
    assert _primary_call_sign(sonoran.incident(call_id)) == "unit-B"

    cleared = [{"0": 1, "1": call_id, "2": -1}]  # trackPrimary undefined: JSON drops "3"
    assert _ok(_send(sonoran, "emergency/set_call_primary", "SET_CALL_PRIMARY", cleared)).endswith("PRIMARY CLEARED")
    assert sonoran.call(call_id)["primary"] is None and _primary_call_sign(sonoran.incident(call_id)) is None


# --- other Sonoran.js v1 methods without a formatter: editDispatch, remove911Call, closeCall (older) -------


def test_edit_dispatch_object_argument(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call()
    data = [{"0": {"serverId": 1, "callId": call_id, "title": "Structure fire", "priority": 1}}]
    assert _ok(_send(sonoran, "emergency/edit_dispatch", "EDIT_DISPATCH", data)) == f"DISPATCH CALL {call_id} UPDATED"
    assert (sonoran.call(call_id)["title"], sonoran.call(call_id)["priority"]) == ("Structure fire", 1)
    assert _v2_call(sonoran, call_id)["title"] == "Structure fire"
    incident = sonoran.incident(call_id)
    assert incident["title"] == "Structure fire" and incident["severity"] == "high"


def test_remove911call_object_argument(sonoran: Sonoran) -> None:
    _ok(_send(sonoran, "emergency/911_call", "911_CALL", [{"0": 1, "1": True, "2": "Jane", "3": "Alta St", "4": "x"}]))
    data = [{"0": {"serverId": 1, "callId": 1}}]
    assert _ok(_send(sonoran, "emergency/remove_911", "REMOVE_911", data)) == "EMERGENCY CALL 1 REMOVED"
    assert sonoran.calls()["emergencyCalls"] == [] and sonoran.incident(1)["status"] == "cancelled"


# --- case 3: updateUnitLocations -------------------------------------------------------------------------


def test_update_unit_locations_list_wrapped_once_more(sonoran: Sonoran) -> None:
    data = [
        [
            {"apiId": "unit-B", "location": "Mission Row", "coordinates": {"x": 425.1, "y": -979.2}},
            {"apiId": "unit-C", "location": "Sandy Shores", "coordinates": {"x": 1853.0, "y": 3686.5}},
        ]
    ]
    assert _ok(_send(sonoran, "emergency/unit_location", "UNIT_LOCATION", data)) == "UNIT LOCATION UPDATED"
    v1_units = {u["data"]["apiId1"]: u for u in sonoran.ok("get_active_units", [{"includeOffline": True}]).json()}
    assert v1_units["unit-B"]["location"] == "Mission Row" and v1_units["unit-C"]["location"] == "Sandy Shores"
    v2_units = {u["data"]["apiId1"]: u for u in sonoran.v2("GET", f"{S}/units?includeOffline=true").json()}
    assert v2_units["unit-B"]["coordinates"] == {"x": 425.1, "y": -979.2}
    native = {u["call_sign"]: u for u in sonoran.client.get("/v1/units", headers=bearer(sonoran.key_a)).json()["data"]}
    assert native["unit-C"]["location"]["text"] == "Sandy Shores"
    assert native["unit-C"]["location"]["coordinates"] == {"x": 1853.0, "y": 3686.5}


# --- case 4: closed calls read CLOSED ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda call_id: [{"serverId": 1, "callId": call_id}], id="sonoran.js-1.0.107"),
        pytest.param(lambda call_id: [{"0": 1, "1": call_id}], id="positional"),
    ],
)
def test_close_call_reads_closed_everywhere(sonoran: Sonoran, data: Any) -> None:
    call_id = sonoran.new_call(status=1, units=["unit-A"])
    assert _ok(_send(sonoran, "emergency/close_call", "CLOSE_CALL", data(call_id))) == f"CALL {call_id} CLOSED"
    board = sonoran.calls()
    assert board["activeCalls"] == [] and [c["status"] for c in board["closedCalls"]] == [2]
    assert _v2_call(sonoran, call_id)["status"] == 2
    incident = sonoran.incident(call_id)
    assert incident["status"] == "resolved" and incident["custom_fields"]["sonoran"]["status"] == 2


def test_v2_close_reads_closed_everywhere(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(status=0)
    closed = sonoran.v2("POST", f"{S}/dispatch-calls/close", json={"callIds": [call_id]})
    assert closed.status_code == 200 and closed.json() == {"callIds": [call_id]}
    assert [c["status"] for c in sonoran.calls()["closedCalls"]] == [2]
    assert sonoran.v2("GET", f"{S}/calls").json()["ClosedCalls"][0]["status"] == 2
    assert sonoran.incident(call_id)["custom_fields"]["sonoran"]["status"] == 2


def test_a_call_resolved_through_the_native_api_reads_closed(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(status=1)
    incident = sonoran.incident(call_id)
    writer = sonoran.key(["incidents:write"])
    resolved = sonoran.client.post(
        f"/v1/incidents/{incident['incident_id']}/status", headers=bearer(writer), json={"status": "resolved"}
    )
    assert resolved.status_code == 200, resolved.text
    assert sonoran.call(call_id)["status"] == 2 and _v2_call(sonoran, call_id)["status"] == 2


# --- case 5: v2 PATCH applies primary ---------------------------------------------------------------------


def test_v2_patch_primary_alone_and_with_other_fields(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["unit-A", "unit-B"])
    idents = _idents(sonoran)
    alone = sonoran.v2("PATCH", f"{S}/dispatch-calls/{call_id}", json={"primary": idents["unit-B"]})
    assert alone.status_code == 200, alone.text
    assert alone.json()["primary"] == idents["unit-B"] and sonoran.call(call_id)["primary"] == idents["unit-B"]
    assert _primary_call_sign(sonoran.incident(call_id)) == "unit-B"

    both = sonoran.v2(
        "PATCH",
        f"{S}/dispatch-calls/{call_id}",
        json={"postal": "9002", "primary": idents["unit-A"], "trackPrimary": True},
    )
    assert both.status_code == 200, both.text
    assert (both.json()["postal"], both.json()["primary"], both.json()["trackPrimary"]) == (
        "9002",
        idents["unit-A"],
        True,
    )
    assert _primary_call_sign(sonoran.incident(call_id)) == "unit-A"

    cleared = sonoran.v2("PATCH", f"{S}/dispatch-calls/{call_id}", json={"primary": -1})
    assert cleared.status_code == 200 and cleared.json()["primary"] is None
    unknown = sonoran.v2("PATCH", f"{S}/dispatch-calls/{call_id}", json={"primary": 999, "postal": "1"})
    assert unknown.status_code == 404 and sonoran.call(call_id)["postal"] == "9002"  # nothing of it applied


# --- case 6: enum names ---------------------------------------------------------------------------------


def test_v2_unit_status_by_name(sonoran: Sonoran) -> None:
    response = sonoran.v2("PATCH", f"{S}/units/status", json={"apiId": "unit-A", "status": "ENROUTE"})
    assert response.status_code == 200 and response.json() == {"updated": 1, "status": "ENROUTE"}
    assert sonoran.v2("GET", f"{S}/units").json()[0]["status"] == 3
    native = sonoran.client.get("/v1/units", headers=bearer(sonoran.key_a)).json()["data"]
    assert native[0]["status"] == "enroute"
    on_scene = sonoran.v2("PATCH", f"{S}/units/status", json={"communityUserIds": ["unit-A"], "status": "ON_SCENE"})
    assert on_scene.json()["status"] == "ON_SCENE"
    assert _ok(sonoran.v1("unit_status", [{"apiId": "unit-A", "status": "AVAILABLE"}])) == "UNIT STATUS UPDATED"
    assert sonoran.client.get("/v1/units", headers=bearer(sonoran.key_a)).json()["data"][0]["status"] == "available"


def test_v2_dispatch_call_origin_and_status_by_name(sonoran: Sonoran) -> None:
    body = {"origin": "CALLER", "status": "ACTIVE", "priority": 2, "title": "Alarm", "apiIds": ["unit-A"]}
    created = sonoran.v2("POST", f"{S}/dispatch-calls", json=body)
    assert created.status_code == 201, created.text
    call = created.json()
    assert (call["origin"], call["status"], len(call["idents"])) == (0, 1, 1)
    assert sonoran.incident(call["callId"])["call_source"] == "caller"
    walk_up = sonoran.v2("PATCH", f"{S}/dispatch-calls/{call['callId']}", json={"origin": "WALK_UP"})
    assert walk_up.json()["origin"] == 3
    closed = sonoran.v2("PATCH", f"{S}/dispatch-calls/{call['callId']}", json={"status": "CLOSED"})
    assert closed.json()["status"] == 2 and sonoran.incident(call["callId"])["status"] == "resolved"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/units/status", {"apiId": "unit-A", "status": "FLYING"}, "status"),
        ("/units/status", {"apiId": "unit-A", "status": "enroute"}, "status"),
        ("/dispatch-calls", {"origin": "PIGEON", "status": 0, "priority": 2, "title": "x", "apiIds": []}, "origin"),
    ],
)
def test_unknown_enum_names_are_refused_naming_the_field(sonoran: Sonoran, path: str, body: Any, field: str) -> None:
    response = sonoran.v2("PATCH" if "units" in path else "POST", f"{S}{path}", json=body)
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert field in json.dumps(response.json()["errors"])
    assert sonoran.v2("GET", f"{S}/units?includeOffline=true").json() == [] and _native_count(sonoran) == 0


# --- calls the clients can make that incidenthub does not hold: refused in the door's format -------------


def test_unserved_client_calls_are_refused_in_the_doors_format(sonoran: Sonoran) -> None:
    my_call = _send(
        sonoran, "emergency/get_my_call", "GET_MY_CALL", [{"account": "0f1e2d3c-aaaa-bbbb-cccc-000000000000"}]
    )
    assert (my_call.status_code, my_call.text) == (400, "INVALID REQUEST TYPE")
    current = sonoran.v2("GET", "/emergency/accounts/0f1e2d3c-aaaa-bbbb-cccc-000000000000/current-call")
    assert current.status_code == 404 and current.headers["content-type"] == "application/problem+json"
    kick = sonoran.v2("DELETE", f"{S}/units/kick", json={"apiId": "unit-A", "reason": "AFK"})
    assert kick.status_code == 404 and kick.json()["status"] == 404
