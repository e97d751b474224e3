"""Values the columns cannot hold (huge integers, long strings, NUL) are refused up front, naming the field.

Each answer is the door's own error (v1 plain text, v2 problem+json), on SQLite and PostgreSQL alike, and
nothing is written.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sonoran.helpers import Sonoran

BIG = 2**40
S = "/emergency/servers/1"
V2_CREATE = {"origin": 0, "status": 1, "priority": 1, "title": "Robbery", "communityUserIds": ["player-1"]}


def _v1_refused(sonoran: Sonoran, name: str, item: dict[str, Any], field: str) -> None:
    response = sonoran.v1(name, [item])
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith(f"INVALID REQUEST DATA: data[0].{field}"), response.text


def _v2_refused(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]], response.json()


@pytest.mark.parametrize(
    ("name", "item", "field"),
    [
        ("new_dispatch", {"title": "x", "primary": BIG}, "primary"),
        ("new_dispatch", {"title": "x", "serverId": BIG}, "serverId"),
        ("new_dispatch", {"title": "x", "deleteAfterMinutes": BIG}, "deleteAfterMinutes"),
        ("edit_dispatch", {"callId": BIG, "title": "x"}, "callId"),
        ("edit_dispatch", {"callId": 1, "primary": BIG}, "primary"),
        ("attach_unit", {"callId": 1, "identIds": [BIG]}, "identIds.0"),
        ("detach_unit", {"identIds": [BIG]}, "identIds.0"),
        ("set_call_primary", {"callId": 1, "primary": BIG}, "primary"),
        ("set_call_primary", {"callId": BIG, "primary": 1}, "callId"),
        ("close_call", {"callId": BIG}, "callId"),
        ("add_call_note", {"callId": BIG, "note": "x"}, "callId"),
        ("remove_911", {"callId": BIG}, "callId"),
        ("get_calls", {"closedOffset": BIG}, "closedOffset"),
        ("get_active_units", {"offset": BIG}, "offset"),
        ("unit_status", {"identIds": [BIG], "status": 3}, "identIds.0"),
        ("unit_panic", {"identIds": [BIG], "isPanic": True}, "identIds.0"),
    ],
)
def test_v1_out_of_range_integers(sonoran: Sonoran, name: str, item: dict[str, Any], field: str) -> None:
    sonoran.new_call(units=["STEAM:1"])
    _v1_refused(sonoran, name, item, field)
    assert [c["callId"] for c in sonoran.calls()["activeCalls"]] == [1]


@pytest.mark.parametrize(
    ("name", "item", "field"),
    [
        ("new_dispatch", {"title": "x", "postal": "9" * 65}, "postal"),
        ("new_dispatch", {"title": "t" * 501}, "title"),
        ("new_dispatch", {"title": "x", "block": "b" * 129}, "block"),
        ("new_dispatch", {"title": "x", "address": "a" * 501}, "address"),
        ("new_dispatch", {"title": "x", "code": "c" * 201}, "code"),
        ("new_dispatch", {"title": "x", "units": ["S" * 129]}, "units.0"),
        ("new_dispatch", {"title": "x", "accounts": ["A" * 129]}, "accounts.0"),
        ("new_dispatch", {"title": "x", "notes": [{"label": "L" * 201, "content": "c"}]}, "notes.0.label"),
        ("new_dispatch", {"title": "x", "notes": [{"type": "T" * 65, "content": "c"}]}, "notes.0.type"),
        ("new_dispatch", {"title": "a\x00b"}, "title"),
        ("new_dispatch", {"title": "x", "description": "a\x00b"}, "description"),
        ("new_dispatch", {"title": "x", "notes": [{"content": "a\x00b"}]}, "notes.0.content"),
        ("new_dispatch", {"title": "x", "metaData": {"k": "a\x00b"}}, "metaData"),
        ("edit_dispatch", {"callId": 1, "postal": "9" * 65}, "postal"),
        ("edit_dispatch", {"callId": 1, "title": "t" * 501}, "title"),
        ("add_call_note", {"callId": 1, "note": "n", "label": "L" * 201}, "label"),
        ("add_call_note", {"callId": 1, "note": "a\x00b"}, "note"),
        ("set_call_postal", {"callId": 1, "postal": "9" * 65}, "postal"),
        ("attach_unit", {"callId": 1, "units": ["S" * 129]}, "units.0"),
        ("attach_unit", {"callId": 1, "apiId": "S" * 129}, "apiId"),
        ("attach_unit", {"callId": 1, "account": "A" * 129}, "account"),
        ("call_911", {"caller": "C" * 201}, "caller"),
        ("call_911", {"location": "L" * 501}, "location"),
        ("call_911", {"caller": "a\x00b"}, "caller"),
        ("call_911", {"metaData": {"postal": "9" * 65}}, "metaData"),
        ("unit_status", {"apiId": "S" * 129, "status": 3}, "apiId"),
        ("unit_location", {"apiId": "STEAM:1", "location": "L" * 501}, "location"),
        ("unit_location", {"apiId": "STEAM:1\x00", "location": "x"}, "apiId"),
    ],
)
def test_v1_too_long_or_nul_strings(sonoran: Sonoran, name: str, item: dict[str, Any], field: str) -> None:
    sonoran.new_call()
    _v1_refused(sonoran, name, item, field)
    board = sonoran.calls()
    assert [c["callId"] for c in board["activeCalls"]] == [1] and board["emergencyCalls"] == []
    assert sonoran.call(1)["postal"] == "" and sonoran.call(1)["title"] == "Call"
    assert sonoran.ok("get_active_units", [{"includeOffline": True}]).json() == []


@pytest.mark.parametrize(
    ("method", "path", "body", "params", "field"),
    [
        ("PATCH", f"{S}/dispatch-calls/{BIG}", {"title": "x"}, None, "callId"),
        ("POST", f"{S}/dispatch-calls/{BIG}/notes", {"note": "x"}, None, "callId"),
        ("PATCH", f"{S}/dispatch-calls/{BIG}/postal", {"postal": "1"}, None, "callId"),
        ("PATCH", f"{S}/dispatch-calls/{BIG}/primary", {"identId": 1}, None, "callId"),
        ("POST", f"{S}/dispatch-calls/{BIG}/attachments", {"identIds": [1]}, None, "callId"),
        ("DELETE", f"{S}/calls/911/{BIG}", None, None, "callId"),
        ("GET", f"/emergency/servers/{BIG}/calls", None, None, "serverId"),
        ("POST", f"{S}/dispatch-calls/close", {"callIds": [BIG]}, None, "callIds.0"),
        ("GET", f"{S}/calls", None, {"closedOffset": BIG}, "closedOffset"),
        ("GET", f"{S}/units", None, {"offset": BIG}, "offset"),
        ("POST", f"{S}/dispatch-calls/1/attachments", {"identIds": [BIG]}, None, "identIds.0"),
        ("PATCH", f"{S}/dispatch-calls/1/primary", {"identId": BIG}, None, "identId"),
        ("PATCH", f"{S}/units/status", {"identIds": [BIG], "status": 3}, None, "identIds.0"),
        ("PATCH", f"{S}/unit-locations", {"updates": [{"identId": BIG, "location": "x"}]}, None, "updates.0.identId"),
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "primary": BIG}, None, "primary"),
    ],
)
def test_v2_out_of_range_integers(sonoran: Sonoran, method: str, path: str, body: Any, params: Any, field: str) -> None:
    sonoran.v2("POST", f"{S}/dispatch-calls", json=V2_CREATE)
    _v2_refused(sonoran.v2(method, path, json=body, params=params), field)
    board = sonoran.v2("GET", f"{S}/calls").json()
    assert [c["callId"] for c in board["ActiveCalls"]] == [1] and board["ActiveCalls"][0]["primary"] is not None


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "postal": "9" * 65}, "postal"),
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "title": "t" * 501}, "title"),
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "communityUserIds": ["S" * 129]}, "communityUserIds.0"),
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "roblox": "R" * 121}, "roblox"),
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "title": "a\x00b"}, "title"),
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "metaData": {"x": "a\x00b"}}, "metaData.x"),
        ("PATCH", f"{S}/dispatch-calls/1", {"postal": "9" * 65}, "postal"),
        ("PATCH", f"{S}/dispatch-calls/1", {"code": "c" * 201}, "code"),
        ("POST", f"{S}/dispatch-calls/1/notes", {"note": "n", "noteType": "T" * 65}, "noteType"),
        ("POST", f"{S}/dispatch-calls/1/notes", {"note": "n", "label": "L" * 201}, "label"),
        ("POST", f"{S}/dispatch-calls/1/notes", {"note": "a\x00b"}, "note"),
        ("PATCH", f"{S}/dispatch-calls/1/postal", {"postal": "9" * 65}, "postal"),
        ("POST", f"{S}/calls/911", {"caller": "C" * 201}, "caller"),
        ("POST", f"{S}/calls/911", {"location": "L" * 501}, "location"),
        ("POST", f"{S}/calls/911", {"metaData": {"block": "b" * 129}}, "metaData"),
        ("PATCH", f"{S}/units/status", {"communityUserId": "S" * 129, "status": 3}, "communityUserId"),
        ("PATCH", f"{S}/units/panic", {"accountUuid": "A" * 129, "isPanic": True}, "accountUuid"),
        (
            "PATCH",
            f"{S}/unit-locations",
            {"updates": [{"communityUserId": "player-1", "location": "L" * 501}]},
            "updates.0.location",
        ),
    ],
)
def test_v2_too_long_or_nul_strings(sonoran: Sonoran, method: str, path: str, body: Any, field: str) -> None:
    sonoran.v2("POST", f"{S}/dispatch-calls", json=V2_CREATE)
    _v2_refused(sonoran.v2(method, path, json=body), field)
    board = sonoran.v2("GET", f"{S}/calls").json()
    assert [c["callId"] for c in board["ActiveCalls"]] == [1] and board["EmergencyCalls"] == []
    call = board["ActiveCalls"][0]
    assert call["postal"] == "" and call["notes"] == [] and call["code"] == ""
    units = sonoran.v2("GET", f"{S}/units", params={"includeOffline": True}).json()
    assert [u["data"]["apiId1"] for u in units] == ["player-1"] and units[0]["location"] == ""


@pytest.mark.parametrize(("field", "value"), [("origin", 4), ("origin", -1), ("status", 3), ("status", -1)])
def test_v2_out_of_range_origin_and_status(sonoran: Sonoran, field: str, value: int) -> None:
    _v2_refused(sonoran.v2("POST", f"{S}/dispatch-calls", json={**V2_CREATE, field: value}), field)
    sonoran.v2("POST", f"{S}/dispatch-calls", json=V2_CREATE)
    _v2_refused(sonoran.v2("PATCH", f"{S}/dispatch-calls/1", json={field: value}), field)
    call = sonoran.v2("GET", f"{S}/calls").json()["ActiveCalls"]
    assert [(c["callId"], c["origin"], c["status"]) for c in call] == [(1, 0, 1)]
