"""Sonoran v1 envelope: each error string, unknown keys, aliases, general endpoints, tenant isolation."""

from __future__ import annotations

import pytest

from tests.sonoran.helpers import Sonoran


def _plain_400(response, text: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == text


def test_invalid_request_type(sonoran: Sonoran) -> None:
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], type_="EDIT_DISPATCH"), "INVALID REQUEST TYPE")
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], type_=""), "INVALID REQUEST TYPE")
    _plain_400(sonoran.v1("kick_unit", [{"apiId": "x"}]), "INVALID REQUEST TYPE")
    _plain_400(sonoran.v1("get_nothing", category="general"), "INVALID REQUEST TYPE")
    assert sonoran.calls()["activeCalls"] == []


def test_invalid_community_id(sonoran: Sonoran) -> None:
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], community="NOPE"), "INVALID COMMUNITY ID")
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], community=""), "INVALID COMMUNITY ID")
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], community="COMM\x00A"), "INVALID COMMUNITY ID")
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], community="C" * 300), "INVALID COMMUNITY ID")


def test_invalid_api_key(sonoran: Sonoran) -> None:
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], key="wrong"), "INVALID API KEY")
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], key=""), "INVALID API KEY")
    # A real key of another community never reaches this one.
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x"}], key=sonoran.key_b), "INVALID API KEY")
    assert sonoran.calls()["activeCalls"] == []


def test_api_not_enabled_for_a_tenant_without_community_id(sonoran: Sonoran) -> None:
    response = sonoran.v1("new_dispatch", [{"title": "x"}], community="PLAIN", key=sonoran.key_plain)
    _plain_400(response, "API IS NOT ENABLED FOR THIS COMMUNITY")


def test_key_without_dispatch_scope(sonoran: Sonoran) -> None:
    reader = sonoran.key(["dispatch:read"])
    _plain_400(
        sonoran.v1("new_dispatch", [{"title": "x"}], key=reader), "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY"
    )
    assert sonoran.v1("get_calls", key=reader).status_code == 200
    nothing = sonoran.key(["incidents:read"])
    _plain_400(sonoran.v1("get_calls", key=nothing), "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY")


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"'])
def test_malformed_body_is_plain_text_400(sonoran: Sonoran, body: bytes) -> None:
    response = sonoran.client.post(
        "/emergency/new_dispatch", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("INVALID REQUEST:")


def test_bad_data_shapes(sonoran: Sonoran) -> None:
    assert sonoran.v1("new_dispatch", "nope").text == "INVALID REQUEST: data must be an array of objects"
    assert sonoran.v1("new_dispatch", [1]).text == "INVALID REQUEST: data must be an array of objects"
    assert sonoran.v1("new_dispatch", []).text == "INVALID REQUEST: data must hold at least one item"


def test_wrong_method_and_errors_are_never_json(sonoran: Sonoran) -> None:
    # A method the path does not have is 405 (with Allow), as on any HTTP API; still plain text.
    response = sonoran.client.get("/emergency/new_dispatch")
    assert response.status_code == 405 and response.headers["content-type"].startswith("text/plain")
    assert response.headers["allow"] == "POST"


def test_unknown_top_level_and_item_keys_are_ignored(sonoran: Sonoran) -> None:
    response = sonoran.v1("new_dispatch", [{"title": "x", "somethingNew": {"a": 1}}], product=0, extra="yes")
    assert response.text == "NEW DISPATCH CREATED - ID: 1"
    assert sonoran.incident(1)["title"] == "x"


def test_serverid_the_tenant_does_not_have(sonoran: Sonoran) -> None:
    _plain_400(sonoran.v1("new_dispatch", [{"title": "x", "serverId": 2}]), "INVALID SERVER ID: 2")
    _plain_400(sonoran.v1("get_calls", [{"serverId": 2}]), "INVALID SERVER ID: 2")


def test_get_version_and_servers(sonoran: Sonoran) -> None:
    version = sonoran.ok("get_version", category="general")
    assert version.text == "3" and version.headers["content-type"].startswith("text/plain")
    servers = sonoran.ok("get_servers", category="general").json()
    assert [s["id"] for s in servers["servers"]] == [1]
    _plain_400(sonoran.v1("get_version", category="general", key="bad"), "INVALID API KEY")


def test_start_up_calls_accept_a_write_only_integration_key(sonoran: Sonoran) -> None:
    """Sonoran.js calls get_version and get_servers on start-up with its one key, which writes."""
    writer = sonoran.key(["dispatch:write"])
    assert sonoran.ok("get_version", category="general", key=writer).text == "3"
    assert [s["id"] for s in sonoran.ok("get_servers", category="general", key=writer).json()["servers"]] == [1]
    headers = {"Authorization": f"Bearer {writer}"}
    assert sonoran.client.get("/v2/general/version", headers=headers).json()["version"] == 3
    assert sonoran.client.get("/v2/general/servers", headers=headers).json()["servers"][0]["id"] == 1
    nothing = sonoran.key(["incidents:read"])
    _plain_400(
        sonoran.v1("get_version", category="general", key=nothing), "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY"
    )
    assert sonoran.client.get("/v2/general/servers", headers={"Authorization": f"Bearer {nothing}"}).status_code == 403


def test_tenant_isolation(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1"])
    b = {"community": "COMM-B", "key": sonoran.key_b}
    board_b = sonoran.ok("get_calls", **b).json()
    assert board_b["activeCalls"] == []
    _plain_400(
        sonoran.v1("edit_dispatch", [{"callId": call_id, "title": "hijack"}], **b), f"INVALID CALL ID: {call_id}"
    )
    _plain_400(sonoran.v1("close_call", [{"callId": call_id}], **b), f"INVALID CALL ID: {call_id}")
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 4}], **b)  # B's own unit of that API id
    assert sonoran.incident(call_id)["status"] == "assigned"
    assert sonoran.call(call_id)["title"] == "Call"
    assert len(sonoran.ok("get_active_units", **b).json()) == 1
    assert len(sonoran.ok("get_active_units").json()) == 1
