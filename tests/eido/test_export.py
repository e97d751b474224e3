"""GET /v1/incidents/{id}/eido and NENA's GET /EIDO/{IncidentId}: the canonical incident as an EIDO document."""

from __future__ import annotations

from tests.eido.checks import assert_consistent, jcard, resolve
from tests.eido.helpers import Eido, schema_errors


def test_the_govworx_seed_exported_carries_call_taker_position_caller_units_and_milestones(eido: Eido) -> None:
    incident_id = eido.upload(eido.seed())
    document = eido.export(incident_id)  # validated against NENA's schema by the helper
    assert document["eidoVersion"] == "1.0" and document["issuingElementIdentification"] == "incidenthub:metro"
    assert_consistent(document)
    incident = document["incidentComponent"]
    assert incident["incidentTypeInternalText"] == "Medical Emergency - Cardiac Arrest"
    assert incident["internalIncidentId"] == "26-001234"
    assert incident["incidentStatusCommonRegistryText"] == ["Closed"]
    assert incident["dispositionComponent"][0]["dispositionCommonRegistryCode"] == "Transport to Hospital"
    assert incident["dispositionComponent"][0]["lastUpdateTimeStamp"] == "2026-01-06T11:45:00.000Z"

    [call] = document["callComponent"]
    assert (call["callStartTimestamp"], call["answerDate"]) == ("2026-01-06T10:23:00.000Z", "2026-01-06T10:23:15.000Z")
    assert call["callStateRegistryText"] == "callEnd" and call["lastUpdateTimeStamp"] == "2026-01-06T10:28:00.000Z"
    taker = resolve(document, call["agentReference"][0])
    assert taker["agentRoleRegistryText"][0] == "CallTaker"
    assert taker["agentWorkstationPositionIdentification"] == "Position-01"
    assert jcard(taker["agentJcard"])["uid"] == "CT-456" and jcard(taker["agentJcard"])["fn"] == "Jane Doe"
    assert incident["agentReference"] == call["agentReference"]

    caller = resolve(document, incident["personReference"][0])
    assert caller["personIncidentRoleRegistryText"] == ["Caller"]
    assert caller["ncPersonComponent"]["PersonName"]["PersonFullName"] == "John Smith"
    assert resolve(document, caller["callBackReference"])["callBackInformationUri"] == ["tel:555-123-4567"]

    [agency] = document["agencyComponent"]
    assert jcard(agency["agencyJcard"])["fn"] == "CITY-FIRE-01" and agency["agencyType"] == ["Fire"]
    location = resolve(document, incident["locationReference"][0])
    assert "<gml:pos>40.7128 -74.006</gml:pos>" in location["locationByValue"]
    assert location["locationDescriptionText"] == "123"

    [unit] = document["emergencyResourceComponent"]
    assert unit["emergencyResourceName"] == "<string>" and unit["primaryUnitStatusRegistryText"] == "Cleared"
    assert unit["unitStatusInternal"] == [
        f"{status} 2023-11-07T05:31:56.000Z" for status in ("Dispatched", "EnRoute", "OnScene", "Cleared")
    ]
    assert jcard(resolve(document, unit["agentReference"][0])["agentJcard"])["uid"] == "<string>"
    [dispatch] = document["dispatchComponent"]
    assert dispatch["emergencyResourceReference"] == [{"$ref": unit["$id"]}]
    [note] = document["notesComponent"]
    assert note["notesActionComments"] == "&lt;string&gt;"  # HTML5 text: the note's characters escaped
    assert incident["notesReference"] == [{"$ref": note["$id"]}]


def test_each_unit_reports_the_last_milestone_it_reached(eido: Eido) -> None:
    stamp = "2026-02-01T08:{:02d}:00Z"
    responders = [
        {"unitName": "E1", "dispatchedAt": stamp.format(1)},
        {"unitName": "M2", "dispatchedAt": stamp.format(1), "enrouteAt": stamp.format(2)},
        {"unitName": "L3", "dispatchedAt": stamp.format(1), "enrouteAt": stamp.format(2), "arrivedAt": stamp.format(6)},
    ]
    body = {"sysId": "M-1", "number": "26-1", "incidentType": "Fire", "incidentDate": stamp.format(0)}
    incident_id = eido.upload({**body, "closedAt": stamp.format(30), "callTakerId": "CT-1", "responders": responders})
    document = eido.export(incident_id)
    assert_consistent(document)
    statuses = {
        u["emergencyResourceName"]: u["primaryUnitStatusRegistryText"] for u in document["emergencyResourceComponent"]
    }
    assert statuses == {"E1": "Dispatched", "M2": "EnRoute", "L3": "OnScene"}
    l3 = next(u for u in document["emergencyResourceComponent"] if u["emergencyResourceName"] == "L3")
    assert l3["lastUpdateTimeStamp"] == "2026-02-01T08:06:00.000Z"
    # Closed without a disposition: the closing time rides on a disposition coded "Closed".
    [disposition] = document["incidentComponent"]["dispositionComponent"]
    assert (disposition["dispositionCommonRegistryCode"], disposition["lastUpdateTimeStamp"]) == (
        "Closed",
        "2026-02-01T08:30:00.000Z",
    )


def test_the_dereference_path_and_the_external_base_answer_the_same_document(eido: Eido) -> None:
    incident_id = eido.upload(eido.seed())
    document = eido.export(incident_id, eido.reader)
    for path in (f"/EIDO/{incident_id}", f"/v1/external/incidents/{incident_id}/eido"):
        response = eido.client.get(path, headers=eido.reader)
        assert response.status_code == 200, response.text
        assert response.json() == document
    assert schema_errors(document) == []


def test_another_tenants_incident_is_not_found_and_the_scope_is_needed(eido: Eido) -> None:
    incident_id = eido.upload(eido.seed())
    for path in (f"/v1/incidents/{incident_id}/eido", f"/EIDO/{incident_id}"):
        response = eido.client.get(path, headers=eido.partner)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert incident_id not in response.text or "not found" in response.text
        assert eido.client.get(path).status_code == 401
    from tests.factories import bearer, make_key

    writer_only = bearer(make_key(eido.database, "metro", ["events:manage"]))
    assert eido.client.get(f"/EIDO/{incident_id}", headers=writer_only).status_code == 403
