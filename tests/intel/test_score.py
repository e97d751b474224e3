"""GET /v1/safety/score: moves the right way, explains itself, refuses bad input, sees one tenant only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx

HERE = (40.7128, -74.0060)  # lower Manhattan
FAR = (40.80, -73.90)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def call(gw: GovWorx, sys_id: str, lat: float, lon: float, *, ago: timedelta, **more: Any) -> None:
    """A GovWorx call at a place, received `ago` before now (an Armed Robbery, Priority 1, unless told)."""
    received = datetime.now(UTC) - ago
    fields: dict[str, Any] = {
        "sysId": sys_id,
        "latitude": lat,
        "longitude": lon,
        "incidentType": "Armed Robbery",
        "priority": "Priority 1",
        "callReceivedTime": _iso(received),
        "callPickupTime": _iso(received + timedelta(seconds=10)),
        "callHangupTime": _iso(received + timedelta(minutes=3)),
        "relatedSysId": None,
        "responders": None,
        "notes": None,
    }
    gw.upload(gw.seed(**{**fields, **more}))


def background(gw: GovWorx) -> None:
    """Low-priority calls spread over the city, so the tenant has an average to be compared with."""
    for row in range(4):
        for col in range(4):
            call(
                gw,
                f"BG-{row}-{col}",
                40.65 + row * 0.04,
                -74.05 + col * 0.04,
                ago=timedelta(days=row + col + 1),
                priority="Priority 4",
                incidentType="Noise Complaint",
            )


def score(gw: GovWorx, at: str | None = None, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    query = {"lat": HERE[0], "lon": HERE[1], **params}
    if at is not None:
        query["at"] = at
    response = gw.client.get("/v1/safety/score", params=query, headers=headers or gw.headers_intel)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def city(gw: GovWorx) -> GovWorx:
    gw.headers_intel = bearer(make_key(gw.database, "metro", ["intel:read"]))  # type: ignore[attr-defined]
    background(gw)
    return gw


def test_a_quiet_place_is_safe_and_the_answer_says_why(city: GovWorx) -> None:
    body = score(city)
    assert body["score"] == 100
    assert body["level"] == "safe"
    assert body["incidents"] == {"total": 0, "ids": []}
    assert [f["factor"] for f in body["factors"]] == ["nearby_incidents", "time_of_day", "recent_trend"]
    assert body["timezone"] == "America/Chicago"
    assert body["location"] == {"type": "Point", "coordinates": [HERE[1], HERE[0]]}


def test_an_added_severe_incident_nearby_never_raises_the_score(city: GovWorx) -> None:
    before = score(city)
    previous = before
    for n in range(4):
        call(city, f"ROB-{n}", HERE[0] + 0.0005 * n, HERE[1], ago=timedelta(hours=2 + n))
        after = score(city)
        assert after["score"] <= previous["score"]
        assert after["risk"] > previous["risk"]
        previous = after
    assert previous["score"] < before["score"]
    assert previous["level"] in {"caution", "danger"}
    # It explains itself: the incidents that drove it, heaviest first, and the cells they are in.
    assert previous["incidents"]["total"] == 4
    assert len(previous["incidents"]["ids"]) == 4
    assert sum(cell["incidents"] for cell in previous["cells"]) == 4
    deducted = sum(f["contribution"] for f in previous["factors"])
    assert deducted == pytest.approx(100 - previous["score"], abs=0.05)


def test_an_old_incident_weighs_less_than_a_new_one(gw: GovWorx) -> None:
    gw.headers_intel = bearer(make_key(gw.database, "metro", ["intel:read"]))  # type: ignore[attr-defined]
    background(gw)
    old_place, new_place = (40.70, -74.00), (40.74, -74.00)
    call(gw, "OLD", *old_place, ago=timedelta(days=120))
    call(gw, "NEW", *new_place, ago=timedelta(days=1))
    old = score(gw, lat=old_place[0], lon=old_place[1])
    new = score(gw, lat=new_place[0], lon=new_place[1])
    old_nearby, new_nearby = (body["factors"][0]["value"] for body in (old, new))
    # Priority 1 is `high` (weight 4); the weight halves every 30 days (the default half-life).
    assert new_nearby == pytest.approx(4 * 2 ** (-1 / 30), rel=0.01)
    assert old_nearby == pytest.approx(4 * 2 ** (-120 / 30), rel=0.01)
    assert old["score"] >= new["score"]


def _same(body: dict[str, Any]) -> dict[str, Any]:
    # The times, and the tenant's reference density (it decays between two calls), left out.
    return {k: v for k, v in body.items() if k not in {"at", "computed_at", "local_time", "reference_per_km2"}}


def test_a_drill_or_a_false_alarm_changes_nothing(city: GovWorx) -> None:
    before = score(city)
    native = bearer(make_key(city.database, "metro", ["*"]))
    drill = {"category": "location_threat", "severity": "critical", "is_drill": True}
    response = city.client.post(
        "/v1/incidents", json={**drill, "location": {"coordinates": [HERE[1], HERE[0]]}}, headers=native
    )
    assert response.status_code == 201, response.text
    assert _same(score(city)) == _same(before)
    created = city.client.post(
        "/v1/incidents",
        json={"category": "sos", "severity": "critical", "location": {"coordinates": [HERE[1], HERE[0]]}},
        headers=native,
    )
    incident_id = created.json()["incident"]["incident_id"]
    counted = score(city)
    closed = city.client.post(
        f"/v1/incidents/{incident_id}/status",
        json={"status": "resolved", "resolution_outcome": "false_alarm"},
        headers=native,
    )
    assert closed.status_code == 200, closed.text
    assert counted["incidents"]["ids"] == [incident_id]
    assert counted["score"] < before["score"]
    assert _same(score(city)) == _same(before)


def test_the_hour_asked_for_matters_where_incidents_cluster_in_time(city: GovWorx) -> None:
    from zoneinfo import ZoneInfo

    chicago = ZoneInfo("America/Chicago")
    tomorrow = datetime.now(chicago).replace(minute=30, second=0, microsecond=0) + timedelta(days=1)
    for n in range(3):  # robberies at 23:30 local on the same weekday as tomorrow, 1, 2 and 3 weeks before
        night = tomorrow.replace(hour=23) - timedelta(weeks=n + 1)
        call(city, f"NIGHT-{n}", HERE[0], HERE[1] + 0.0004 * n, ago=datetime.now(UTC) - night)
    late = score(city, at=tomorrow.replace(hour=23).isoformat())
    noon = score(city, at=tomorrow.replace(hour=12).isoformat())
    assert late["risk"] > noon["risk"]
    assert late["score"] <= noon["score"]
    assert late["factors"][1]["value"] > 0
    assert noon["factors"][1]["value"] == 0
    assert late["local_time"].startswith(tomorrow.strftime("%Y-%m-%dT23:30"))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 91, "lon": 0}, "lat"),
        ({"lat": 10, "lon": -180.5}, "lon"),
        ({"lon": 3.3}, "lat"),
        ({"lat": 6.5}, "lon"),
        ({"lat": "north", "lon": 3.3}, "lat"),
        ({"lat": 6.5, "lon": 3.3, "radius_m": 50}, "radius_m"),
        ({"lat": 6.5, "lon": 3.3, "radius_m": 5001}, "radius_m"),
        ({"lat": 6.5, "lon": 3.3, "at": "tomorrow"}, "at"),
    ],
)
def test_bad_parameters_answer_400_naming_them(gw: GovWorx, params: dict[str, Any], field: str) -> None:
    response = gw.client.get("/v1/safety/score", params=params, headers=gw.other)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 400
    assert [e["field"] for e in body["errors"]] == [field]
    assert field in body["message"]


def test_scope_and_tenant(city: GovWorx) -> None:
    call(city, "ROB", *HERE, ago=timedelta(hours=1))
    reader_elsewhere = bearer(make_key(city.database, "other", ["intel:read"]))
    # Another tenant sees none of metro's incidents: its own (empty) history only.
    theirs = score(city, headers=reader_elsewhere)
    assert theirs["score"] == 100
    assert theirs["incidents"]["total"] == 0
    ours = score(city)
    assert ours["incidents"]["total"] == 1
    # The same answer at Sety's /v1/external mount.
    external = city.client.get(
        "/v1/external/safety/score",
        params={"lat": HERE[0], "lon": HERE[1]},
        headers=city.headers_intel,  # type: ignore[attr-defined]
    )
    assert external.status_code == 200
    same = external.json()  # a moment later: weights decay by parts per million, so compare what they count
    assert (same["score"], same["incidents"], [c["cell"] for c in same["cells"]]) == (
        ours["score"],
        ours["incidents"],
        [c["cell"] for c in ours["cells"]],
    )
    no_scope = bearer(make_key(city.database, "metro", ["incidents:read"]))
    refused = city.client.get("/v1/safety/score", params={"lat": HERE[0], "lon": HERE[1]}, headers=no_scope)
    assert refused.status_code == 403
    assert city.client.get("/v1/safety/score", params={"lat": 1, "lon": 1}).status_code == 401
