"""GET /v1/safety/danger-analytics on known data: GovWorx calls received at known times (America/Chicago)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from incidenthub.db import Database
from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx

HERE = (40.7128, -74.006)
CHICAGO = ZoneInfo("America/Chicago")


def call(gw: GovWorx, sys_id: str, at: datetime, lat: float = HERE[0], lon: float = HERE[1], **more: Any) -> str:
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = gw.upload(
        gw.seed(
            sysId=sys_id,
            latitude=lat,
            longitude=lon,
            callReceivedTime=stamp,
            incidentDate=stamp,
            callPickupTime=stamp,
            callHangupTime=stamp,
            dispatchQueueAt=stamp,
            closedAt=stamp,
            relatedSysId=None,
            **more,
        )
    )
    return str(gw.by_sys_id(sys_id)[0]["incident_id"]) if answer else ""


def analytics(gw: GovWorx, headers: dict[str, str], prefix: str = "/v1", **params: Any) -> dict[str, Any]:
    response = gw.client.get(f"{prefix}/safety/danger-analytics", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def intel(gw: GovWorx, database: Database) -> dict[str, str]:
    return bearer(make_key(database, "metro", ["intel:read"]))


def test_counts_time_of_week_trend_patterns_and_comparison_on_known_calls(gw: GovWorx, intel: dict[str, str]) -> None:
    # Four Tuesdays of October 2026 at 18:30 in Chicago (CDT), one in the previous period, one too old,
    # one 5.5 km north (outside the circle) and a structure fire on a Saturday morning.
    tuesdays = [datetime(2026, 10, day, 18, 30, tzinfo=CHICAGO) for day in (6, 13, 20, 27)]
    ids = [call(gw, f"TUE-{n}", at) for n, at in enumerate(tuesdays)]
    fire = call(gw, "FIRE", datetime(2026, 10, 17, 9, 5, tzinfo=CHICAGO), incidentType="Structure Fire")
    call(gw, "BEFORE", datetime(2026, 9, 15, 18, 30, tzinfo=CHICAGO))
    call(gw, "OLD", datetime(2026, 7, 1, 12, 0, tzinfo=CHICAGO))
    call(gw, "NORTH", datetime(2026, 10, 8, 12, 0, tzinfo=CHICAGO), lat=HERE[0] + 0.05)

    answer = analytics(gw, intel, lat=HERE[0], lon=HERE[1], from_date="2026-10-01", to_date="2026-10-31")

    assert answer["from"] == "2026-10-01T00:00:00.000Z" and answer["to"] == "2026-11-01T00:00:00.000Z"
    assert answer["timezone"] == "America/Chicago" and answer["radius_m"] == 1000
    assert answer["total"] == 5
    assert answer["by_category"] == {"sos": 0, "vehicle": 0, "location_threat": 0, "medical": 4, "fire": 1, "other": 0}
    assert sum(answer["by_severity"].values()) == 5 and set(answer["by_severity"]) == {
        "critical",
        "high",
        "medium",
        "low",
    }
    time = answer["time_analysis"]
    assert time["matrix"][1][18] == 4 and time["matrix"][5][9] == 1  # Tuesday 18h, Saturday 9h, local
    assert sum(map(sum, time["matrix"])) == 5
    assert time["peak_hour"] == 18 and time["peak_weekday"] == "tuesday"
    assert time["by_hour"][18] == 4 and time["by_weekday"]["saturday"] == 1
    trend = answer["trend"]
    assert (trend["current"], trend["previous"], trend["change_percent"], trend["direction"]) == (5, 1, 400.0, "rising")
    assert trend["previous_from"] == "2026-08-31T00:00:00.000Z" and trend["previous_to"] == answer["from"]
    assert answer["patterns"] == [
        {"weekday": "tuesday", "start_hour": 18, "end_hour": 21, "category": "medical", "incidents": 4, "share": 0.8}
    ]
    comparison = answer["comparison"]
    assert comparison["incidents_per_km2"] == pytest.approx(5 / comparison["area_km2"], rel=1e-3)
    assert comparison["tenant_incidents_per_km2"] == pytest.approx(6 / comparison["tenant_area_km2"], rel=1e-3)
    assert comparison["label"] == "higher" and comparison["ratio"] > 1.25
    assert set(answer["incidents"]["ids"]) == {*ids, fire} and answer["incidents"]["total"] == 5


def test_previous_period_busier_is_falling_and_an_empty_area_is_quiet(gw: GovWorx, intel: dict[str, str]) -> None:
    for n in range(4):
        call(gw, f"SEP-{n}", datetime(2026, 9, 10 + n, 8, 0, tzinfo=UTC))
    call(gw, "OCT", datetime(2026, 10, 10, 8, 0, tzinfo=UTC))
    answer = analytics(gw, intel, lat=HERE[0], lon=HERE[1], from_date="2026-10-01", to_date="2026-10-31")
    assert answer["trend"]["direction"] == "falling" and answer["trend"]["change_percent"] == -75.0
    assert answer["patterns"] == []  # four calls, but on four different weekdays
    empty = analytics(gw, intel, lat=41.9, lon=-87.6, from_date="2026-10-01", to_date="2026-10-31")
    assert empty["total"] == 0 and empty["time_analysis"]["peak_hour"] is None
    assert empty["trend"] == {**empty["trend"], "current": 0, "previous": 0, "direction": "steady"}
    assert empty["comparison"]["label"] == "lower" and empty["incidents"] == {"total": 0, "ids": []}
    assert empty["prediction"]["expected_total"] == 0


def test_the_next_24_hours_expect_incidents_in_the_hour_of_the_week_they_keep_happening(
    gw: GovWorx, intel: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    soon = now + timedelta(hours=5)  # same hour of the week, in each of the last three weeks
    for week in (1, 2, 3):
        call(gw, f"W-{week}", soon - timedelta(weeks=week))
    answer = analytics(gw, intel, lat=HERE[0], lon=HERE[1])  # the last 90 days
    assert answer["total"] == 3 and answer["trend"]["previous"] == 0
    prediction = answer["prediction"]
    assert "same local hour of the week" in prediction["method"] and "half-life 30 days" in prediction["method"]
    hours = prediction["hours"]
    local = soon.astimezone(CHICAGO)
    expected_hour = local.weekday() * 24 + local.hour
    busy = [h for h in hours if h["expected_incidents"] > 0]
    assert [h["hour_of_week"] for h in busy] == [expected_hour], busy
    # Three in about 13 weeks, the recent weeks weighing more than the old: between 3/13 and 1 per hour.
    assert 3 / 13 < busy[0]["expected_incidents"] < 1
    assert prediction["peak"] == busy[0] and 0 < busy[0]["probability"] < busy[0]["expected_incidents"]
    assert prediction["expected_total"] == busy[0]["expected_incidents"]


def test_other_tenants_incidents_never_count_and_external_answers_the_same(gw: GovWorx, intel: dict[str, str]) -> None:
    call(gw, "MINE", datetime(2026, 10, 6, 12, 0, tzinfo=UTC))
    for _ in range(3):
        other = {"category": "sos", "severity": "critical", "location": {"coordinates": [HERE[1], HERE[0]]}}
        assert gw.client.post("/v1/incidents", json=other, headers=gw.other).status_code == 201
    params = {"lat": HERE[0], "lon": HERE[1], "from_date": "2026-10-01", "to_date": "2026-12-31"}
    mine = analytics(gw, intel, **params)
    external = analytics(gw, intel, prefix="/v1/external", **params)
    theirs = analytics(gw, gw.other, **params)
    assert mine["total"] == 1 and mine["by_category"]["sos"] == 0
    assert theirs["total"] == 3 and theirs["by_category"]["sos"] == 3
    mine.pop("computed_at"), external.pop("computed_at")
    for answer in (mine, external):
        answer.pop("prediction")  # expectations decayed to a `now` milliseconds apart
    assert mine == external


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": -74.0}, "lat"),
        ({"lat": 40.7}, "lon"),
        ({"lat": 91, "lon": -74.0}, "lat"),
        ({"lat": 40.7, "lon": -181}, "lon"),
        ({"lat": 40.7, "lon": -74.0, "radius_m": 99}, "radius_m"),
        ({"lat": 40.7, "lon": -74.0, "radius_m": 10001}, "radius_m"),
        ({"lat": 40.7, "lon": -74.0, "from_date": "last week"}, "from_date"),
        ({"lat": 40.7, "lon": -74.0, "to_date": "2026-13-45"}, "to_date"),
        ({"lat": 40.7, "lon": -74.0, "from_date": "2026-10-31", "to_date": "2026-10-01"}, "from_date"),
        ({"lat": 40.7, "lon": -74.0, "from_date": "2025-01-01", "to_date": "2026-10-01"}, "from_date"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(
    gw: GovWorx, intel: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = gw.client.get("/v1/safety/danger-analytics", params=params, headers=intel)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == 400 and problem["message"]
    assert field in [e["field"] for e in problem["errors"]], problem


def test_danger_analytics_needs_the_intel_read_scope(gw: GovWorx, intel: dict[str, str]) -> None:
    params = {"lat": HERE[0], "lon": HERE[1]}
    for prefix in ("/v1", "/v1/external"):
        refused = gw.client.get(f"{prefix}/safety/danger-analytics", params=params, headers=gw.headers)
        assert refused.status_code == 403, refused.text
    assert gw.client.get("/v1/safety/danger-analytics", params=params, headers=intel).status_code == 200
