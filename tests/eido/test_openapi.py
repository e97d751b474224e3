"""The EIDO operations as the OpenAPI document describes them (schemathesis checks they tell the truth)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_three_eido_operations_are_documented_with_their_answers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert "/v1/external/incidents/{incident_id}/eido" not in paths  # served, not listed twice (like the native API)
    for path in ("/v1/incidents/{incident_id}/eido", "/EIDO/{IncidentId}"):
        get = paths[path]["get"]
        assert {"200", "401", "403", "404"} <= set(get["responses"]), path
        assert (
            get["responses"]["200"]["content"]["application/json"]["schema"]["title"]
            == "EmergencyIncidentDataObjectType"
        )
    assert paths["/EIDO/{IncidentId}"]["get"]["operationId"] == "GetEIDO"  # NENA's operation id
    post = paths["/v1/eido"]["post"]
    assert {"200", "201", "400", "401", "403", "413", "415", "422"} <= set(post["responses"])
    assert "application/problem+json" in post["responses"]["422"]["content"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert "incidentComponent" in body["properties"] and "eidoVersion" in body["required"]
