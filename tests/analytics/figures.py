"""Helpers of the period answers' tests: GovWorx uploads with call and unit times given as offsets in seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx

DAY = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def call(
    sys_id: str,
    received: datetime = DAY,
    answer: float | None = 10,
    units: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A GovWorx upload: the call received at `received`, picked up `answer` s later (None: not stored), hung up
    a minute after pickup; each unit {"unit", "dispatched", "enroute", "arrived", "cleared"} in seconds after
    the call was received (None: not stored)."""
    body: dict[str, Any] = {
        "sysId": sys_id,
        "number": f"26-{sys_id}",
        "closedAt": iso(received + timedelta(hours=2)),
        "incidentType": "Medical Emergency",
        "incidentDate": iso(received),
        "priority": "Priority 1",
        "agency": "CITY-EMS",
        "agencyType": "EMS",
        "callPosition": "Position-01",
        "callTakerId": "CT-1",
        "callTakerName": "Ann Able",
        "responseArea": "North",
        "callReceivedTime": iso(received),
    }
    if answer is not None:
        body["callPickupTime"] = iso(received + timedelta(seconds=answer))
        body["callHangupTime"] = iso(received + timedelta(seconds=answer + 60))
    responders = []
    for unit in units or []:
        entry: dict[str, Any] = {"unitName": unit["unit"]}
        for name in ("dispatched", "enroute", "arrived", "cleared"):
            if unit.get(name) is not None:
                entry[f"{name}At"] = iso(received + timedelta(seconds=unit[name]))
        responders.append(entry)
    if responders:
        body["responders"] = responders
    body.update(fields)
    return body


def upload_all(gw: GovWorx, bodies: list[dict[str, Any]], headers: dict[str, str] | None = None) -> None:
    for body in bodies:
        response = gw.put(body, headers=headers)
        assert response.status_code == 200, response.text


def reader(gw: GovWorx) -> dict[str, str]:
    return bearer(make_key(gw.database, "metro", ["analytics:read"]))


def get(gw: GovWorx, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
    response = gw.client.get(path, params=params, headers=reader(gw) if headers is None else headers)
    return response


def figures(gw: GovWorx, **params: Any) -> dict[str, Any]:
    response = get(gw, "/v1/analytics/intervals", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def leg_of(body: dict[str, Any], group: str, leg: str) -> dict[str, Any]:
    (found,) = [g for g in body["groups"] if g["group"] == group]
    (item,) = [entry for entry in found["legs"] if entry["leg"] == leg]
    return item


def standard_of(leg: dict[str, Any], standard_id: str) -> dict[str, Any]:
    (found,) = [s for s in leg["standards"] if s["standard_id"] == standard_id]
    return found
