"""Safe places (POST/GET/DELETE /v1/safety/places) and GET /v1/safety/safe-zones."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import h3
import pytest

from incidenthub.intel.places import open_at
from tests.factories import Api
from tests.intel.helpers import HOT, create, place

PLACES = "/v1/safety/places"
SAFE = "/v1/safety/safe-zones"
NORTH_300M = (HOT[0] + 300 / 111_195, HOT[1])
EAST_1KM = (HOT[0], HOT[1] + 1000 / (111_195 * math.cos(math.radians(HOT[0]))))


def _place(name: str, kind: str, at: tuple[float, float], **more: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "location": {"coordinates": [at[1], at[0]]}, **more}


def _post(api: Api, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = api.client.post(PLACES, json=body, headers=api.acme if headers is None else headers)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_places_are_created_read_listed_and_deleted_per_tenant(api: Api) -> None:
    hours = {"mon": [["08:00", "18:00"]], "sat": [["22:00", "06:00"]]}
    body = _place(
        "Lion Building Police Station",
        "police_station",
        NORTH_300M,
        phone="+234 1 555 0100",
        opening_hours="24/7",
        metadata={"division": "Lagos Island"},
    )
    body["location"]["address"] = "Obalende Rd, Lagos Island"
    police = _post(api, body)
    assert police["place_id"].startswith("place_")
    assert police | {"place_id": None, "created_at": None} == {
        "place_id": None,
        "name": "Lion Building Police Station",
        "type": "police_station",
        "location": {
            "type": "Point",
            "coordinates": [NORTH_300M[1], NORTH_300M[0]],
            "address": "Obalende Rd, Lagos Island",
        },
        "phone": "+234 1 555 0100",
        "opening_hours": "24/7",
        "metadata": {"division": "Lagos Island"},
        "created_at": None,
    }
    hospital = _post(api, _place("General Hospital", "hospital", EAST_1KM, opening_hours=hours))
    assert hospital["opening_hours"] == hours
    theirs = _post(api, _place("Their post", "security_post", HOT), headers=api.globex)

    got = api.client.get(f"{PLACES}/{police['place_id']}", headers=api.acme)
    assert got.status_code == 200 and got.json() == police
    listed = api.client.get(PLACES, headers=api.acme).json()
    assert listed | {"data": None} == {"data": None, "page": 1, "limit": 20, "total": 2, "has_more": False}
    assert [p["place_id"] for p in listed["data"]] == [hospital["place_id"], police["place_id"]]  # newest first
    only = api.client.get(PLACES, params={"type": "hospital"}, headers=api.acme).json()
    assert [p["place_id"] for p in only["data"]] == [hospital["place_id"]]
    # Another tenant's place is not found, and its delete changes nothing.
    assert api.client.get(f"{PLACES}/{theirs['place_id']}", headers=api.acme).status_code == 404
    assert api.client.delete(f"{PLACES}/{theirs['place_id']}", headers=api.acme).status_code == 404
    assert api.client.get(f"{PLACES}/{theirs['place_id']}", headers=api.globex).status_code == 200
    # /v1/external too.
    assert api.client.get(f"/v1/external/safety/places/{police['place_id']}", headers=api.acme).json() == police

    deleted = api.client.delete(f"{PLACES}/{hospital['place_id']}", headers=api.acme)
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.client.get(f"{PLACES}/{hospital['place_id']}", headers=api.acme).status_code == 404
    assert api.client.get(PLACES, headers=api.acme).json()["total"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"type": "castle"}, "type"),
        ({"location": {"coordinates": [200.0, 6.45]}}, "location.coordinates"),
        ({"location": {"address": "somewhere"}}, "location.coordinates"),
        ({"opening_hours": "always"}, "opening_hours"),
        ({"opening_hours": {"mon": [["25:00", "18:00"]]}}, "opening_hours"),
        ({"opening_hours": {"moonday": [["08:00", "18:00"]]}}, "opening_hours"),
        ({"phone": "1" * 65}, "phone"),
    ],
)
def test_a_bad_place_is_refused_with_422_naming_the_field_and_nothing_is_stored(
    api: Api, change: dict[str, Any], field: str
) -> None:
    body = {**_place("Post", "security_post", HOT), **change}
    response = api.client.post(PLACES, json=body, headers=api.acme)
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields and all(f.startswith(field) for f in fields), fields
    assert api.client.get(PLACES, headers=api.acme).json()["total"] == 0


def test_places_need_their_scopes(api: Api) -> None:
    reader, writer = api.key(["intel:read"]), api.key(["intel:write"])
    body = _place("Post", "security_post", HOT)
    assert api.client.post(PLACES, json=body, headers=reader).status_code == 403
    made = _post(api, body, headers=writer)
    assert api.client.get(PLACES, headers=writer).status_code == 403
    assert api.client.get(f"{PLACES}/{made['place_id']}", headers=reader).status_code == 200
    assert api.client.delete(f"{PLACES}/{made['place_id']}", headers=reader).status_code == 403
    assert (
        api.client.get(SAFE, params={"lat": HOT[0], "lon": HOT[1]}, headers=api.key(["incidents:read"])).status_code
        == 403
    )


def test_safe_zones_list_places_nearest_first_and_low_risk_cells(api: Api) -> None:
    police = _post(api, _place("Police", "police_station", NORTH_300M, opening_hours="24/7"))
    weekday_hours = {"mon": [["08:00", "18:00"]]}
    hospital = _post(api, _place("Hospital", "hospital", EAST_1KM, opening_hours=weekday_hours))
    _post(api, _place("Far away", "fire_station", (HOT[0] + 0.3, HOT[1])))  # about 33 km
    _post(api, _place("Theirs", "security_post", HOT), headers=api.globex)
    for _ in range(3):
        create(api.client, api.acme, place(*HOT))

    response = api.client.get(SAFE, params={"lat": HOT[0], "lon": HOT[1], "radius_m": 2000}, headers=api.acme)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [p["place_id"] for p in answer["places"]] == [police["place_id"], hospital["place_id"]]
    near, east = answer["places"]
    assert near["distance_m"] == pytest.approx(300, abs=2) and near["bearing_deg"] == pytest.approx(0, abs=0.5)
    assert east["distance_m"] == pytest.approx(1000, abs=5) and east["bearing_deg"] == pytest.approx(90, abs=0.5)
    assert near["open_now"] is True
    now = datetime.now(UTC)  # acme's timezone is UTC
    assert east["open_now"] is (now.weekday() == 0 and 8 <= now.hour < 18)
    assert answer["places_total"] == 2 and answer["timezone"] == "UTC"

    cells = answer["low_risk_cells"]
    assert len(cells) == 10
    assert h3.latlng_to_cell(*HOT, 8) not in {c["cell"] for c in cells}  # where the incidents are
    assert [c["distance_m"] for c in cells] == sorted(c["distance_m"] for c in cells)
    assert all(c["distance_m"] <= 2000 and c["incidents"] == 0 for c in cells)
    c_lat, c_lon = h3.cell_to_latlng(cells[0]["cell"])
    assert cells[0]["centre"]["coordinates"] == [round(c_lon, 7), round(c_lat, 7)]
    assert answer["low_risk_max_per_km2"] == pytest.approx(answer["reference_per_km2"] / 2, rel=1e-3)

    # Another tenant sees its own place and no risk at HOT.
    theirs = api.client.get(SAFE, params={"lat": HOT[0], "lon": HOT[1]}, headers=api.globex).json()
    assert [p["name"] for p in theirs["places"]] == ["Theirs"] and theirs["places"][0]["distance_m"] == 0
    assert h3.latlng_to_cell(*HOT, 8) in {c["cell"] for c in theirs["low_risk_cells"]}
    external = api.client.get("/v1/external/safety/safe-zones", params={"lat": HOT[0], "lon": HOT[1]}, headers=api.acme)
    assert external.status_code == 200 and len(external.json()["places"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 3.39}, "lat"),
        ({"lat": 6.45}, "lon"),
        ({"lat": "north", "lon": 3.39}, "lat"),
        ({"lat": 6.45, "lon": 3.39, "radius_m": 50}, "radius_m"),
        ({"lat": 6.45, "lon": 3.39, "radius_m": 20001}, "radius_m"),
    ],
)
def test_safe_zones_bad_parameters_answer_400_naming_them(api: Api, params: dict[str, Any], field: str) -> None:
    response = api.client.get(SAFE, params=params, headers=api.acme)
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_bearing_that_rounds_to_360_is_north(api: Api) -> None:
    """make fuzz found a 500 here: a low-risk cell at 359.96 degrees was rounded to 360.0, past the schema's bound."""
    response = api.client.get(SAFE, params={"lat": 0.0, "lon": -160.0}, headers=api.acme)
    assert response.status_code == 200, response.text
    bearings = [cell["bearing_deg"] for cell in response.json()["low_risk_cells"]]
    assert bearings and all(0 <= bearing < 360 for bearing in bearings)
    assert 0.0 in bearings  # the cell due north (359.96 before rounding)


def test_opening_hours_past_midnight_and_all_day() -> None:
    hours = {"fri": [["22:00", "06:00"]], "sun": [["09:00", "09:00"]]}
    friday_night = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # a Friday
    assert open_at(hours, friday_night) is True
    assert open_at(hours, friday_night.replace(day=28, hour=5)) is True  # Saturday 05:00, still Friday's night
    assert open_at(hours, friday_night.replace(day=28, hour=6)) is False
    assert open_at(hours, friday_night.replace(hour=21)) is False
    assert open_at(hours, friday_night.replace(day=29, hour=3)) is True  # Sunday, all day
    assert open_at(None, friday_night) is None and open_at("24/7", friday_night) is True
