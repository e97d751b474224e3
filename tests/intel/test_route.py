"""GET /v1/safety/route: per-segment scores over the corridor, hotspots, departure hours, and its errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incidenthub.db import Database
from incidenthub.intel import polyline
from tests.factories import Api, bearer, make_key
from tests.govworx.helpers import GovWorx
from tests.intel.test_analytics import HERE, call

# A cluster of critical incidents in Ikoyi, Lagos; route A passes over it, route B runs 2.3 km east.
CLUSTER = [(6.5244, 3.3792), (6.5246, 3.3794), (6.5242, 3.3790), (6.5245, 3.3789), (6.5243, 3.3795)]
ROUTE_A = [(6.5200, 3.3792), (6.5300, 3.3792), (6.5300, 3.3850)]
ROUTE_B = [(6.5200, 3.4000), (6.5300, 3.4000)]
AT = "2026-11-20T08:30:00Z"


def waypoints(points: list[tuple[float, float]]) -> str:
    return ";".join(f"{lat},{lon}" for lat, lon in points)


def flat(value: Any, path: str = "") -> dict[str, Any]:
    """A nested answer as {path: leaf}, so numbers can be compared approximately."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{path}.{key}").items()}
    if isinstance(value, list):
        return {k: v for n, item in enumerate(value) for k, v in flat(item, f"{path}[{n}]").items()}
    return {path: value}


def assert_same(got: Any, want: Any) -> None:
    """Equal, but for weights decayed to a `now` a few milliseconds apart."""
    have, expected = flat(got), flat(want)
    assert set(have) == set(expected)
    for path, value in expected.items():
        assert have[path] == (pytest.approx(value, rel=1e-6, abs=2e-4) if isinstance(value, float) else value), path


def route(api: Api, headers: dict[str, str] | None = None, prefix: str = "/v1", **params: Any) -> dict[str, Any]:
    response = api.client.get(f"{prefix}/safety/route", params=params, headers=api.acme if headers is None else headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def incident(api: Api, lat: float, lon: float, headers: dict[str, str] | None = None, **more: Any) -> str:
    body = {"category": "location_threat", "severity": "critical", "location": {"coordinates": [lon, lat]}, **more}
    response = api.client.post("/v1/incidents", json=body, headers=api.acme if headers is None else headers)
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["incident"]["incident_id"]
    return incident_id


def test_a_route_through_a_cluster_of_severe_incidents_scores_lower_and_names_its_hotspot(api: Api) -> None:
    ids = {incident(api, lat, lon) for lat, lon in CLUSTER}
    incident(api, 6.60, 3.50)  # elsewhere: the tenant has an average outside the route

    through = route(api, waypoints=waypoints(ROUTE_A), at=AT)
    away = route(api, waypoints=waypoints(ROUTE_B), at=AT)

    assert away["score"] == 100 and away["level"] == "safe" and away["incidents"] == {"total": 0, "ids": []}
    assert through["score"] < away["score"]
    first, second = through["segments"]
    assert first["incidents"] == 5 and first["score"] < second["score"]
    assert through["worst_segment"] == {"index": 0, "score": first["score"], "level": first["level"]}
    assert first["from"] == {"lat": 6.52, "lon": 3.3792} and first["to"] == {"lat": 6.53, "lon": 3.3792}
    assert 1100 < first["length_m"] < 1120 and 630 < second["length_m"] < 650
    assert through["length_m"] == pytest.approx(first["length_m"] + second["length_m"], abs=0.2)
    # The route's score is the length-weighted mean of its segments.
    weighted = (first["score"] * first["length_m"] + second["score"] * second["length_m"]) / through["length_m"]
    assert abs(through["score"] - weighted) <= 0.51
    assert set(through["incidents"]["ids"]) == ids and through["incidents"]["total"] == 5
    hotspots = through["hotspots"]
    assert sum(h["incidents"] for h in hotspots) == 5
    assert all(h["top_category"] == "location_threat" and h["density_ratio"] >= 2 for h in hotspots)
    # The cluster lies ~490 m from the start (6.5200 -> 6.5244 along a meridian).
    assert all(400 < h["distance_along_m"] < 580 for h in hotspots), hotspots
    assert sum(c["incidents"] for c in through["cells"]) == 5


def test_one_more_severe_incident_on_the_route_never_raises_its_score_and_a_drill_changes_nothing(api: Api) -> None:
    for lat, lon in CLUSTER[:2]:
        incident(api, lat, lon, severity="medium")
    before = route(api, waypoints=waypoints(ROUTE_A), at=AT)
    incident(api, 6.5244, 3.3792, is_drill=True)
    incident(api, 6.5244, 3.3792, headers=api.globex)  # another tenant's
    after_drill = route(api, waypoints=waypoints(ROUTE_A), at=AT)
    assert after_drill["score"] == before["score"]
    assert_same(after_drill["segments"], before["segments"])
    assert after_drill["incidents"]["total"] == 2
    incident(api, 6.5244, 3.3792, severity="critical")
    after = route(api, waypoints=waypoints(ROUTE_A), at=AT)
    assert after["segments"][0]["risk"] > before["segments"][0]["risk"]
    assert after["segments"][0]["score"] <= before["segments"][0]["score"]
    assert after["score"] <= before["score"] and after["incidents"]["total"] == 3


def test_another_tenants_incidents_never_count(api: Api) -> None:
    for lat, lon in CLUSTER:
        incident(api, lat, lon, headers=api.globex)
    mine = route(api, waypoints=waypoints(ROUTE_A))
    theirs = route(api, headers=api.globex, waypoints=waypoints(ROUTE_A))
    assert mine["score"] == 100 and mine["incidents"]["total"] == 0 and mine["hotspots"] == []
    assert theirs["score"] < 100 and theirs["incidents"]["total"] == 5


def test_polyline_and_waypoints_of_the_same_points_give_the_same_answer_on_both_prefixes(api: Api) -> None:
    for lat, lon in CLUSTER:
        incident(api, lat, lon)
    by_points = route(api, waypoints=waypoints(ROUTE_A), at=AT, corridor_m=300)
    by_line = route(api, polyline=polyline.encode(ROUTE_A), at=AT, corridor_m=300)
    external = route(api, prefix="/v1/external", polyline=polyline.encode(ROUTE_A), at=AT, corridor_m=300)
    for answer in (by_points, by_line, external):
        answer.pop("computed_at")
    assert_same(by_points, by_line)
    assert_same(by_points, external)
    assert by_points["corridor_m"] == 300 and by_points["points"] == 3


def test_the_safest_departure_hour_avoids_the_hours_when_incidents_happen(api: Api) -> None:
    for lat, lon in CLUSTER:
        incident(api, lat, lon)  # now: this local hour of the week
    answer = route(api, waypoints=waypoints(ROUTE_A))  # at: now
    hours = answer["departure"]["hours"]
    assert len(hours) == 24 and hours[0]["departs_at"] == answer["at"]
    assert hours[0]["weight"] > 0 and hours[0]["relative_risk"] > 1
    assert answer["departure"]["safest"]["weight"] == 0
    assert answer["departure"]["safest"] == next(h for h in hours if h["weight"] == 0)
    assert sum(h["relative_risk"] for h in hours) == pytest.approx(24, abs=0.01)


FAR = waypoints([(0.5, 10.0), (2.5, 10.0)])  # 222 km


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "waypoints"),
        ({"waypoints": waypoints(ROUTE_B), "polyline": polyline.encode(ROUTE_B)}, "polyline"),
        ({"waypoints": "6.52,3.40"}, "waypoints"),
        ({"waypoints": "6.52;3.40"}, "waypoints"),
        ({"waypoints": "6.52,3.40;north,east"}, "waypoints"),
        ({"waypoints": "6.52,3.40;91,3.40"}, "waypoints"),
        ({"waypoints": "6.52,3.40;6.52,181"}, "waypoints"),
        ({"waypoints": waypoints([(6.5 + n / 10000, 3.4) for n in range(101)])}, "waypoints"),
        ({"waypoints": FAR}, "waypoints"),
        ({"polyline": "not a polyline!"}, "polyline"),
        ({"polyline": polyline.encode([(6.52, 3.4)])}, "polyline"),
        ({"polyline": polyline.encode([(6.5 + n / 10000, 3.4) for n in range(101)])}, "polyline"),
        ({"waypoints": waypoints(ROUTE_B), "corridor_m": "49"}, "corridor_m"),
        ({"waypoints": waypoints(ROUTE_B), "corridor_m": "1001"}, "corridor_m"),
        ({"waypoints": waypoints(ROUTE_B), "at": "tomorrow"}, "at"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(api: Api, params: dict[str, str], field: str) -> None:
    response = api.client.get("/v1/safety/route", params=params, headers=api.acme)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == 400 and problem["message"]
    assert field in [e["field"] for e in problem["errors"]], problem


def test_the_route_needs_the_intel_read_scope(api: Api) -> None:
    params = {"waypoints": waypoints(ROUTE_B)}
    for prefix in ("/v1", "/v1/external"):
        refused = api.client.get(f"{prefix}/safety/route", params=params, headers=api.key(["incidents:read"]))
        assert refused.status_code == 403, refused.text
    assert api.client.get("/v1/safety/route", params=params, headers=api.key(["intel:read"])).status_code == 200


def test_the_incidents_listed_are_the_20_that_weigh_most_now_even_when_older_ones_outweigh_recent_ones(
    gw: GovWorx, database: Database
) -> None:
    # 20 low calls of the last days, 3 critical of 40 days ago (8 x 2^-4/3 = 3.2 > 1) and 5 critical of
    # 100 days ago (8 x 2^-10/3 = 0.8 < 1): the 20 heaviest now are the 3 of 40 days and the 17 newest lows.
    now = datetime.now(UTC)
    lows = [call(gw, f"LOW-{n}", now - timedelta(hours=6 + n), priority="Priority 3") for n in range(20)]
    forty = [call(gw, f"C40-{n}", now - timedelta(days=40, hours=n), priority="Priority 0") for n in range(3)]
    for n in range(5):
        call(gw, f"C100-{n}", now - timedelta(days=100, hours=n), priority="Priority 0")
    headers = bearer(make_key(database, "metro", ["intel:read"]))
    lat, lon = HERE
    response = gw.client.get(
        "/v1/safety/route", params={"waypoints": f"{lat - 0.005},{lon};{lat + 0.005},{lon}"}, headers=headers
    )
    assert response.status_code == 200, response.text
    incidents = response.json()["incidents"]
    assert incidents["total"] == 28
    assert incidents["ids"] == forty + lows[:17]
