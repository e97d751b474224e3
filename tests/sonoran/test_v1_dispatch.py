"""Sonoran v1 dispatch calls: the seed's example, every call endpoint, multi-item data, the primary rule."""

from __future__ import annotations

import json

import pytest

from tests.sonoran import helpers
from tests.sonoran.helpers import Sonoran, seed_example


def test_seed_example_creates_a_call_with_its_unit_as_primary(sonoran: Sonoran) -> None:
    body = seed_example()
    body["id"], body["key"] = "COMM-A", sonoran.key_a

    response = sonoran.client.post("/emergency/new_dispatch", json=body)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "NEW DISPATCH CREATED - ID: 1"
    call = sonoran.calls()["activeCalls"][0]
    assert call["callId"] == 1
    assert {k: call[k] for k in ("origin", "status", "priority", "block", "address", "postal", "title", "code")} == {
        "origin": 0,
        "status": 0,
        "priority": 1,
        "block": "123",
        "address": "4234 E. Example Ave",
        "postal": "456",
        "title": "Traffic Stop",
        "code": "10-39 - Traffic Stop",
    }
    assert call["description"] == "Traffic Stop - Blue Sedan - XP123BS"
    assert call["trackPrimary"] is True and call["metaData"] == {"someKey": "someValue"}
    assert call["notes"] == [] and len(call["idents"]) == 1 and call["primary"] == call["idents"][0]

    incident = sonoran.incident(1)
    assert incident["source"] == "sonoran" and incident["external_id"] == "1"
    assert incident["status"] == "assigned" and incident["priority"] == "1" and incident["severity"] == "high"
    assert incident["call_source"] == "caller" and incident["incident_type"] == "10-39 - Traffic Stop"
    assert incident["location"]["block"] == "123" and incident["location"]["postal"] == "456"
    assert incident["metadata"] == {"someKey": "someValue"}
    assert incident["custom_fields"]["sonoran"]["serverId"] == 1
    assert incident["responders"][0]["unit"]["call_sign"] == "STEAM:1234"
    assert incident["responders"][0]["is_primary"] is True


def test_call_ids_increase_per_tenant(sonoran: Sonoran) -> None:
    assert [sonoran.new_call() for _ in range(3)] == [1, 2, 3]
    other = sonoran.ok("new_dispatch", [{"title": "B"}], community="COMM-B", key=sonoran.key_b)
    assert other.text == "NEW DISPATCH CREATED - ID: 1"


def test_multi_item_data_creates_one_call_each_and_first_unit_is_primary(sonoran: Sonoran) -> None:
    response = sonoran.ok(
        "new_dispatch",
        [
            {"title": "One", "units": ["STEAM:1", "STEAM:2"]},
            {
                "title": "Two",
                "units": ["STEAM:3"],
                "notes": [{"time": "12:00:00", "label": "A-10", "type": "text", "content": "This is a note!"}],
            },
        ],
    )
    assert response.text == "NEW DISPATCH CREATED - ID: 1\nNEW DISPATCH CREATED - ID: 2"
    first, second = sonoran.calls()["activeCalls"]
    assert len(first["idents"]) == 2 and first["primary"] == first["idents"][0]
    assert second["notes"][0]["label"] == "A-10" and second["notes"][0]["content"] == "This is a note!"
    assert second["notes"][0]["type"] == "text" and len(second["notes"][0]["time"]) == 8


def test_a_bad_item_in_multi_item_data_creates_nothing(sonoran: Sonoran) -> None:
    response = sonoran.v1("new_dispatch", [{"title": "Fine", "units": ["STEAM:1"]}, {"title": "Bad", "priority": 4}])
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("INVALID REQUEST DATA: data[1].priority")
    assert sonoran.calls()["activeCalls"] == []
    assert sonoran.new_call() == 1  # no call id was used up


@pytest.mark.parametrize(
    ("origin", "call_source"), [(0, "caller"), (1, "radio_dispatch"), (2, "observed"), (3, "walk_up")]
)
def test_each_origin(sonoran: Sonoran, origin: int, call_source: str) -> None:
    call_id = sonoran.new_call(origin=origin)
    assert sonoran.call(call_id)["origin"] == origin
    assert sonoran.incident(call_id)["call_source"] == call_source


@pytest.mark.parametrize(("status", "canonical"), [(0, "created"), (1, "dispatching"), (2, "resolved")])
def test_each_call_status(sonoran: Sonoran, status: int, canonical: str) -> None:
    call_id = sonoran.new_call(status=status)
    incident = sonoran.incident(call_id)
    assert incident["status"] == canonical
    board = sonoran.calls()
    assert [c["callId"] for c in board["closedCalls" if status == 2 else "activeCalls"]] == [call_id]
    if status == 2:
        assert incident["closed_at"] and incident["resolved_at"]


@pytest.mark.parametrize(("priority", "severity"), [(1, "high"), (2, "medium"), (3, "low")])
def test_each_priority(sonoran: Sonoran, priority: int, severity: str) -> None:
    call_id = sonoran.new_call(priority=priority)
    assert sonoran.call(call_id)["priority"] == priority
    assert sonoran.incident(call_id)["severity"] == severity


@pytest.mark.parametrize(
    ("field", "value"),
    [("origin", 4), ("origin", -1), ("status", 3), ("priority", 0), ("priority", 4), ("serverId", 0)],
)
def test_out_of_range_enum_is_400_text_and_changes_nothing(sonoran: Sonoran, field: str, value: int) -> None:
    response = sonoran.v1("new_dispatch", [{"title": "X", field: value}])
    assert response.status_code == 400
    assert response.text.startswith(f"INVALID REQUEST DATA: data[0].{field}")
    assert sonoran.calls()["activeCalls"] == []


def test_edit_dispatch(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(metaData={"a": "1", "b": "2"}, units=["STEAM:1"])
    response = sonoran.ok(
        "edit_dispatch",
        [{"serverId": 1, "callId": call_id, "title": "Pursuit", "priority": 1, "status": 1, "metaData": {"c": "3"}}],
    )
    assert response.text == f"DISPATCH CALL {call_id} UPDATED"
    call = sonoran.call(call_id)
    assert call["title"] == "Pursuit" and call["priority"] == 1 and call["status"] == 1
    assert call["metaData"] == {"c": "3"}  # replaces
    assert call["description"] == ""  # untouched fields stay
    incident = sonoran.incident(call_id)
    assert incident["status"] == "assigned"  # status 1 does not move an assigned call back
    updated = [e for e in incident["timeline"] if e["event"] == "updated"][-1]
    assert {"title", "priority", "extra_metadata"} <= set(updated["data"]["changed"])


def test_edit_dispatch_errors(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call()
    nothing = sonoran.v1("edit_dispatch", [{"serverId": 1, "callId": call_id}])
    assert nothing.status_code == 400
    assert nothing.text == "ERROR: Missing editable dispatch fields. Provide at least one field to update."
    unknown = sonoran.v1("edit_dispatch", [{"serverId": 1, "callId": 99, "title": "x"}])
    assert (unknown.status_code, unknown.text) == (400, "INVALID CALL ID: 99")
    no_call = sonoran.v1("edit_dispatch", [{"serverId": 1, "title": "x"}])
    assert no_call.status_code == 400 and "callId" in no_call.text
    assert sonoran.incident(call_id)["revision"] == 1


def test_edit_to_closed_closes_and_cannot_reopen(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1"])
    sonoran.ok("edit_dispatch", [{"callId": call_id, "status": 2}])
    assert sonoran.incident(call_id)["status"] == "resolved"
    reopen = sonoran.v1("edit_dispatch", [{"callId": call_id, "status": 1}])
    assert (reopen.status_code, reopen.text) == (400, f"CALL {call_id} IS CLOSED")


def test_get_calls_filters_and_pages_closed_calls(sonoran: Sonoran) -> None:
    ids = [sonoran.new_call() for _ in range(4)]
    sonoran.ok("call_911", [{"caller": "Jane", "location": "Alta St", "description": "Shots"}])
    for call_id in ids[:3]:
        sonoran.ok("close_call", [{"serverId": 1, "callId": call_id}])
    board = sonoran.calls()
    assert [c["callId"] for c in board["activeCalls"]] == [ids[3]]
    assert [c["callId"] for c in board["closedCalls"]] == [ids[2], ids[1], ids[0]]
    assert len(board["emergencyCalls"]) == 1
    paged = sonoran.calls(serverId=1, closedLimit=1, closedOffset=1)
    assert [c["callId"] for c in paged["closedCalls"]] == [ids[1]]
    only_dispatch = sonoran.calls(type=0)
    assert only_dispatch["emergencyCalls"] == [] and len(only_dispatch["activeCalls"]) == 1
    only_911 = sonoran.calls(type=1)
    assert only_911["activeCalls"] == [] and only_911["closedCalls"] == [] and len(only_911["emergencyCalls"]) == 1
    assert len(sonoran.calls(type=100)["closedCalls"]) == 3
    bad = sonoran.v1("get_calls", [{"closedLimit": 101}])
    assert bad.status_code == 400 and "closedLimit" in bad.text
    assert sonoran.v1("get_calls", [{"type": 2}]).status_code == 400


def test_attach_and_detach(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call()
    assert sonoran.ok("attach_unit", [{"serverId": 1, "callId": call_id, "units": ["STEAM:1", "STEAM:2"]}]).text == (
        "UNITS ATTACHED"
    )
    call = sonoran.call(call_id)
    assert len(call["idents"]) == 2 and call["primary"] == call["idents"][0]
    assert sonoran.incident(call_id)["status"] == "assigned"
    ident = call["idents"][1]
    other = sonoran.new_call()
    sonoran.ok("attach_unit", [{"callId": other, "identIds": [ident]}])
    assert sonoran.call(call_id)["idents"] == call["idents"][:1]  # a unit is on one call at a time
    assert sonoran.ok("detach_unit", [{"serverId": 1, "units": ["STEAM:1"]}]).text == "UNITS DETACHED"
    assert sonoran.call(call_id)["idents"] == [] and sonoran.call(call_id)["primary"] is None
    responders = sonoran.incident(call_id)["responders"]
    assert all(r["cleared_at"] for r in responders)


def test_attach_errors_change_nothing(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call()
    missing = sonoran.v1("attach_unit", [{"callId": call_id}])
    assert missing.status_code == 400 and "apiId, units, account or identIds" in missing.text
    unknown_ident = sonoran.v1("attach_unit", [{"callId": call_id, "units": ["STEAM:9"], "identIds": [77]}])
    assert (unknown_ident.status_code, unknown_ident.text) == (400, "INVALID IDENT ID: 77")
    unknown_call = sonoran.v1("attach_unit", [{"callId": 50, "units": ["STEAM:9"]}])
    assert unknown_call.text == "INVALID CALL ID: 50"
    assert sonoran.call(call_id)["idents"] == []
    assert sonoran.ok("get_active_units", [{"includeOffline": True}]).json() == []  # no ghost unit registered


def test_add_call_note(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call()
    response = sonoran.ok(
        "add_call_note",
        [{"serverId": 1, "callId": call_id, "label": "A-10", "note": "some note here", "noteType": "text"}],
    )
    assert response.text == f"NOTE 'some note here' added to call #{call_id}"
    note = sonoran.call(call_id)["notes"][0]
    assert note["content"] == "some note here" and note["label"] == "A-10" and note["type"] == "text"
    assert sonoran.incident(call_id)["notes"][0]["note"] == "some note here"
    empty = sonoran.v1("add_call_note", [{"callId": call_id, "note": ""}])
    assert empty.status_code == 400 and "note" in empty.text


def test_close_call_clears_units_and_resolves(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1"])
    assert sonoran.ok("close_call", [{"serverId": 1, "callId": call_id}]).text == f"CALL {call_id} CLOSED"
    incident = sonoran.incident(call_id)
    assert incident["status"] == "resolved" and incident["closed_at"]
    assert incident["responders"][0]["cleared_at"]
    assert sonoran.ok("close_call", [{"callId": call_id}]).text == f"CALL {call_id} CLOSED"  # again: no change
    assert sonoran.incident(call_id)["revision"] == incident["revision"]


def test_set_call_postal_and_primary(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1", "STEAM:2"])
    assert sonoran.ok("set_call_postal", [{"serverId": 1, "callId": call_id, "postal": 456}]).text == (
        f"CALL {call_id} POSTAL SET TO 456"
    )
    assert sonoran.call(call_id)["postal"] == "456"
    second = sonoran.call(call_id)["idents"][1]
    text = sonoran.ok("set_call_primary", [{"callId": call_id, "primary": second, "trackPrimary": True}]).text
    assert text == f"CALL {call_id} PRIMARY SET TO {second}"
    call = sonoran.call(call_id)
    assert call["primary"] == second and call["trackPrimary"] is True
    assert (
        sonoran.ok("set_call_primary", [{"callId": call_id, "primary": -1}]).text == f"CALL {call_id} PRIMARY CLEARED"
    )
    assert sonoran.call(call_id)["primary"] is None


def test_edit_dispatch_primary_is_an_edit_applied_in_the_same_transaction(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1", "STEAM:2"])
    first, second = sonoran.call(call_id)["idents"]
    assert sonoran.ok("edit_dispatch", [{"callId": call_id, "primary": second}]).text == (
        f"DISPATCH CALL {call_id} UPDATED"
    )
    assert sonoran.call(call_id)["primary"] == second
    unknown = sonoran.v1("edit_dispatch", [{"callId": call_id, "title": "Changed", "primary": 999}])
    assert (unknown.status_code, unknown.text) == (400, "INVALID IDENT ID: 999")
    call = sonoran.call(call_id)
    assert call["title"] == "Call" and call["primary"] == second  # nothing of the failed edit stayed
    sonoran.ok("edit_dispatch", [{"callId": call_id, "title": "Changed", "primary": -1}])
    call = sonoran.call(call_id)
    assert call["title"] == "Changed" and call["primary"] is None and call["idents"] == [first, second]
    other = sonoran.new_call(units=["STEAM:3"])
    sonoran.ok("edit_dispatch", [{"callId": other, "primary": first, "status": 2}])  # primary, then closed
    assert sonoran.call(call_id)["idents"] == [second]
    closed = sonoran.v1("edit_dispatch", [{"callId": other, "primary": second}])
    assert (closed.status_code, closed.text) == (400, f"CALL {other} IS CLOSED")


def test_a_call_without_priority_gets_the_documented_default(sonoran: Sonoran) -> None:
    sonoran.ok("new_dispatch", [{"title": "No priority"}])
    assert sonoran.call(1)["priority"] == 2
    incident = sonoran.incident(1)
    assert incident["priority"] == "2" and incident["severity"] == "medium"


def test_new_dispatch_with_an_unknown_primary_and_no_units_creates_the_call(sonoran: Sonoran) -> None:
    body = seed_example()
    del body["data"][0]["units"]  # the seed's `primary: 123` names no unit this community has
    body["id"], body["key"] = "COMM-A", sonoran.key_a
    response = sonoran.client.post("/emergency/new_dispatch", json=body)
    assert (response.status_code, response.text) == (200, "NEW DISPATCH CREATED - ID: 1")
    call = sonoran.call(1)
    assert call["idents"] == [] and call["primary"] is None and call["title"] == "Traffic Stop"
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 2}])
    ident = sonoran.ok("get_active_units").json()[0]["id"]
    sonoran.ok("new_dispatch", [{"title": "Known", "primary": ident}])
    assert sonoran.call(2)["idents"] == [ident] and sonoran.call(2)["primary"] == ident


def test_detach_only_looks_units_up(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1"])
    text = sonoran.ok("detach_unit", [{"units": ["STEAM:404"], "account": "acc-404"}]).text
    assert text == "UNITS DETACHED"
    units = sonoran.ok("get_active_units", [{"includeOffline": True}]).json()
    assert [u["data"]["apiId1"] for u in units] == ["STEAM:1"]  # no unit was made up
    assert len(sonoran.call(call_id)["idents"]) == 1


def test_the_seed_is_read_from_shared_and_matches_the_committed_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        helpers.strip_comments('{"a": "x // y,}", // note\n "b": [1, 2,], // end\n}')
        == '{"a": "x // y,}", \n "b": [1, 2] \n}'
    )
    committed = json.loads((helpers.DATA / "new_dispatch.json").read_text())
    if helpers.SEED.is_file():  # beside the repository (a developer's tree, CI's clone): the seed itself
        assert helpers.parse_seed(helpers.SEED.read_text()) == committed
    monkeypatch.setattr(helpers, "SEED", helpers.SEED.with_name("no-such-seed.txt"))
    assert helpers.seed_example() == committed  # elsewhere the committed copy stands in
