"""POST /v1/eido: an EIDO document imported as an incident (source `eido`), idempotent like every door."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.eido.checks import assert_consistent
from tests.eido.helpers import DATA, Eido

NENA = json.loads((DATA / "eido_nena_example.json").read_text())
# What an export says of its own issue: these differ between two tenants' copies of one incident.
ISSUE = ("$id", "lastUpdateTimeStamp", "issuingElementIdentification")


def nena() -> dict[str, Any]:
    return copy.deepcopy(NENA)


def test_a_document_shaped_like_nenas_examples_becomes_an_incident(eido: Eido) -> None:
    response = eido.post(nena())
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["created"], answer["unchanged"], answer["revision"]) == (True, False, 1)
    assert answer["external_id"] == "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us"
    incident = eido.native(answer["incident_id"])
    assert (incident["source"], incident["external_id"]) == ("eido", answer["external_id"])
    assert incident["incident_type"] == "MVAINJY" and incident["number"] == "BCF-2021-0042"
    assert (incident["priority"], incident["response_area"], incident["status"]) == ("P1", "Zone 4", "created")
    assert incident["call_taker"]["personnel_id"] == "CT-17" and incident["call_taker"]["name"] == "Pat Kowalski"
    assert incident["call_position"] == "POS-07" and incident["call_source"] == "Wireless"
    assert incident["caller"] == {"name": "Morgan Lee", "number": "+17175550142"}
    assert (incident["agency"], incident["agency_type"]) == ("Bucks County 911", "consolidated")
    assert incident["location"]["coordinates"] == [-76.4541, 41.0052]
    assert incident["location"]["address"] == "I-80 EAST, MILE MARKER 105.5"
    times = ("call_received_at", "call_picked_up_at", "call_hung_up_at", "source_created_at", "dispatched_at")
    assert [incident[t] for t in times] == [
        "2021-04-30T18:40:12.000Z",
        "2021-04-30T18:40:21.000Z",
        None,
        "2021-04-30T18:42:00.000Z",
        "2021-04-30T18:42:30.000Z",
    ]
    [note] = incident["notes"]
    assert note["note"] == "Vehicle rollover with entrapment & fuel leak." and note["author"] == "CT-17"
    assert note["source_note_id"] == "urn:emergency:uid:notesid:n1:bcf.state.pa.us"
    units = {r["unit"]["call_sign"]: r for r in incident["responders"]}
    # The dispatch rules of every door: times -> assignment status.
    assert (units["ENGINE 12"]["status"], units["MEDIC 3"]["status"]) == ("on_scene", "enroute")
    assert units["ENGINE 12"]["personnel"]["personnel_id"] == "FF-212"
    assert units["ENGINE 12"]["dispatched_at"] == units["MEDIC 3"]["dispatched_at"] == "2021-04-30T18:42:30.000Z"
    assert units["ENGINE 12"]["arrived_at"] == "2021-04-30T18:49:00.000Z"
    assert units["MEDIC 3"]["enroute_at"] == "2021-04-30T18:45:30.000Z" and units["MEDIC 3"]["arrived_at"] is None

    listed = eido.client.get("/v1/incidents", params={"source": "eido"}, headers=eido.headers).json()
    assert [i["incident_id"] for i in listed["data"]] == [answer["incident_id"]]
    exported = eido.export(answer["incident_id"])  # and it exports as a valid EIDO again
    assert_consistent(exported)
    assert exported["incidentComponent"]["$id"] == answer["external_id"]


def test_the_same_document_again_changes_nothing_and_a_changed_one_updates(eido: Eido) -> None:
    first = eido.imported(nena())
    response = eido.post(nena())
    assert response.status_code == 200, response.text
    assert response.json() == {**first, "created": False, "unchanged": True}
    # A re-issue of the same content (new document id and time) is the same incident unchanged.
    reissued = nena()
    reissued["$id"], reissued["lastUpdateTimeStamp"] = "urn:emergency:uid:eido:second", "2021-04-30T15:00:00-04:00"
    assert eido.imported(reissued)["unchanged"] is True
    changed = nena()
    changed["emergencyResourceComponent"][1]["primaryUnitStatusRegistryText"] = "OnScene"
    changed["emergencyResourceComponent"][1]["lastUpdateTimeStamp"] = "2021-04-30T14:52:00-04:00"
    answer = eido.imported(changed)
    assert (answer["created"], answer["updated"], answer["revision"]) == (False, True, 2)
    assert answer["incident_id"] == first["incident_id"] and eido.count() == 1
    medic = next(r for r in eido.native(first["incident_id"])["responders"] if r["unit"]["call_sign"] == "MEDIC 3")
    assert (medic["status"], medic["arrived_at"]) == ("on_scene", "2021-04-30T18:52:00.000Z")
    events = eido.client.get("/v1/events", headers=eido.headers).json()["data"]
    assert {e["source"] for e in events if e["incident_id"] == first["incident_id"]} == {"eido"}


def test_export_import_export_into_another_tenant_is_unchanged_but_for_the_issue(eido: Eido) -> None:
    incident_id = eido.upload(eido.seed())
    document = eido.export(incident_id)
    copied = eido.imported(document, eido.partner)
    assert copied["created"] is True and copied["incident_id"] != incident_id
    again = eido.export(copied["incident_id"], eido.partner)
    assert {k: again[k] for k in ISSUE} != {k: document[k] for k in ISSUE}
    assert {k: v for k, v in again.items() if k not in ISSUE} == {k: v for k, v in document.items() if k not in ISSUE}
    # The partner's copy imported again (its own export) is the same incident, unchanged.
    assert eido.imported(again, eido.partner)["unchanged"] is True
    assert eido.count(eido.partner) == 1


def test_each_tenant_imports_into_its_own_incidents(eido: Eido) -> None:
    mine = eido.imported(nena())
    theirs = eido.imported(nena(), eido.partner)
    assert theirs["created"] is True and theirs["incident_id"] != mine["incident_id"]
    assert eido.client.get(f"/EIDO/{mine['incident_id']}", headers=eido.partner).status_code == 404
    assert eido.count() == eido.count(eido.partner) == 1
