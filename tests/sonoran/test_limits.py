"""Sonoran arrays are bounded: `data` 100 items, 100 units per list, 200 notes per call (v1 and v2).

One over is the door's own error naming the field (v1 text, v2 problem+json) and changes nothing; the
limit itself is accepted.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sonoran.helpers import Sonoran

S = "/servers/1"
V2_CREATE = {"origin": 0, "status": 1, "priority": 1, "title": "Robbery"}


def _ids(count: int) -> list[str]:
    return [f"STEAM:{index}" for index in range(count)]


def _units(sonoran: Sonoran) -> list[dict[str, Any]]:
    return sonoran.ok("get_active_units", [{"includeOffline": True, "limit": 100}]).json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "data", "text"),
    [
        ("new_dispatch", [{"title": "x"}] * 101, "INVALID REQUEST: data must hold at most 100 items"),
        ("unit_status", [{"apiId": "STEAM:1", "status": 3}] * 101, "INVALID REQUEST: data must hold at most 100"),
        ("new_dispatch", [{"title": "x", "units": _ids(101)}], "INVALID REQUEST DATA: data[0].units:"),
        ("new_dispatch", [{"title": "x", "accounts": _ids(101)}], "INVALID REQUEST DATA: data[0].accounts:"),
        ("new_dispatch", [{"title": "x", "notes": [{"content": "n"}] * 201}], "INVALID REQUEST DATA: data[0].notes:"),
        ("attach_unit", [{"callId": 1, "units": _ids(101)}], "INVALID REQUEST DATA: data[0].units:"),
        ("detach_unit", [{"identIds": list(range(1, 102))}], "INVALID REQUEST DATA: data[0].identIds:"),
        ("unit_status", [{"units": _ids(101), "status": 3}], "INVALID REQUEST DATA: data[0].units:"),
        ("unit_panic", [{"units": _ids(101), "isPanic": True}], "INVALID REQUEST DATA: data[0].units:"),
        ("unit_location", [{"units": _ids(101), "location": "x"}], "INVALID REQUEST DATA: data[0].units:"),
    ],
)
def test_v1_one_over_the_limit_is_refused_naming_the_field(
    sonoran: Sonoran, name: str, data: list[dict[str, Any]], text: str
) -> None:
    sonoran.new_call(units=["STEAM:kept"])
    before = _units(sonoran)
    response = sonoran.v1(name, data)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith(text), response.text
    assert [c["callId"] for c in sonoran.calls()["activeCalls"]] == [1]
    assert _units(sonoran) == before
    assert len(sonoran.call(1)["idents"]) == 1


def test_v1_the_limits_are_accepted(sonoran: Sonoran) -> None:
    response = sonoran.ok("new_dispatch", [{"title": "x", "units": _ids(100), "notes": [{"content": "n"}] * 200}])
    call_id = int(response.text.rsplit(" ", 1)[1])
    assert len(sonoran.call(call_id)["idents"]) == 100 and len(sonoran.call(call_id)["notes"]) == 200
    created = sonoran.ok("new_dispatch", [{"title": f"call {i}"} for i in range(100)]).text.splitlines()
    assert len(created) == 100
    assert sonoran.ok("unit_status", [{"units": _ids(100), "status": 3}]).text == "UNIT STATUS UPDATED"
    assert {u["status"] for u in _units(sonoran)} == {3}


def _v2_refused(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(error["field"].startswith(field) for error in response.json()["errors"]), response.json()


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "communityUserIds": _ids(101)}, "communityUserIds"),
        ("POST", f"{S}/dispatch-calls", {**V2_CREATE, "accounts": _ids(101), "communityUserIds": []}, "accounts"),
        (
            "POST",
            f"{S}/dispatch-calls",
            {**V2_CREATE, "communityUserIds": [], "notes": [{"content": "n"}] * 201},
            "notes",
        ),
        ("POST", f"{S}/dispatch-calls/close", {"callIds": list(range(1, 102))}, "callIds"),
        ("DELETE", f"{S}/dispatch-calls/attachments", {"identIds": list(range(1, 102))}, "identIds"),
        ("PATCH", f"{S}/units/status", {"communityUserIds": _ids(101), "status": 3}, "communityUserIds"),
        (
            "PATCH",
            f"{S}/unit-locations",
            {"updates": [{"communityUserId": "STEAM:1", "location": "x"}] * 101},
            "updates",
        ),
    ],
)
def test_v2_one_over_the_limit_is_refused_naming_the_field(
    sonoran: Sonoran, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    sonoran.new_call(units=["STEAM:kept"])
    before = _units(sonoran)
    _v2_refused(sonoran.v2(method, f"/emergency{path}", json=body), field)
    assert [c["callId"] for c in sonoran.calls()["activeCalls"]] == [1]
    assert _units(sonoran) == before


def test_v2_the_limits_are_accepted(sonoran: Sonoran) -> None:
    body = {**V2_CREATE, "communityUserIds": _ids(100), "notes": [{"content": "n"}] * 200}
    response = sonoran.v2("POST", f"/emergency{S}/dispatch-calls", json=body)
    assert response.status_code == 201, response.text
    call_id = response.json()["callId"]
    assert len(sonoran.call(call_id)["idents"]) == 100
    status = sonoran.v2("PATCH", f"/emergency{S}/units/status", json={"communityUserIds": _ids(100), "status": 3})
    assert status.status_code == 200, status.text
    assert {u["status"] for u in _units(sonoran)} == {3}
