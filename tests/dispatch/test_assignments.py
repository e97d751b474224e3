"""Assignments: primary rule, status stamping, the lifecycle following units."""

from __future__ import annotations

from typing import Any

from tests.factories import Api


def _unit(api: Api, call_sign: str) -> str:
    response = api.client.post("/v1/units", json={"call_sign": call_sign}, headers=api.acme)
    assert response.status_code == 201, response.text
    unit_id: str = response.json()["unit_id"]
    return unit_id


def _assign(api: Api, incident_id: str, **body: Any) -> dict[str, Any]:
    response = api.client.post(f"/v1/incidents/{incident_id}/assignments", json=body, headers=api.acme)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _status(api: Api, unit_id: str, status: str) -> None:
    response = api.client.post(f"/v1/units/{unit_id}/status", json={"status": status}, headers=api.acme)
    assert response.status_code == 200, response.text


def test_first_unit_is_primary_and_incident_becomes_assigned(api: Api) -> None:
    incident_id = api.create_id()
    first = _assign(api, incident_id, unit_id=_unit(api, "A-10"))
    second = _assign(api, incident_id, call_sign="E-1", dispatched_by="Dispatcher 4")
    assert first["is_primary"] is True and second["is_primary"] is False
    assert first["dispatched_at"] and first["status"] == "dispatched"
    assert second["unit"]["call_sign"] == "E-1" and second["dispatched_by"] == "Dispatcher 4"
    incident = api.incident(incident_id)
    assert incident["status"] == "assigned" and incident["dispatched_at"]
    assert [r["unit"]["call_sign"] for r in incident["responders"]] == ["A-10", "E-1"]
    events = [e["event"] for e in incident["timeline"]]
    assert events.count("unit_assigned") == 2 and events.count("assigned") == 1


def test_explicit_primary_moves_the_flag(api: Api) -> None:
    incident_id = api.create_id()
    first = _assign(api, incident_id, call_sign="A-10")
    second = _assign(api, incident_id, call_sign="A-11", is_primary=True)
    assert second["is_primary"] is True
    responders = {r["unit"]["call_sign"]: r for r in api.incident(incident_id)["responders"]}
    assert responders["A-10"]["is_primary"] is False and responders["A-11"]["is_primary"] is True
    url = f"/v1/incidents/{incident_id}/assignments/{first['assignment_id']}"
    assert api.client.patch(url, json={"is_primary": True}, headers=api.acme).json()["is_primary"] is True
    responders = {r["unit"]["call_sign"]: r for r in api.incident(incident_id)["responders"]}
    assert responders["A-10"]["is_primary"] is True and responders["A-11"]["is_primary"] is False


def test_status_stamps_once_skipped_step_stays_empty_and_lifecycle_follows(api: Api) -> None:
    incident_id = api.create_id()
    a10, a11 = _unit(api, "A-10"), _unit(api, "A-11")
    _assign(api, incident_id, unit_id=a10)
    _assign(api, incident_id, unit_id=a11)

    _status(api, a10, "enroute")
    incident = api.incident(incident_id)
    assert incident["status"] == "responding"
    first = {r["unit"]["call_sign"]: r for r in incident["responders"]}["A-10"]
    assert first["enroute_at"] and first["arrived_at"] is None and first["status"] == "enroute"

    _status(api, a11, "on_scene")  # skipped enroute: left empty, never invented
    _status(api, a10, "busy")
    _status(api, a10, "enroute")  # second enroute: the first time wins
    incident = api.incident(incident_id)
    assert incident["status"] == "on_scene"
    responders = {r["unit"]["call_sign"]: r for r in incident["responders"]}
    assert responders["A-11"]["enroute_at"] is None and responders["A-11"]["arrived_at"]
    assert responders["A-10"]["enroute_at"] == first["enroute_at"]
    stamped = [e["data"]["stamped"] for e in incident["timeline"] if e["event"] == "unit_status"]
    assert stamped == ["enroute_at", "arrived_at", None, None]
    assert [e["event"] for e in incident["timeline"] if e["event"] in ("responding", "on_scene")] == [
        "responding",
        "on_scene",
    ]
    # The lifecycle never goes back, and a step after a later one is never stamped.
    _status(api, a11, "enroute")
    incident = api.incident(incident_id)
    assert incident["status"] == "on_scene"
    late = {r["unit"]["call_sign"]: r for r in incident["responders"]}["A-11"]
    assert late["enroute_at"] is None and late["status"] == "on_scene"
    assert [e["data"]["stamped"] for e in incident["timeline"] if e["event"] == "unit_status"][-1] is None


def test_enroute_after_on_scene_is_never_stamped(api: Api) -> None:
    incident_id = api.create_id()
    a10 = _unit(api, "A-10")
    _assign(api, incident_id, unit_id=a10)
    _status(api, a10, "on_scene")
    _status(api, a10, "enroute")
    responder = api.incident(incident_id)["responders"][0]
    assert responder["arrived_at"] and responder["enroute_at"] is None and responder["status"] == "on_scene"


def test_a_units_old_status_does_not_carry_to_a_new_call(api: Api) -> None:
    first, second = api.create_id(), api.create_id()
    a10, a11 = _unit(api, "A-10"), _unit(api, "A-11")
    _assign(api, first, unit_id=a10)
    _status(api, a10, "on_scene")
    _status(api, a11, "enroute")  # enroute while on no call at all

    moved = _assign(api, second, unit_id=a10)
    fresh = _assign(api, second, unit_id=a11)

    for responder in (moved, fresh):
        assert responder["dispatched_at"] and responder["status"] == "dispatched"
        assert responder["enroute_at"] is None and responder["arrived_at"] is None
    incident = api.incident(second)
    assert incident["status"] == "assigned"
    assert [e for e in incident["timeline"] if e["event"] == "unit_status"] == []
    _status(api, a10, "enroute")  # a status change on the new call stamps it
    responders = {r["unit"]["call_sign"]: r for r in api.incident(second)["responders"]}
    assert responders["A-10"]["enroute_at"] and responders["A-10"]["arrived_at"] is None
    assert api.incident(second)["status"] == "responding"


def test_unit_moves_between_incidents(api: Api) -> None:
    first, second = api.create_id(), api.create_id()
    a10 = _unit(api, "A-10")
    _assign(api, first, unit_id=a10)
    _assign(api, second, unit_id=a10)
    before = api.incident(first)["revision"]
    _assign(api, second, unit_id=a10)  # already there: nothing changes on the first
    previous = api.incident(first)
    old = previous["responders"][0]
    assert old["cleared_at"] and old["status"] == "cleared" and previous["revision"] == before
    cleared = [e for e in previous["timeline"] if e["event"] == "unit_cleared"]
    assert len(cleared) == 1 and cleared[0]["message"] == f"A-10 reassigned to {second}"
    assert api.client.get(f"/v1/units/{a10}", headers=api.acme).json()["incident_id"] == second
    _status(api, a10, "enroute")
    assert api.incident(first)["status"] == "assigned"
    assert api.incident(second)["status"] == "responding"


def test_assignment_update_status_and_clear(api: Api) -> None:
    incident_id = api.create_id()
    assignment = _assign(api, incident_id, call_sign="A-10")
    url = f"/v1/incidents/{incident_id}/assignments/{assignment['assignment_id']}"
    on_scene = api.client.patch(url, json={"status": "on_scene"}, headers=api.acme).json()
    assert on_scene["arrived_at"] and on_scene["enroute_at"] is None
    late = api.client.patch(url, json={"status": "enroute"}, headers=api.acme).json()
    assert late["enroute_at"] is None and late["status"] == "on_scene"
    cleared = api.client.patch(url, json={"status": "cleared"}, headers=api.acme).json()
    assert cleared["cleared_at"] and cleared["status"] == "cleared"
    assert api.client.patch(url, json={"status": "enroute"}, headers=api.acme).status_code == 409
    listed = api.client.get(f"/v1/incidents/{incident_id}/assignments", headers=api.acme).json()["data"]
    assert listed[0]["enroute_at"] is None


def test_bad_assignments_change_nothing(api: Api) -> None:
    incident_id = api.create_id()
    url = f"/v1/incidents/{incident_id}/assignments"
    assert api.client.post(url, json={}, headers=api.acme).status_code == 422
    assert api.client.post(url, json={"unit_id": "unt_nope"}, headers=api.acme).status_code == 422
    assert api.client.post(url, json={"unit_id": "x", "call_sign": "y"}, headers=api.acme).status_code == 422
    assert (
        api.client.post("/v1/incidents/inc_nope/assignments", json={"call_sign": "A"}, headers=api.acme).status_code
        == 404
    )
    other_tenant = api.client.post(url, json={"call_sign": "A-1"}, headers=api.globex)
    assert other_tenant.status_code == 404
    incident = api.incident(incident_id)
    assert incident["responders"] == [] and incident["revision"] == 1 and incident["status"] == "created"
    assert api.client.get("/v1/units", headers=api.acme).json()["data"] == []


def test_cancelled_incident_takes_no_units(api: Api) -> None:
    incident_id = api.create_id()
    api.client.post(f"/v1/incidents/{incident_id}/cancel", json={}, headers=api.acme)
    response = api.client.post(f"/v1/incidents/{incident_id}/assignments", json={"call_sign": "A"}, headers=api.acme)
    assert response.status_code == 409


def test_is_primary_must_be_a_json_boolean(api: Api) -> None:
    incident_id = api.create_id()
    unit_id = _unit(api, "A10")
    url = f"/v1/incidents/{incident_id}/assignments"
    for bad in (0, 1, "true", 0.0):
        response = api.client.post(url, json={"unit_id": unit_id, "is_primary": bad}, headers=api.acme)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "is_primary"
    assert api.client.get(url, headers=api.acme).json()["data"] == []
    assignment = _assign(api, incident_id, unit_id=unit_id)
    assert assignment["is_primary"] is True
    patch = f"{url}/{assignment['assignment_id']}"
    response = api.client.patch(patch, json={"is_primary": 0}, headers=api.acme)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "is_primary"
    assert api.client.get(url, headers=api.acme).json()["data"][0]["is_primary"] is True


def test_closing_the_call_clears_its_units_and_stamps_cleared_at(api: Api) -> None:
    for final in ("resolved", "cancelled"):
        incident_id = api.create_id()
        a10, a11 = _unit(api, f"A-10-{final}"), _unit(api, f"A-11-{final}")
        _assign(api, incident_id, unit_id=a10)
        _assign(api, incident_id, unit_id=a11)
        _status(api, a10, "on_scene")
        path = f"/v1/incidents/{incident_id}/status"
        closed = api.client.post(path, json={"status": final}, headers=api.acme)
        assert closed.status_code == 200, closed.text
        for incident in (closed.json(), api.incident(incident_id)):
            assert {r["status"] for r in incident["responders"]} == {"cleared"}
            assert all(r["cleared_at"] for r in incident["responders"])
            on_scene = next(r for r in incident["responders"] if r["unit"]["call_sign"] == f"A-10-{final}")
            assert on_scene["arrived_at"] and on_scene["cleared_at"] >= on_scene["arrived_at"]
        for unit_id in (a10, a11):
            assert api.client.get(f"/v1/units/{unit_id}", headers=api.acme).json()["incident_id"] is None
        assignments = api.client.get(f"/v1/incidents/{incident_id}/assignments", headers=api.acme).json()["data"]
        assert all(a["cleared_at"] and a["status"] == "cleared" for a in assignments)
