"""GET /v1/analytics/incidents: Sety's IncidentAnalytics on a small hand-computed set (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.analytics.test_sety_sla import CALL, responder, same_targets, set_sla
from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx

URL = "/v1/analytics/incidents"


def analytics(gw: GovWorx, headers: dict[str, str] | None = None, base: str = "/v1", **params: str) -> Any:
    return gw.client.get(
        f"{base}/analytics/incidents", params=params, headers=gw.headers if headers is None else headers
    )


def seed_set(gw: GovWorx) -> list[str]:
    """Five GovWorx calls received at 10:23:00 and one open native incident; targets 60 / 600 / 3600 s."""
    set_sla(gw.database, "metro", same_targets(60, 600, 3600))
    day = "2026-01-06T"
    units = {
        "A": ([responder(dispatchedAt=f"{day}10:24:00Z", arrivedAt=f"{day}10:31:00Z")], f"{day}11:45:00Z"),
        "B": ([responder(dispatchedAt=f"{day}10:24:01Z", arrivedAt=f"{day}10:30:00Z")], f"{day}10:50:00Z"),
        "C": ([responder(dispatchedAt=f"{day}10:25:00Z")], f"{day}10:28:00Z"),
        "D": ([], f"{day}10:33:00Z"),
        # Responders stamped in 2023, before the call: clock skew, left out of the figures.
        "E": ([responder(dispatchedAt="2023-11-07T05:31:56Z", arrivedAt="2023-11-07T05:31:56Z")], f"{day}10:50:00Z"),
    }
    ids = []
    for name, (responders, closed) in units.items():
        body = gw.seed(sysId=f"SET-{name}", callReceivedTime=CALL, responders=responders, closedAt=closed)
        ids.append(gw.upload(body)["id"])
    native = bearer(make_key(gw.database, "metro", ["incidents:write"]))
    made = gw.client.post("/v1/incidents", json={"category": "sos", "severity": "critical"}, headers=native)
    assert made.status_code == 201, made.text
    ids.append(made.json()["incident"]["incident_id"])
    return ids


def test_the_figures_of_a_small_set(gw: GovWorx) -> None:
    ids = seed_set(gw)
    response = analytics(gw)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 6
    # Assign: A 60 s, B 61 s, C 120 s (D none, E before the call). p90: rank ceil(0.9 * 3) = 3.
    assert body["time_to_assign"] == {"count": 3, "mean_seconds": 80.333, "p90_seconds": 120}
    # Arrive: A 480 s, B 420 s; p90 at rank ceil(1.8) = 2.
    assert body["time_to_arrive"] == {"count": 2, "mean_seconds": 450, "p90_seconds": 480}
    # Resolve: 4920, 1620, 300, 600, 1620 (the native one is open); p90 at rank ceil(4.5) = 5.
    assert body["time_to_resolve"] == {"count": 5, "mean_seconds": 1812, "p90_seconds": 4920}
    # Breaches: assign B (61 > 60), C (120), D (closed after 600 s without a unit); A at exactly 60 s is not.
    # Arrive: D stopped at exactly 600 s, C at 300 s: none. Resolve: A (4920 > 3600).
    assert body["sla_breaches"] == {"assign": 3, "arrive": 0, "resolve": 1, "incidents": 4}
    assert body["by_status"] == {
        "created": 1,
        "dispatching": 0,
        "assigned": 0,
        "responding": 0,
        "on_scene": 0,
        "resolved": 5,
        "cancelled": 0,
    }
    assert body["by_source"] == {"govworx": 5, "native": 1}

    # The same as the incidents show one by one.
    reads = [gw.incident(incident_id) for incident_id in ids]
    for name in ("category", "severity"):
        found = Counter(r[name] or "unknown" for r in reads)
        assert {k: v for k, v in body[f"by_{name}"].items() if v} == dict(found)
    for leg in ("assign", "arrive", "resolve"):
        assert body["sla_breaches"][leg] == sum(1 for r in reads if r["sla"][leg] and r["sla"][leg]["breached"])
    assert body["sla_breaches"]["incidents"] == sum(1 for r in reads if r["sla"]["breached"])


def test_an_empty_period_has_null_figures_not_zero(gw: GovWorx) -> None:
    seed_set(gw)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    body = analytics(gw, from_date="2020-01-01", to_date=yesterday).json()
    assert body["total"] == 0 and body["period"] == {
        "from_date": "2020-01-01T00:00:00.000Z",
        "to_date": f"{yesterday}T23:59:59.999Z",
    }
    assert body["time_to_assign"] == {"count": 0, "mean_seconds": None, "p90_seconds": None}
    assert body["sla_breaches"] == {"assign": 0, "arrive": 0, "resolve": 0, "incidents": 0}
    assert body["by_source"] == {} and set(body["by_severity"].values()) == {0}
    today = datetime.now(UTC).date().isoformat()
    assert analytics(gw, from_date=today, to_date=today).json()["total"] == 6


def test_another_tenant_sees_only_its_own(gw: GovWorx) -> None:
    seed_set(gw)
    made = gw.client.post("/v1/incidents", json={"category": "medical"}, headers=gw.other)
    assert made.status_code == 201
    other = analytics(gw, headers=gw.other).json()
    assert other["total"] == 1 and other["by_source"] == {"native": 1}
    assert analytics(gw).json()["total"] == 6


def test_the_same_answer_at_v1_external(gw: GovWorx) -> None:
    seed_set(gw)
    today = datetime.now(UTC).date().isoformat()
    inside = analytics(gw, from_date="2026-01-01", to_date=today).json()
    outside = analytics(gw, base="/v1/external", from_date="2026-01-01", to_date=today).json()
    assert inside["total"] == 6
    assert {k: v for k, v in outside.items() if k != "evaluated_at"} == {
        k: v for k, v in inside.items() if k != "evaluated_at"
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from_date": "2026-13-01"}, "from_date"),
        ({"to_date": "soon"}, "to_date"),
        ({"from_date": "1767225600"}, "from_date"),
        ({"from_date": "2026-02-01", "to_date": "2026-01-01"}, "from_date"),
    ],
)
def test_bad_dates_are_400_naming_the_parameter(gw: GovWorx, params: dict[str, str], field: str) -> None:
    response = analytics(gw, **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 400 and body["message"].startswith(f"{field}:")
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize(
    ("scopes", "status"), [(["analytics:read"], 200), (["incidents:read"], 200), (["dispatch:read"], 403)]
)
def test_analytics_or_incidents_read_is_needed(gw: GovWorx, scopes: list[str], status: int) -> None:
    response = analytics(gw, headers=bearer(make_key(gw.database, "metro", scopes)))
    assert response.status_code == status, response.text
    assert analytics(gw, headers={}).status_code == 401


def test_unusable_sla_settings_are_409(gw: GovWorx) -> None:
    set_sla(gw.database, "metro", {"targets": {"high": {"assign": "soon"}}})
    response = analytics(gw)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "settings.sla.targets.high.assign"
