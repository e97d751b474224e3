"""GET /v1/safety/danger-zones: connected groups of hot resolution-8 cells, with what made them."""

from __future__ import annotations

from typing import Any

import h3
import pytest

from tests.factories import Api
from tests.intel.helpers import HOT, QUIET, create, false_alarm, place

URL = "/v1/safety/danger-zones"
FAR = (6.5300, 3.3500)  # about 10 km from HOT


def _neighbour_centre() -> tuple[float, float]:
    """The centre of a resolution-8 cell that touches HOT's."""
    own = h3.latlng_to_cell(*HOT, 8)
    other = sorted(c for c in h3.grid_disk(own, 1) if c != own)[0]
    lat, lon = h3.cell_to_latlng(other)
    return lat, lon


def _zones(api: Api, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    response = api.client.get(URL, params=params, headers=api.acme if headers is None else headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _load(api: Api) -> dict[str, list[str]]:
    made = {
        "hot": [create(api.client, api.acme, place(*HOT)) for _ in range(4)],
        "next": [create(api.client, api.acme, place(*_neighbour_centre(), category="sos"))],
        "far": [create(api.client, api.acme, place(*FAR, severity="high")) for _ in range(2)],
        "quiet": [create(api.client, api.acme, place(*QUIET, severity="low"))],
    }
    create(api.client, api.acme, place(*QUIET, is_drill=True))
    false_alarm(api.client, api.acme, place(*QUIET))
    return made


def test_hot_cells_that_touch_make_one_zone_with_its_evidence(api: Api) -> None:
    made = _load(api)
    create(api.client, api.globex, place(*QUIET))  # another tenant's never counts here

    answer = _zones(api, min_incidents=1)
    assert answer["total"] == 2 and answer["page"] == 1 and answer["has_more"] is False
    first, second = answer["data"]
    hot8, next8 = h3.latlng_to_cell(*HOT, 8), h3.latlng_to_cell(*_neighbour_centre(), 8)
    assert first["zone_id"] == f"zone_{hot8}"
    assert {c["cell"] for c in first["cells"]} == {hot8, next8}
    assert first["cells"][0] == {"cell": hot8, "incidents": 4, "weight": pytest.approx(32.0, rel=1e-4)}
    assert first["incident_count"] == 5 and first["weight"] == pytest.approx(40.0, rel=1e-4)
    assert first["top_categories"] == [
        {"category": "location_threat", "incidents": 4},
        {"category": "sos", "incidents": 1},
    ]
    assert set(first["incidents"]["ids"]) == {*made["hot"], *made["next"]} and first["incidents"]["total"] == 5
    assert first["polygon"]["type"] == "Polygon"  # two touching hexagons: one outline
    lon, lat = first["centroid"]["coordinates"]
    assert abs(lat - HOT[0]) < 0.01 and abs(lon - HOT[1]) < 0.01
    # Danger: 100 x (1 - 2^-risk), risk the zone's density against the tenant's; hot means risk >= 2.
    assert first["risk"] >= 2 and first["score"] == round(100 * (1 - 2 ** -first["risk"]))
    assert first["score"] >= second["score"] >= 75
    peak = first["peak_hours"][0]
    assert (
        peak["incidents"] == 5
        and peak["hour_of_week"]
        == ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].index(peak["weekday"]) * 24
        + peak["hour"]
    )
    assert first["peak_hour_of_day"] == {"hour": peak["hour"], "incidents": 5}
    assert first["last_incident_at"].endswith("Z")
    assert second["zone_id"] == f"zone_{h3.latlng_to_cell(*FAR, 8)}" and second["incident_count"] == 2
    # QUIET (one low incident, a drill, a false alarm) is no zone.
    assert all(h3.latlng_to_cell(*QUIET, 8) not in {c["cell"] for c in z["cells"]} for z in answer["data"])

    # min_incidents leaves out the small zone; a point and radius keep only what is near.
    assert [z["zone_id"] for z in _zones(api)["data"]] == [first["zone_id"]]  # default 3
    near_far = _zones(api, lat=FAR[0], lon=FAR[1], radius_m=2000, min_incidents=1)
    assert [z["zone_id"] for z in near_far["data"]] == [second["zone_id"]]
    paged = _zones(api, min_incidents=1, limit=1, page=2)
    assert paged["total"] == 2 and [z["zone_id"] for z in paged["data"]] == [second["zone_id"]]
    assert _zones(api, min_incidents=1, limit=1)["has_more"] is True
    # The other tenant: its one incident is its whole area's weight, one cell, no zone of acme's.
    theirs = _zones(api, headers=api.globex, min_incidents=1)
    assert all(z["incident_count"] == 1 for z in theirs["data"])
    external = api.client.get("/v1/external/safety/danger-zones", params={"min_incidents": 1}, headers=api.acme)
    assert external.status_code == 200 and external.json()["total"] == 2


def test_a_drill_or_false_alarm_makes_no_zone(api: Api) -> None:
    create(api.client, api.acme, place(*QUIET, severity="low"))
    for _ in range(5):
        create(api.client, api.acme, place(*HOT, is_drill=True))
        false_alarm(api.client, api.acme, place(*HOT))
    assert _zones(api, min_incidents=1)["total"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 6.45}, "lon"),
        ({"lon": 3.39}, "lat"),
        ({"lat": 91, "lon": 3.39}, "lat"),
        ({"lat": 6.45, "lon": -181}, "lon"),
        ({"lat": 6.45, "lon": 3.39, "radius_m": 100}, "radius_m"),
        ({"radius_m": 60000}, "radius_m"),
        ({"min_incidents": 0}, "min_incidents"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_parameters_answer_400_naming_them(api: Api, params: dict[str, Any], field: str) -> None:
    response = api.client.get(URL, params=params, headers=api.acme)
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_danger_zones_need_intel_read(api: Api) -> None:
    assert api.client.get(URL, headers=api.key(["incidents:read"])).status_code == 403
