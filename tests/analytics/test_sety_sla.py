"""The native incident's `sla` and its responders as Sety's ResponderAssignment, through the real doors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from incidenthub.db import Database
from incidenthub.models import Incident, Tenant
from tests.factories import Api
from tests.govworx.helpers import GovWorx

CALL = "2026-01-06T10:23:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def between(start: str, end: str) -> float:
    return (at(end) - at(start)).total_seconds()


def set_sla(database: Database, slug: str, value: Any) -> None:
    with database.transaction() as session:
        tenant = session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()
        tenant.settings = {**(tenant.settings or {}), "sla": value}


def same_targets(assign: float, arrive: float, resolve: float) -> dict[str, Any]:
    legs = {"assign": assign, "arrive": arrive, "resolve": resolve}
    return {"targets": dict.fromkeys(("low", "medium", "high", "critical"), legs)}


def responder(**times: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"personnelId": "P-7", "personnelFirstName": "Ada", "personnelLastName": "Eze"}
    body.update({"unitName": "MEDIC-7", "dispatchedBy": "Dispatcher 2"})
    body.update({name: value for name, value in times.items() if value is not None})
    return body


def upload(gw: GovWorx, sys_id: str, responders: list[dict[str, Any]], closed: str | None) -> dict[str, Any]:
    body = gw.seed(sysId=sys_id, callReceivedTime=CALL, responders=responders, closedAt=closed, relatedSysId=None)
    return gw.incident(gw.upload(body)["id"])


def test_a_govworx_upload_hand_computed(gw: GovWorx) -> None:
    set_sla(gw.database, "metro", same_targets(60, 600, 3600))
    unit = responder(
        dispatchedAt="2026-01-06T10:24:00Z",  # 60 s after the call: exactly the target, not breached
        enrouteAt="2026-01-06T10:25:30Z",
        arrivedAt="2026-01-06T10:31:00Z",
        clearedAt="2026-01-06T11:40:00Z",
    )
    incident = upload(gw, "SLA-1", [unit], "2026-01-06T11:45:00Z")
    (one,) = incident["responders"]
    assert one["unit"]["call_sign"] == "MEDIC-7" and one["personnel"]["personnel_id"] == "P-7"
    # Assigned when the CAD dispatched the unit, not when the upload reached incidenthub (later).
    assert one["assigned_at"] == "2026-01-06T10:24:00.000Z" and one["dispatched_by"] == "Dispatcher 2"
    assert (one["turnout_seconds"], one["travel_seconds"], one["response_seconds"]) == (90, 330, 420)
    sla = incident["sla"]
    assert (sla["started_at"], sla["started_from"]) == ("2026-01-06T10:23:00.000Z", "call_received_at")
    assert sla["assign"] == {
        "target_seconds": 60,
        "status": "met",
        "ended_at": "2026-01-06T10:24:00.000Z",
        "elapsed_seconds": 60,
        "breached": False,
    }
    assert (sla["arrive"]["elapsed_seconds"], sla["arrive"]["breached"]) == (480, False)
    # Resolved at 11:45: 82 minutes against a 60-minute target.
    assert sla["resolve"] == {
        "target_seconds": 3600,
        "status": "met",
        "ended_at": "2026-01-06T11:45:00.000Z",
        "elapsed_seconds": 82 * 60,
        "breached": True,
    }
    assert sla["breached"] is True


def test_one_millisecond_over_the_target_is_a_breach(gw: GovWorx) -> None:
    set_sla(gw.database, "metro", same_targets(60, 86_400, 86_400))
    late = upload(gw, "SLA-2", [responder(dispatchedAt="2026-01-06T10:24:00.001Z")], "2026-01-06T10:40:00Z")
    assert (late["sla"]["assign"]["elapsed_seconds"], late["sla"]["assign"]["breached"]) == (60.001, True)
    on_time = upload(gw, "SLA-3", [responder(dispatchedAt="2026-01-06T10:24:00Z")], "2026-01-06T10:40:00Z")
    assert (on_time["sla"]["assign"]["elapsed_seconds"], on_time["sla"]["assign"]["breached"]) == (60, False)
    assert on_time["sla"]["breached"] is False


def test_missing_milestones_are_null_not_zero(gw: GovWorx) -> None:
    set_sla(gw.database, "metro", same_targets(60, 600, 3600))
    # Dispatched, never reported en route or arrived; the incident closed 5 minutes after the call.
    incident = upload(gw, "SLA-4", [responder(dispatchedAt="2026-01-06T10:23:30Z")], "2026-01-06T10:28:00Z")
    (one,) = incident["responders"]
    assert one["enroute_at"] is None and one["arrived_at"] is None
    assert (one["turnout_seconds"], one["travel_seconds"], one["response_seconds"]) == (None, None, None)
    arrive = incident["sla"]["arrive"]
    # Closed without an arrival: the leg stopped at the close, within its 600 s.
    assert arrive == {
        "target_seconds": 600,
        "status": "stopped",
        "ended_at": "2026-01-06T10:28:00.000Z",
        "elapsed_seconds": 300,
        "breached": False,
    }


def test_the_seeds_2023_responder_times_are_clock_skew_not_legs(gw: GovWorx) -> None:
    incident = gw.incident(gw.upload(gw.seed())["id"])
    # The seed's unit was dispatched in 2023, before the 2026 call: no elapsed time, neither breached nor not.
    assert (incident["sla"]["assign"]["elapsed_seconds"], incident["sla"]["assign"]["breached"]) == (None, None)
    assert incident["responders"][0]["response_seconds"] == 0


def test_an_open_incident_runs_to_the_request_time(api: Api) -> None:
    incident_id = api.create_id({"category": "sos", "severity": "critical"})
    before = datetime.now(UTC)
    first = api.incident(incident_id)["sla"]
    after = datetime.now(UTC)
    started = at(first["started_at"])
    assert first["started_from"] == "created_at" and first["severity"] == "critical"
    for leg, target in (("assign", 60), ("arrive", 480), ("resolve", 3600)):  # the defaults for critical
        state = first[leg]
        assert (state["target_seconds"], state["status"], state["ended_at"]) == (target, "running", None)
        assert (before - started).total_seconds() - 0.001 <= state["elapsed_seconds"]
        assert state["elapsed_seconds"] <= (after - started).total_seconds() + 0.001
        assert state["breached"] is False
    assert before <= at(first["evaluated_at"]).replace(microsecond=at(first["evaluated_at"]).microsecond) <= after
    second = api.incident(incident_id)["sla"]
    assert second["resolve"]["elapsed_seconds"] > first["resolve"]["elapsed_seconds"]
    assert second["resolve"]["elapsed_seconds"] == between(second["started_at"], second["evaluated_at"])


def test_an_open_incident_breaches_once_the_clock_passes_its_target(api: Api) -> None:
    set_sla(api.database, "acme", {"targets": {"critical": {"assign": 0.001}}})
    incident_id = api.create_id({"category": "sos", "severity": "critical"})
    sla = api.incident(incident_id)["sla"]
    assign = sla["assign"]
    assert assign["status"] == "running" and assign["elapsed_seconds"] > 0.001
    assert assign["breached"] is True and sla["breached"] is True
    assert assign["elapsed_seconds"] == between(sla["started_at"], sla["evaluated_at"])
    assert sla["arrive"]["breached"] is False  # the default 480 s


def _unit(api: Api, call_sign: str) -> str:
    response = api.client.post("/v1/units", json={"call_sign": call_sign, "name": "Medic 10"}, headers=api.acme)
    assert response.status_code == 201, response.text
    unit_id: str = response.json()["unit_id"]
    return unit_id


def test_native_create_and_dispatch(api: Api) -> None:
    incident_id = api.create_id({"category": "medical", "severity": "high"})
    unit_id = _unit(api, "M-10")
    assigned = api.client.post(f"/v1/incidents/{incident_id}/assignments", json={"unit_id": unit_id}, headers=api.acme)
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["unit"] == {"id": unit_id, "call_sign": "M-10", "name": "Medic 10"}
    assert assigned.json()["turnout_seconds"] is None  # not yet en route: null, not 0
    for status in ("enroute", "on_scene"):
        changed = api.client.post(f"/v1/units/{unit_id}/status", json={"status": status}, headers=api.acme)
        assert changed.status_code == 200, changed.text
    incident = api.incident(incident_id)
    (one,) = incident["responders"]
    assert one["turnout_seconds"] == between(one["dispatched_at"], one["enroute_at"])
    assert one["travel_seconds"] == between(one["enroute_at"], one["arrived_at"])
    assert one["response_seconds"] == between(one["dispatched_at"], one["arrived_at"])
    assert one["assigned_at"] <= one["dispatched_at"]
    sla = incident["sla"]
    assert sla["severity"] == "high"
    assert sla["assign"]["status"] == "met" and sla["assign"]["ended_at"] == one["dispatched_at"]
    assert sla["assign"]["elapsed_seconds"] == between(sla["started_at"], one["dispatched_at"])
    assert sla["arrive"]["ended_at"] == one["arrived_at"] and sla["arrive"]["breached"] is False
    assert sla["resolve"]["status"] == "running"
    # The list shows the same SLA (measured at its own request time).
    (listed,) = api.client.get("/v1/incidents", headers=api.acme).json()["data"]
    assert listed["sla"]["assign"] == sla["assign"] and listed["sla"]["arrive"] == sla["arrive"]


def test_a_tenants_targets_and_a_leg_without_one(api: Api) -> None:
    set_sla(api.database, "acme", {"targets": {"low": {"assign": 5, "resolve": None}}})
    incident = api.create({"category": "sos", "severity": "low"}).json()["incident"]
    sla = incident["sla"]
    assert sla["assign"]["target_seconds"] == 5
    assert sla["arrive"]["target_seconds"] == 3600  # the default kept
    assert sla["resolve"] is None  # its target taken away: not shown
    # Another tenant keeps the defaults.
    other = api.create({"category": "sos", "severity": "low"}, headers=api.globex).json()["incident"]
    assert other["sla"]["assign"]["target_seconds"] == 900


@pytest.mark.parametrize(
    ("value", "member"),
    [
        ({"targets": {"critical": {"assign": -1}}}, "settings.sla.targets.critical.assign"),
        ({"targets": {"urgent": {"assign": 10}}}, "settings.sla.targets.urgent"),
        ({"targets": {"high": {"lunch": 10}}}, "settings.sla.targets.high.lunch"),
        (["assign"], "settings.sla"),
    ],
)
def test_unusable_sla_settings_are_409_naming_the_member_and_create_nothing(api: Api, value: Any, member: str) -> None:
    incident_id = api.create_id()
    set_sla(api.database, "acme", value)
    for response in (api.get(incident_id), api.create({"category": "medical"})):
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["code"] == 409 and member.removeprefix("settings.") in body["message"]
        assert body["errors"][0]["field"] == member
    with api.database.transaction() as session:
        assert session.scalars(select(Incident.id)).all() == [incident_id]
