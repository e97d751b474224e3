"""Native units: create, list, update, status, location; scopes and tenant isolation."""

from __future__ import annotations

import pytest

from incidenthub.dispatch.repository import UnitRepository
from incidenthub.models import Unit
from tests.factories import Api


def _unit(api: Api, call_sign: str = "A-10", **extra: object) -> dict:  # type: ignore[type-arg]
    response = api.client.post("/v1/units", json={"call_sign": call_sign, **extra}, headers=api.acme)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_list_get_update_unit(api: Api) -> None:
    unit = _unit(api, "A-10", name="Adam 10", external_ids=["STEAM:1234"], department="LSPD")
    assert unit["unit_id"].startswith("unt_")
    assert unit["status"] == "available" and unit["panic"] is False
    assert unit["ident_id"] == 1 and unit["incident_id"] is None
    assert _unit(api, "A-11")["ident_id"] == 2

    listed = api.client.get("/v1/units", headers=api.acme).json()["data"]
    assert [u["call_sign"] for u in listed] == ["A-10", "A-11"]

    patched = api.client.patch(
        f"/v1/units/{unit['unit_id']}",
        json={"name": "Adam Ten", "external_ids": ["STEAM:1", "acc-9"]},
        headers=api.acme,
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Adam Ten" and patched.json()["external_ids"] == ["STEAM:1", "acc-9"]
    assert patched.json()["department"] == "LSPD"
    assert api.client.get(f"/v1/units/{unit['unit_id']}", headers=api.acme).json()["name"] == "Adam Ten"


def test_duplicate_call_sign_or_external_id_is_409_and_changes_nothing(api: Api) -> None:
    _unit(api, "A-10", external_ids=["STEAM:1234"])
    assert api.client.post("/v1/units", json={"call_sign": "A-10"}, headers=api.acme).status_code == 409
    response = api.client.post("/v1/units", json={"call_sign": "B-1", "external_ids": ["STEAM:1234"]}, headers=api.acme)
    assert response.status_code == 409
    assert len(api.client.get("/v1/units", headers=api.acme).json()["data"]) == 1


@pytest.mark.parametrize("status", ["unavailable", "busy", "available", "enroute", "on_scene", "offline"])
def test_each_unit_status(api: Api, status: str) -> None:
    unit = _unit(api)
    response = api.client.post(f"/v1/units/{unit['unit_id']}/status", json={"status": status}, headers=api.acme)
    assert response.status_code == 200 and response.json()["status"] == status


def test_unknown_unit_status_is_422_and_changes_nothing(api: Api) -> None:
    unit = _unit(api)
    response = api.client.post(f"/v1/units/{unit['unit_id']}/status", json={"status": "lunch"}, headers=api.acme)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"
    assert api.client.get(f"/v1/units/{unit['unit_id']}", headers=api.acme).json()["status"] == "available"


def test_location(api: Api) -> None:
    unit = _unit(api)
    url = f"/v1/units/{unit['unit_id']}/location"
    response = api.client.post(
        url, json={"location": "Mission Row", "latitude": 6.5, "longitude": 3.4}, headers=api.acme
    )
    assert response.status_code == 200
    assert response.json()["location"] == {
        "text": "Mission Row",
        "latitude": 6.5,
        "longitude": 3.4,
        "coordinates": None,
    }
    # Coordinates are JSON numbers: `false` is not 0.0, "6" is not 6.
    for bad in (
        {},
        {"latitude": 91, "longitude": 0},
        {"latitude": 1},
        {"latitude": 0.0, "longitude": False},
        {"latitude": "6", "longitude": 3},
    ):
        assert api.client.post(url, json=bad, headers=api.acme).status_code == 422
    assert api.client.get(f"/v1/units/{unit['unit_id']}", headers=api.acme).json()["location"]["latitude"] == 6.5


def test_scopes_and_tenant_isolation(api: Api) -> None:
    unit = _unit(api)
    reader = api.key(["dispatch:read"])
    assert api.client.get("/v1/units", headers=reader).status_code == 200
    assert api.client.post("/v1/units", json={"call_sign": "X"}, headers=reader).status_code == 403
    assert api.client.get("/v1/units", headers=api.key(["incidents:read"])).status_code == 403
    assert api.client.get(f"/v1/units/{unit['unit_id']}", headers=api.globex).status_code == 404
    assert api.client.get("/v1/units", headers=api.globex).json()["data"] == []
    status = api.client.post(f"/v1/units/{unit['unit_id']}/status", json={"status": "busy"}, headers=api.globex)
    assert status.status_code == 404


@pytest.mark.parametrize("ident", [2**40, 2**31, 0, -1])
def test_ident_lookup_out_of_range_finds_nothing(api: Api, ident: int) -> None:
    unit_id = _unit(api, "A-10")["unit_id"]
    with api.database.transaction() as session:
        unit = session.get(Unit, unit_id)
        assert unit is not None
        units = UnitRepository(session)
        assert units.by_ident(unit.tenant_id, 1) is unit
        assert units.by_ident(unit.tenant_id, ident) is None
