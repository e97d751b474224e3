"""One record, many doors: the rules every door's write goes through hold across doors.

Each case here is one the write-path review found broken when two doors wrote the same record their own way.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from incidenthub.incidents import changes
from incidenthub.models import Incident
from tests.factories import Api

SEED = json.loads((Path(__file__).parent / "data" / "govworx_seed_example.json").read_text())
UPLOAD = "/api/v1/external/incident"


def _upload(responders: list[dict[str, Any]], sys_id: str = "INC-2026-777") -> dict[str, Any]:
    body = copy.deepcopy(SEED)
    body.update(sysId=sys_id, responders=responders, relatedSysId=None)
    return body


def _responder(unit: str, person: str, **times: str) -> dict[str, Any]:
    return {"personnelId": person, "unitName": unit, "dispatchedBy": "CT-456", **times}


def test_a_closed_cad_incident_does_not_hold_its_units_and_a_repeat_changes_nothing(api: Api) -> None:
    # E1 never cleared in the CAD's record of a closed incident.
    body = _upload([_responder("E1", "P-1", dispatchedAt="2026-01-06T10:30:00Z", enrouteAt="2026-01-06T10:31:00Z")])
    first = api.client.put(UPLOAD, json=body, headers=api.acme)
    assert first.status_code == 200, first.text
    govworx_id = first.json()["id"]
    before = api.incident(govworx_id)

    native_id = api.create_id({"category": "fire", "idempotency_key": "live-1"})
    assigned = api.client.post(f"/v1/incidents/{native_id}/assignments", json={"call_sign": "E1"}, headers=api.acme)
    assert assigned.status_code == 201, assigned.text

    # The closed CAD incident was not written to by the other incident's dispatch.
    after = api.incident(govworx_id)
    assert after["revision"] == before["revision"]
    assert [event["event"] for event in after["timeline"]] == [event["event"] for event in before["timeline"]]
    assert after["responders"][0]["cleared_at"] is None

    # The identical upload again changes nothing.
    again = api.client.put(UPLOAD, json=body, headers=api.acme)
    assert again.status_code == 200, again.text
    assert again.json()["updated"] is False
    assert again.json()["revision"] == first.json()["revision"]

    # E1 is on exactly one incident: the live one.
    units = api.client.get("/v1/units", headers=api.acme).json()["data"]
    e1 = next(unit for unit in units if unit["call_sign"] == "E1")
    assert e1["incident_id"] == native_id


def test_cad_responders_get_a_status_from_their_times_and_the_first_unit_is_primary(api: Api) -> None:
    body = _upload(
        [
            _responder(
                "M7",
                "P-2",
                dispatchedAt="2026-01-06T10:32:00Z",
                enrouteAt="2026-01-06T10:33:00Z",
                arrivedAt="2026-01-06T10:40:00Z",
            ),
            _responder(
                "E1",
                "P-1",
                dispatchedAt="2026-01-06T10:30:00Z",
                enrouteAt="2026-01-06T10:31:00Z",
                arrivedAt="2026-01-06T10:36:00Z",
                clearedAt="2026-01-06T11:40:00Z",
            ),
            _responder("L2", "P-3", dispatchedAt="2026-01-06T10:35:00Z", enrouteAt="2026-01-06T10:37:00Z"),
            _responder("B4", "P-4", dispatchedAt="2026-01-06T10:38:00Z"),
        ]
    )
    response = api.client.put(UPLOAD, json=body, headers=api.acme)
    assert response.status_code == 200, response.text
    responders = {r["unit"]["call_sign"]: r for r in api.incident(response.json()["id"])["responders"]}
    assert {name: r["status"] for name, r in responders.items()} == {
        "M7": "on_scene",
        "E1": "cleared",
        "L2": "enroute",
        "B4": "dispatched",
    }
    # One primary: the first unit the upload names, as the first unit assigned natively is.
    assert [name for name, r in responders.items() if r["is_primary"]] == ["M7"]

    # A later upload that clears M7 moves its status on and keeps one primary.
    body["responders"][0]["clearedAt"] = "2026-01-06T11:44:00Z"
    again = api.client.put(UPLOAD, json=body, headers=api.acme)
    assert again.json()["updated"] is True
    responders = {r["unit"]["call_sign"]: r for r in api.incident(response.json()["id"])["responders"]}
    assert responders["M7"]["status"] == "cleared"
    assert [name for name, r in responders.items() if r["is_primary"]] == ["M7"]


def test_a_misspelt_canonical_field_is_refused() -> None:
    incident = Incident(tenant_id="t", source="native", status="created", revision=1)
    with pytest.raises(TypeError, match="radio_chanel"):
        changes.set_fields(incident, {"radio_chanel": "FIRE-TAC-1"})


def test_a_timed_and_an_untimed_copy_of_one_note_are_one_note(api: Api) -> None:
    body = _upload([])
    body["notes"] = [
        {"note": "Caller is on the second floor", "noteBy": "CT-456", "noteAt": "2026-01-06T10:26:00Z"},
        {"note": "Caller is on the second floor", "noteBy": "CT-456"},
    ]
    response = api.client.put(UPLOAD, json=body, headers=api.acme)
    assert response.status_code == 200, response.text
    notes = api.incident(response.json()["id"])["notes"]
    assert [note["note"] for note in notes] == ["Caller is on the second floor"]
