"""Notes, cancel and the status lifecycle."""

from __future__ import annotations

import pytest

from tests.factories import Api, stored

LIFECYCLE = ["created", "dispatching", "assigned", "responding", "on_scene", "resolved"]


def _status(api: Api, incident_id: str, status: str, **extra: object):  # type: ignore[no-untyped-def]
    return api.client.post(f"/v1/incidents/{incident_id}/status", json={"status": status, **extra}, headers=api.acme)


def test_note_appears_on_incident_and_timeline(api: Api) -> None:
    incident_id = api.create_id()

    response = api.client.post(
        f"/v1/incidents/{incident_id}/notes",
        json={"note": "Caller is safe", "author": "Dispatcher 4"},
        headers=api.acme,
    )

    assert response.status_code == 201
    note = response.json()
    assert note["note"] == "Caller is safe" and note["author"] == "Dispatcher 4"
    assert note["note_id"].startswith("note_")
    incident = api.incident(incident_id)
    assert [n["note_id"] for n in incident["notes"]] == [note["note_id"]]
    assert incident["timeline"][-1]["event"] == "note_added"
    assert incident["timeline"][-1]["message"] == "Caller is safe"
    assert incident["timeline"][-1]["actor"] == "Dispatcher 4"
    assert incident["revision"] == 2
    assert incident["updated_at"] >= incident["created_at"]


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": 5}, {"note": "ok", "author": ["x"]}])
def test_bad_note_is_422_and_changes_nothing(api: Api, body: dict) -> None:  # type: ignore[type-arg]
    incident_id = api.create_id()
    response = api.client.post(f"/v1/incidents/{incident_id}/notes", json=body, headers=api.acme)
    assert response.status_code == 422
    expected = "author" if "author" in body else "note"
    assert [e["field"] for e in response.json()["errors"]] == [expected]
    assert api.incident(incident_id)["notes"] == []
    assert api.incident(incident_id)["revision"] == 1


def test_note_on_unknown_incident_is_404(api: Api) -> None:
    response = api.client.post("/v1/incidents/inc_nope/notes", json={"note": "x"}, headers=api.acme)
    assert response.status_code == 404


def test_walk_the_whole_lifecycle(api: Api) -> None:
    incident_id = api.create_id()
    for status in LIFECYCLE[1:-1]:
        response = _status(api, incident_id, status, message=f"now {status}")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    resolved = _status(api, incident_id, "resolved", resolution_outcome="false_alarm", resolution_notes="Pocket dial")
    assert resolved.status_code == 200
    incident = resolved.json()
    assert incident["status"] == "resolved"
    assert incident["resolution_outcome"] == "false_alarm"
    assert incident["resolution_notes"] == "Pocket dial"
    assert incident["resolved_at"] is not None
    assert [(e["event"], e["status"]) for e in incident["timeline"]] == [(s, s) for s in LIFECYCLE]
    assert incident["timeline"][2]["message"] == "now assigned"
    assert incident["timeline"][2]["data"] == {"from": "dispatching"}
    assert incident["revision"] == len(LIFECYCLE)


@pytest.mark.parametrize("outcome", ["handled", "false_alarm", "referred", "unresolved"])
def test_each_resolution_outcome(api: Api, outcome: str) -> None:
    incident_id = api.create_id()
    response = _status(api, incident_id, "resolved", resolution_outcome=outcome)
    assert response.status_code == 200
    assert response.json()["resolution_outcome"] == outcome


def test_resolved_without_outcome_defaults_to_handled(api: Api) -> None:
    incident_id = api.create_id()
    assert _status(api, incident_id, "resolved").json()["resolution_outcome"] == "handled"


def test_forward_skips_are_allowed(api: Api) -> None:
    incident_id = api.create_id()
    assert _status(api, incident_id, "on_scene").status_code == 200


@pytest.mark.parametrize(
    ("start", "target"),
    [(LIFECYCLE[i], LIFECYCLE[j]) for i in range(1, 5) for j in range(0, i + 1)],
)
def test_backwards_or_repeated_transition_is_409(api: Api, start: str, target: str) -> None:
    incident_id = api.create_id()
    assert _status(api, incident_id, start).status_code == 200
    before = api.incident(incident_id)

    response = _status(api, incident_id, target)

    assert response.status_code == 409
    assert response.json()["code"] == 409
    assert stored(api.incident(incident_id)) == stored(before)


@pytest.mark.parametrize("final", ["resolved", "cancelled"])
@pytest.mark.parametrize("target", [*LIFECYCLE, "cancelled"])
def test_no_transition_out_of_a_final_state(api: Api, final: str, target: str) -> None:
    incident_id = api.create_id()
    assert _status(api, incident_id, final).status_code == 200
    before = api.incident(incident_id)
    assert _status(api, incident_id, target).status_code == 409
    assert stored(api.incident(incident_id)) == stored(before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "closed"}, "status"),
        ({}, "status"),
        ({"status": "resolved", "resolution_outcome": "fixed"}, "resolution_outcome"),
        ({"status": "assigned", "resolution_outcome": "handled"}, "resolution_outcome"),
    ],
)
def test_invalid_status_change_is_422(api: Api, body: dict, field: str) -> None:  # type: ignore[type-arg]
    incident_id = api.create_id()
    response = api.client.post(f"/v1/incidents/{incident_id}/status", json=body, headers=api.acme)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert api.incident(incident_id)["status"] == "created"


@pytest.mark.parametrize("status", LIFECYCLE[:-1])
def test_cancel_from_every_active_state(api: Api, status: str) -> None:
    incident_id = api.create_id()
    if status != "created":
        assert _status(api, incident_id, status).status_code == 200

    response = api.client.post(f"/v1/incidents/{incident_id}/cancel", json={"reason": "False alarm"}, headers=api.acme)

    assert response.status_code == 200
    incident = response.json()
    assert incident["status"] == "cancelled"
    assert incident["cancelled_at"] is not None
    assert incident["timeline"][-1] | {"timestamp": None} == {
        "status": "cancelled",
        "event": "cancelled",
        "message": "False alarm",
        "timestamp": None,
        "actor": incident["timeline"][-1]["actor"],
        "data": {"from": status},  # where it was cancelled from
    }


def test_cancel_without_body(api: Api) -> None:
    incident_id = api.create_id()
    assert api.client.post(f"/v1/incidents/{incident_id}/cancel", headers=api.acme).status_code == 200


@pytest.mark.parametrize("final", ["resolved", "cancelled"])
def test_cancel_of_final_incident_is_409(api: Api, final: str) -> None:
    incident_id = api.create_id()
    assert _status(api, incident_id, final).status_code == 200
    before = api.incident(incident_id)
    response = api.client.post(f"/v1/incidents/{incident_id}/cancel", json={}, headers=api.acme)
    assert response.status_code == 409
    assert stored(api.incident(incident_id)) == stored(before)


def test_cancel_with_bad_reason_is_422(api: Api) -> None:
    incident_id = api.create_id()
    response = api.client.post(f"/v1/incidents/{incident_id}/cancel", json={"reason": 7}, headers=api.acme)
    assert response.status_code == 422
    assert api.incident(incident_id)["status"] == "created"
