"""Incidents placed on the map through the native API and the GovWorx door, for the threat-intelligence tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.govworx.helpers import GovWorx

# Lagos Island: a busy block, a quieter one 3 km away, and a box holding both.
HOT = (6.4550, 3.3940)  # (lat, lon)
QUIET = (6.4400, 3.4200)
BOX = "3.35,6.40,3.47,6.50"


def place(lat: float, lon: float, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "location_threat",
        "severity": "critical",
        "location": {"coordinates": [lon, lat]},
    }
    body.update(more)
    return body


def create(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = client.post("/v1/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["incident"]["incident_id"]
    return incident_id


def false_alarm(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    incident_id = create(client, headers, body)
    closed = client.post(
        f"/v1/incidents/{incident_id}/status",
        json={"status": "resolved", "resolution_outcome": "false_alarm"},
        headers=headers,
    )
    assert closed.status_code == 200, closed.text
    return incident_id


def gw_call(gw: GovWorx, sys_id: str, lat: float, lon: float, days_ago: float) -> str:
    """A GovWorx call (Priority 1 cardiac arrest: high, medical) received `days_ago` days ago."""
    at = (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    times = dict.fromkeys(("incidentDate", "callPickupTime", "callHangupTime", "dispatchQueueAt", "closedAt"), at)
    body = gw.seed(sysId=sys_id, latitude=lat, longitude=lon, callReceivedTime=at, relatedSysId=None, **times)
    gw.upload(body)
    incident_id: str = gw.by_sys_id(sys_id)[0]["incident_id"]
    return incident_id


def features(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["properties"]["cell"]: f["properties"] for f in answer["features"]}
