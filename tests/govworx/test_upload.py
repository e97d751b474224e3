"""PUT /api/v1/external/incident with GovWorx's own example and every rule of the door."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from tests.factories import stored
from tests.govworx.helpers import SEED, GovWorx


def _same(value: object) -> object:
    """Times compared as instants (we answer with milliseconds), everything else as is."""
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T":
        return datetime.fromisoformat(value)
    return value


def test_seed_example_verbatim_creates_the_incident_with_every_field(gw: GovWorx) -> None:
    answer = gw.upload(SEED)

    assert answer["sysId"] == "INC-2026-001234"
    assert answer["created"] is True
    assert answer["updated"] is False
    assert answer["revision"] == 1
    incident = gw.incident(answer["id"])
    assert gw.by_sys_id("INC-2026-001234")[0]["incident_id"] == answer["id"]
    expected = {
        "source": "govworx",
        "external_id": "INC-2026-001234",
        "number": "26-001234",
        "incident_type": "Medical Emergency - Cardiac Arrest",
        "initial_incident_type": "Chest Pain",
        "source_created_at": "2026-01-06T10:25:00.000Z",
        "closed_at": "2026-01-06T11:45:00.000Z",
        "resolved_at": "2026-01-06T11:45:00.000Z",
        "status": "resolved",
        "case_number": "CR-2026-9876",
        "priority": "Priority 1",
        "caller": {"name": "John Smith", "number": "555-123-4567"},
        "agency": "CITY-FIRE-01",
        "agency_type": "Fire",
        "dispatch_queued_at": "2026-01-06T10:30:00.000Z",
        "disposition": "Transport to Hospital",
        "call_position": "Position-01",
        "call_source": "E911",
        "description": "Caller reports patient experiencing chest pain and shortness of breath for 30 minutes",
        "response_area": "Beat-3-Downtown",
        "radio_channel": "FIRE-TAC-1",
        "call_received_at": "2026-01-06T10:23:00.000Z",
        "call_picked_up_at": "2026-01-06T10:23:15.000Z",
        "call_hung_up_at": "2026-01-06T10:28:00.000Z",
        "dispatched_at": "2023-11-07T05:31:56.000Z",
        "revision": 1,
    }
    assert {key: incident[key] for key in expected} == expected
    assert incident["location"]["address"] == "123"
    assert incident["location"]["coordinates"] == [-74.006, 40.7128]
    assert incident["call_taker"]["personnel_id"] == "CT-456"
    assert incident["call_taker"]["name"] == "Jane Doe"
    assert [(n["source_note_id"], n["note"], n["author"], n["noted_at"]) for n in incident["notes"]] == [
        ("<string>", "<string>", "<string>", "2023-11-07T05:31:56.000Z")
    ]
    (responder,) = incident["responders"]
    assert responder["unit"]["call_sign"] == "<string>"
    assert responder["personnel"]["personnel_id"] == "<string>"
    assert responder["dispatched_by"] == "<string>"
    for step in ("dispatched_at", "enroute_at", "arrived_at", "cleared_at"):
        assert responder[step] == "2023-11-07T05:31:56.000Z"
    assert incident["related_incidents"] == [
        {"kind": "related", "source": "govworx", "external_id": "INC-2026-001233", "incident_id": None}
    ]


@pytest.mark.parametrize("field", ["sysId", "number", "incidentType", "incidentDate", "callTakerId", "closedAt"])
@pytest.mark.parametrize("absent", [None, "", "   "])
def test_missing_required_field_is_422_naming_it(gw: GovWorx, field: str, absent: str | None) -> None:
    body = gw.seed(**{field: absent})
    if absent is None:
        body.pop(field, None)
    response = gw.put(body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert gw.count() == 0


def test_a_body_with_id_is_refused(gw: GovWorx) -> None:
    response = gw.put(gw.seed(id=987))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "id", "message": "do not send 'id': identify the incident from your CAD with 'sysId'"}
    ]
    assert gw.count() == 0


def test_numbers_and_strings_are_both_accepted(gw: GovWorx) -> None:
    answer = gw.upload(gw.seed(location=123, callSource=911, latitude="40.7128", longitude="-74.006", number=26001234))
    incident = gw.incident(answer["id"])
    assert incident["location"]["address"] == "123"
    assert incident["call_source"] == "911"
    assert incident["number"] == "26001234"
    assert incident["location"]["coordinates"] == [-74.006, 40.7128]


def test_empty_strings_mean_absent(gw: GovWorx) -> None:
    answer = gw.upload(gw.seed(caseNumber="", latitude="", longitude="", location=""))
    incident = gw.incident(answer["id"])
    assert incident["case_number"] is None
    assert incident["location"]["coordinates"] is None
    assert incident["location"]["address"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latitude": 91}, "latitude"),
        ({"latitude": "-90.5"}, "latitude"),
        ({"longitude": 180.01}, "longitude"),
        ({"longitude": "west"}, "longitude"),
        ({"incidentDate": "06/01/2026 10:25"}, "incidentDate"),
        ({"closedAt": "yesterday"}, "closedAt"),
        ({"callHangupTime": "10:28"}, "callHangupTime"),
        ({"location": {"street": "Main"}}, "location"),
        ({"priority": True}, "priority"),
        ({"notes": [{"note": "x", "noteAt": "soon"}]}, "notes.0.noteAt"),
        ({"notes": "none"}, "notes"),
        ({"responders": [{"unitName": "E1", "arrivedAt": "later"}]}, "responders.0.arrivedAt"),
        ({"responders": [{"dispatchedBy": "D4"}]}, "responders.0"),
    ],
)
def test_bad_values_are_422_naming_the_field_and_change_nothing(gw: GovWorx, changes: dict, field: str) -> None:  # type: ignore[type-arg]
    response = gw.put(gw.seed(**changes))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert gw.count() == 0


def test_malformed_json_is_400(gw: GovWorx) -> None:
    response = gw.client.put(
        "/api/v1/external/incident", content=b"{", headers={**gw.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert gw.count() == 0


def test_unknown_fields_are_kept_in_the_raw_payload(gw: GovWorx) -> None:
    from incidenthub.models import Incident

    answer = gw.upload(gw.seed(cadVendor="Hexagon", beatSupervisor={"id": 7}))
    with gw.database.read_sessions() as session:
        raw = session.get(Incident, answer["id"]).raw_payload  # type: ignore[union-attr]
    assert raw["cadVendor"] == "Hexagon"
    assert raw["beatSupervisor"] == {"id": 7}


def test_offsetless_times_are_utc_by_default(gw: GovWorx) -> None:
    for query in ("", "?convertFromUtc=true"):
        answer = gw.upload(
            gw.seed(sysId=f"UTC{query}", incidentDate="2026-01-06T10:25:00", closedAt="2026-01-06T11:45:00"), query
        )
        incident = gw.incident(answer["id"])
        assert incident["source_created_at"] == "2026-01-06T10:25:00.000Z"
        assert incident["closed_at"] == "2026-01-06T11:45:00.000Z"


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2026-03-08T01:30:00", "2026-03-08T07:30:00.000Z"),  # CST, before spring forward
        ("2026-03-08T02:30:00", "2026-03-08T08:30:00.000Z"),  # does not exist: offset before the change
        ("2026-03-08T03:30:00", "2026-03-08T08:30:00.000Z"),  # CDT, after
        ("2026-11-01T00:30:00", "2026-11-01T05:30:00.000Z"),  # CDT, before fall back
        ("2026-11-01T01:30:00", "2026-11-01T06:30:00.000Z"),  # happens twice: the first (CDT)
        ("2026-11-01T02:30:00", "2026-11-01T08:30:00.000Z"),  # CST, after
        ("2026-11-01T01:30:00-06:00", "2026-11-01T07:30:00.000Z"),  # an explicit offset wins
        ("2026-11-01T01:30:00Z", "2026-11-01T01:30:00.000Z"),
    ],
)
def test_local_times_with_convert_from_utc_false_across_dst(gw: GovWorx, local: str, utc: str) -> None:
    body = gw.seed(
        incidentDate=local, callReceivedTime=None, callPickupTime=None, notes=[{"note": "n", "noteAt": local}]
    )
    answer = gw.upload(body, "?convertFromUtc=false")
    incident = gw.incident(answer["id"])
    assert incident["source_created_at"] == utc
    assert incident["call_received_at"] == utc
    assert incident["notes"][0]["noted_at"] == utc


def test_bad_convert_from_utc_is_422(gw: GovWorx) -> None:
    response = gw.put(SEED, "?convertFromUtc=perhaps")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "convertFromUtc"


def test_both_call_times_missing_take_incident_date(gw: GovWorx) -> None:
    answer = gw.upload(gw.seed(callReceivedTime=None, callPickupTime=None))
    incident = gw.incident(answer["id"])
    assert incident["call_received_at"] == incident["call_picked_up_at"] == "2026-01-06T10:25:00.000Z"


def test_missing_pickup_takes_received(gw: GovWorx) -> None:
    answer = gw.upload(gw.seed(callPickupTime=None))
    incident = gw.incident(answer["id"])
    assert incident["call_received_at"] == incident["call_picked_up_at"] == "2026-01-06T10:23:00.000Z"


def test_missing_received_stays_missing_when_pickup_is_given(gw: GovWorx) -> None:
    answer = gw.upload(gw.seed(callReceivedTime=None))
    incident = gw.incident(answer["id"])
    assert incident["call_received_at"] is None
    assert incident["call_picked_up_at"] == "2026-01-06T10:23:15.000Z"


def test_repeat_with_same_content_changes_nothing(gw: GovWorx) -> None:
    first = gw.upload(SEED)
    before = gw.incident(first["id"])

    again = gw.upload(SEED)

    assert again == {**first, "created": False, "updated": False}
    assert stored(gw.incident(first["id"])) == stored(before)
    assert gw.count() == 1


def test_repeat_with_changed_content_updates_and_says_what_changed(gw: GovWorx) -> None:
    first = gw.upload(SEED)

    again = gw.upload(gw.seed(disposition="Treated on scene", priority="Priority 2", cadVendor="X"))

    assert again["created"] is False
    assert again["updated"] is True
    assert again["revision"] == 2
    incident = gw.incident(first["id"])
    assert incident["disposition"] == "Treated on scene"
    assert incident["revision"] == 2
    last = incident["timeline"][-1]
    assert last["event"] == "updated"
    assert last["data"]["changed"]["disposition"] == {"from": "Transport to Hospital", "to": "Treated on scene"}
    assert last["data"]["changed"]["priority"] == {"from": "Priority 1", "to": "Priority 2"}
    assert "raw_payload" in last["data"]["changed"]
    assert len(incident["timeline"]) == 2


def test_notes_are_kept_per_note_id_and_deduplicated(gw: GovWorx) -> None:
    notes = [
        {"noteId": "N1", "note": "Caller hung up", "noteBy": "CT-456", "noteAt": "2026-01-06T10:24:00Z"},
        {"note": "Unit on scene", "noteBy": "D-2", "noteAt": "2026-01-06T10:40:00Z"},
    ]
    first = gw.upload(gw.seed(notes=notes))
    gw.upload(gw.seed(notes=notes))
    assert [n["note"] for n in gw.incident(first["id"])["notes"]] == ["Caller hung up", "Unit on scene"]

    edited = [{**notes[0], "note": "Caller hung up, callback made"}, notes[1], {"noteId": "N3", "note": "Cleared"}]
    answer = gw.upload(gw.seed(notes=edited))
    assert answer["updated"] is True
    incident = gw.incident(first["id"])
    # Notes read in time order; one without noteAt takes the incident's date.
    assert [n["note"] for n in incident["notes"]] == ["Caller hung up, callback made", "Cleared", "Unit on scene"]
    assert incident["timeline"][-1]["data"]["changed"]["notes"] == {"added": 1, "edited": 1}


def test_responders_become_assignments_keyed_by_person_and_unit(gw: GovWorx) -> None:
    medic = {
        "personnelId": "P-77",
        "personnelFirstName": "Ana",
        "personnelLastName": "Diaz",
        "unitName": "Medic 5",
        "dispatchedBy": "D-2",
        "dispatchedAt": "2026-01-06T10:31:00Z",
        "enrouteAt": "2026-01-06T10:32:00Z",
    }
    engine = {"unitName": "Engine 3", "dispatchedAt": "2026-01-06T10:31:30Z"}
    first = gw.upload(gw.seed(responders=[medic, engine]))
    gw.upload(gw.seed(responders=[medic, engine]))
    incident = gw.incident(first["id"])
    assert [(r["unit"]["call_sign"], r["personnel"] and r["personnel"]["name"]) for r in incident["responders"]] == [
        ("Medic 5", "Ana Diaz"),
        ("Engine 3", None),
    ]
    assert incident["dispatched_at"] == "2026-01-06T10:31:00.000Z"
    assert incident["revision"] == 1

    arrived = {**medic, "arrivedAt": "2026-01-06T10:39:00Z"}
    answer = gw.upload(gw.seed(responders=[arrived, engine]))
    assert answer["revision"] == 2
    incident = gw.incident(first["id"])
    assert incident["responders"][0]["arrived_at"] == "2026-01-06T10:39:00.000Z"
    assert incident["responders"][0]["enroute_at"] == "2026-01-06T10:32:00.000Z"
    assert len(incident["responders"]) == 2


def test_call_takers_and_responders_are_matched_by_personnel_id(gw: GovWorx) -> None:
    a = gw.upload(gw.seed(sysId="A", callTakerId="CT-9", callTakerName="Jane Doe"))
    b = gw.upload(
        gw.seed(sysId="B", callTakerId="CT-9", callTakerName="Jane Doe", responders=[{"personnelId": "CT-9"}])
    )
    taker_a = gw.incident(a["id"])["call_taker"]
    taker_b = gw.incident(b["id"])["call_taker"]
    assert taker_a["id"] == taker_b["id"]
    assert gw.incident(b["id"])["responders"][0]["personnel"]["id"] == taker_a["id"]
    users = gw.client.get("/api/v1/external/user", headers=gw.headers).json()
    people = {u["personnelId"]: u for u in users["content"]}
    assert people["CT-9"]["firstName"] == "Jane"
    assert people["CT-9"]["lastName"] == "Doe"
    assert users["totalElements"] == len(users["content"])


def test_related_incidents_link_in_both_upload_orders(gw: GovWorx) -> None:
    # Parent first, then the duplicate call that names it.
    parent = gw.upload(gw.seed(sysId="P1", relatedSysId=None))
    child = gw.upload(gw.seed(sysId="C1", relatedSysId="P1"))
    # The duplicate first, naming a parent that arrives later.
    child2 = gw.upload(gw.seed(sysId="C2", relatedSysId="P2"))
    assert gw.incident(child2["id"])["related_incidents"][0]["incident_id"] is None
    parent2 = gw.upload(gw.seed(sysId="P2", relatedSysId=None))

    for p, c, p_sys, c_sys in ((parent, child, "P1", "C1"), (parent2, child2, "P2", "C2")):
        assert gw.incident(c["id"])["related_incidents"] == [
            {"kind": "related", "source": "govworx", "external_id": p_sys, "incident_id": p["id"]}
        ]
        assert gw.incident(p["id"])["related_incidents"] == [
            {"kind": "related", "source": "govworx", "external_id": c_sys, "incident_id": c["id"]}
        ]


def test_thirty_concurrent_puts_of_one_sys_id_make_one_incident(gw: GovWorx) -> None:
    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(lambda _: gw.put(SEED), range(30)))
    assert all(a.status_code == 200 for a in answers)
    assert sum(a.json()["created"] for a in answers) == 1
    assert len({a.json()["id"] for a in answers}) == 1
    assert gw.count() == 1
    assert gw.incident(answers[0].json()["id"])["revision"] == 1


def test_auth_and_scope(gw: GovWorx) -> None:
    assert gw.put(SEED, headers={}).status_code == 401
    assert gw.put(SEED, headers={"Authorization": "Bearer ih_bad"}).status_code == 401
    reader = {"Authorization": gw.headers["Authorization"]}
    from tests.factories import bearer, make_key

    no_scope = bearer(make_key(gw.database, "metro", ["incidents:write", "incidents:read"]))
    response = gw.put(SEED, headers=no_scope)
    assert response.status_code == 403
    assert "events:manage" in response.json()["detail"]
    assert gw.count() == 0
    # GovWorx's docs spell the header `Authentication`.
    spelled = {"Authentication": reader["Authorization"]}
    assert gw.put(SEED, headers=spelled).status_code == 200


def test_another_tenant_cannot_see_or_touch_the_incident(gw: GovWorx) -> None:
    answer = gw.upload(SEED)
    theirs = gw.put(SEED, headers=gw.other)
    assert theirs.status_code == 200
    assert theirs.json()["id"] != answer["id"]
    assert (
        gw.client.get(f"/api/v1/external/mcp/resources/incidents/{answer['id']}", headers=gw.other).status_code == 404
    )
    assert gw.client.get(f"/v1/incidents/{answer['id']}", headers=gw.other).status_code == 404
    assert gw.incident(answer["id"])["revision"] == 1


def test_mcp_resource_returns_the_upload_fields(gw: GovWorx) -> None:
    answer = gw.upload(SEED)
    stored = gw.client.get(f"/api/v1/external/mcp/resources/incidents/{answer['id']}", headers=gw.headers).json()
    assert stored["id"] == answer["id"]
    assert stored["createdAt"].endswith("Z")
    for key, value in SEED.items():
        if key in ("location", "latitude", "longitude"):
            assert stored[key] == str(value)
        elif key in ("notes", "responders"):
            assert [{k: _same(v) for k, v in item.items()} for item in stored[key]] == [
                {k: _same(v) for k, v in item.items()} for item in value
            ]
        else:
            assert _same(stored[key]) == _same(value), key
    missing = gw.client.get("/api/v1/external/mcp/resources/incidents/inc_0000000000000000", headers=gw.headers)
    assert missing.status_code == 404


def test_user_lookup(gw: GovWorx) -> None:
    gw.upload(SEED)
    found = gw.client.get("/api/v1/external/user/single?personnelId=CT-456", headers=gw.headers)
    assert found.status_code == 200
    user = found.json()
    assert user["personnelId"] == "CT-456"
    assert gw.client.get(f"/api/v1/external/user/single?userId={user['id']}", headers=gw.headers).json() == user
    assert gw.client.get("/api/v1/external/user/single?personnelId=nobody", headers=gw.headers).status_code == 404
    assert gw.client.get("/api/v1/external/user/single", headers=gw.headers).status_code == 422
    assert gw.client.get("/api/v1/external/user/single?personnelId=CT-456", headers=gw.other).status_code == 404
