"""GET /v1/events: the tenant's events in pages for polling clients; and the errors of both live endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Api


def _events(api: Api, query: str = "", headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = api.client.get(f"/v1/events{query}", headers=api.acme if headers is None else headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _walk(api: Api, query: str, limit: int) -> tuple[list[dict[str, Any]], int, int]:
    """Every page from after=0: the events, the last cursor and the number of requests."""
    after, found, requests = 0, [], 0
    while True:
        page = _events(api, f"?after={after}&limit={limit}{query}")
        requests += 1
        found += page["data"]
        assert page["next_after"] >= after
        after = page["next_after"]
        if not page["has_more"]:
            return found, after, requests


def test_pages_through_every_event_in_order_with_the_cursor(api: Api) -> None:
    first = api.create_id()
    as_created = api.incident(first)
    second = api.create_id()
    for note in ("a", "b", "c"):
        assert api.client.post(f"/v1/incidents/{first}/notes", json={"note": note}, headers=api.acme).status_code == 201
    everything = _events(api, "?limit=1000")
    assert [e["seq"] for e in everything["data"]] == [1, 2, 3, 4, 5]
    assert (everything["next_after"], everything["has_more"]) == (5, False)

    page = _events(api, "?after=0&limit=2")
    assert [e["seq"] for e in page["data"]] == [1, 2] and (page["next_after"], page["has_more"]) == (2, True)
    found, cursor, requests = _walk(api, "", 2)
    assert found == everything["data"] and cursor == 5 and requests == 3
    # Nothing new: an empty page that keeps the cursor; something new: exactly it.
    assert _events(api, "?after=5") == {"data": [], "next_after": 5, "has_more": False}
    api.client.post(f"/v1/incidents/{second}/notes", json={"note": "d"}, headers=api.acme)
    later = _events(api, "?after=5")
    assert [(e["seq"], e["type"], e["incident_id"]) for e in later["data"]] == [(6, "incident.note_added", second)]

    first_event = everything["data"][0]
    assert first_event["id"].startswith("evt_") and first_event["timestamp"].endswith("Z")
    assert first_event["source"] == "native" and first_event["resource_id"] == first
    # The incident as the native API showed it then, but for its timeline (the events are the timeline) and
    # its SLA (measured to the time of each read).
    assert first_event["data"]["object"] == {k: v for k, v in as_created.items() if k not in ("timeline", "sla")}


def test_filters_and_a_cursor_past_what_they_leave_out(api: Api) -> None:
    first = api.create_id()
    second = api.create_id()
    api.client.post(f"/v1/incidents/{second}/status", json={"status": "resolved"}, headers=api.acme)
    api.client.post(f"/v1/incidents/{first}/notes", json={"note": "x"}, headers=api.acme)
    types = [e["type"] for e in _events(api)["data"]]
    assert types == [
        "incident.created",
        "incident.created",
        "incident.status_changed",
        "incident.resolved",
        "incident.note_added",
    ]
    resolved = _events(api, "?type=incident.resolved")
    assert [e["seq"] for e in resolved["data"]] == [4]
    assert resolved["next_after"] == 5  # past the note the filter left out: the next poll starts after it
    both = _events(api, "?type=incident.resolved&type=incident.note_added")
    assert [e["type"] for e in both["data"]] == ["incident.resolved", "incident.note_added"]
    assert len(_events(api, "?type=incident.*")["data"]) == 5 == len(_events(api, "?type=*")["data"])
    assert _events(api, "?type=assignment.*")["data"] == []
    mine = _events(api, f"?incident_id={first}")
    assert [e["type"] for e in mine["data"]] == ["incident.created", "incident.note_added"]
    assert _events(api, "?incident_id=inc_nothere") == {"data": [], "next_after": 5, "has_more": False}
    # Filtered pages walk the same way.
    found, cursor, _ = _walk(api, "&type=incident.created", 1)
    assert [e["incident_id"] for e in found] == [first, second] and cursor == 5


def test_another_tenants_events_never_appear(api: Api) -> None:
    api.create_id()
    theirs = api.create(headers=api.globex).json()["incident"]["incident_id"]
    page = _events(api, headers=api.globex)
    assert [(e["seq"], e["incident_id"]) for e in page["data"]] == [(1, theirs)]
    assert [e["incident_id"] for e in _events(api, f"?incident_id={theirs}")["data"]] == []


def test_mounted_under_v1_external_too(api: Api) -> None:
    api.create_id()
    response = api.client.get("/v1/external/events", headers=api.acme)
    assert response.status_code == 200 and len(response.json()["data"]) == 1


@pytest.mark.parametrize("path", ["/v1/events", "/v1/events/stream"])
def test_a_key_without_incidents_read_is_refused(api: Api, path: str) -> None:
    response = api.client.get(path, headers=api.key(["incidents:write"]))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "incidents:read" in response.json()["message"]
    assert api.client.get(path).status_code == 401


@pytest.mark.parametrize(
    ("path", "query", "headers", "field"),
    [
        ("/v1/events", "?after=-1", {}, "after"),
        ("/v1/events", "?after=x", {}, "after"),
        ("/v1/events", "?limit=0", {}, "limit"),
        ("/v1/events", "?limit=1001", {}, "limit"),
        ("/v1/events", "?type=incident.*.created", {}, "type.0"),
        ("/v1/events", "?type=ok.type&type=Incident", {}, "type.1"),
        ("/v1/events", "?incident_id=", {}, "incident_id"),
        ("/v1/events/stream", "?after=-1", {}, "after"),
        ("/v1/events/stream", "?type=*.created", {}, "type.0"),
        ("/v1/events/stream", "", {"Last-Event-ID": "evt_1"}, "Last-Event-ID"),
        ("/v1/events/stream", "", {"Last-Event-ID": "-3"}, "Last-Event-ID"),
    ],
)
def test_bad_parameters_get_the_native_error_naming_the_field(
    api: Api, path: str, query: str, headers: dict[str, str], field: str
) -> None:
    response = api.client.get(f"{path}{query}", headers={**api.acme, **headers})
    assert response.status_code == 422, response.text
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["code"] == 422 and field in body["message"]
    assert [e["field"] for e in body["errors"]] == [field]
