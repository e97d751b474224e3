"""A native unit lists at most 50 external ids: one more is a 422 naming the field, nothing stored."""

from __future__ import annotations

from tests.factories import Api


def test_external_ids_over_50_are_refused(api: Api) -> None:
    body = {"call_sign": "A-10", "external_ids": [f"STEAM:{i}" for i in range(51)]}
    response = api.client.post("/v1/units", json=body, headers=api.acme)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "external_ids" in [error["field"] for error in response.json()["errors"]]
    assert api.client.get("/v1/units", headers=api.acme).json()["data"] == []


def test_external_ids_at_the_limit_are_kept_and_a_patch_over_it_changes_nothing(api: Api) -> None:
    ids = [f"STEAM:{i}" for i in range(50)]
    created = api.client.post("/v1/units", json={"call_sign": "A-10", "external_ids": ids}, headers=api.acme)
    assert created.status_code == 201, created.text
    assert created.json()["external_ids"] == ids
    unit_id = created.json()["unit_id"]
    patched = api.client.patch(f"/v1/units/{unit_id}", json={"external_ids": [*ids, "one-more"]}, headers=api.acme)
    assert patched.status_code == 422, patched.text
    assert "external_ids" in [error["field"] for error in patched.json()["errors"]]
    assert api.client.get(f"/v1/units/{unit_id}", headers=api.acme).json()["external_ids"] == ids
