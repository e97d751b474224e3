"""GET /v1/incidents/{id}/intervals over HTTP, on incidents that came through the doors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from incidenthub.db import Database
from incidenthub.models import Tenant
from tests.factories import bearer
from tests.govworx.helpers import GovWorx
from tests.sonoran.helpers import Sonoran


def intervals(gw: GovWorx, incident_id: str, headers: dict[str, str] | None = None, base: str = "/v1") -> Any:
    return gw.client.get(
        f"{base}/incidents/{incident_id}/intervals", headers=gw.headers if headers is None else headers
    )


def seeded(gw: GovWorx) -> str:
    incident_id: str = gw.upload(gw.seed())["id"]
    return incident_id


def checks(leg: dict[str, Any]) -> dict[str, Any]:
    return {c["standard_id"]: c["within"] for c in leg["standards"]}


def test_the_govworx_seed_answers_in_15_s_and_talks_4_min_45_s(gw: GovWorx) -> None:
    incident_id = seeded(gw)
    response = intervals(gw, incident_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["incident_id"] == incident_id
    answer, duration = body["legs"]["call_answer"], body["legs"]["call_duration"]
    assert (answer["seconds"], answer["status"]) == (15, "measured")
    assert answer["start"] == {"field": "incident.call_received_at", "at": "2026-01-06T10:23:00.000Z"}
    assert answer["end"] == {"field": "incident.call_picked_up_at", "at": "2026-01-06T10:23:15.000Z"}
    assert (duration["seconds"], duration["end"]["at"]) == (4 * 60 + 45, "2026-01-06T10:28:00.000Z")
    # 15 s is within NENA's 15 s (and 20 s) but not NFPA 1225's 10 s.
    assert checks(answer) == {"nena-sta-020.1-2020-call-answering": True, "nfpa-1225-2022-call-answering": False}
    nena = answer["standards"][0]
    assert nena["source"].startswith("NENA-STA-020.1-2020") and nena["edition"] == "2020"
    assert [t["within"] for t in nena["targets"]] == [True, True]
    assert {s["id"] for s in body["standards"]} >= {"nena-sta-020.1-2020-call-answering", "nfpa-1710-2020-turnout-ems"}


def test_the_seeds_2023_responder_times_are_data_quality_issues_not_legs(gw: GovWorx) -> None:
    # The seed's responders were dispatched and arrived in 2023, before the 2026 call: clock skew.
    body = intervals(gw, seeded(gw)).json()
    processing = body["legs"]["call_processing"]
    assert (processing["seconds"], processing["status"]) == (None, "negative")
    assert processing["end"]["at"] == "2023-11-07T05:31:56.000Z"
    assert checks(processing) == {"nfpa-1225-2022-call-processing": None, "nfpa-1221-2016-call-processing": None}
    assert {issue["leg"] for issue in body["data_quality"]} == {"call_processing", "queue", "total"}
    queue = next(issue for issue in body["data_quality"] if issue["leg"] == "queue")
    assert (
        queue["negative_by_seconds"]
        == (
            datetime.fromisoformat("2026-01-06T10:30:00+00:00") - datetime.fromisoformat("2023-11-07T05:31:56+00:00")
        ).total_seconds()
    )
    assert queue["message"].startswith("queue: incident.dispatched_at is 68360284 s (791 d 4 h 58 min 4 s) before")
    (unit,) = body["assignments"]
    assert unit["first_arriving"] is True
    assert {name: leg["seconds"] for name, leg in unit["legs"].items()} == {
        "turnout": 0,
        "travel": 0,
        "response": 0,
        "on_scene": 0,
    }
    # A medical incident: NFPA 1710's EMS turnout judges the unit, the fire one does not.
    assert checks(unit["legs"]["turnout"]) == {"nfpa-1710-2020-turnout-ems": True}


def test_times_the_cad_did_not_send_are_null_legs_not_zero(gw: GovWorx) -> None:
    incident_id: str = gw.upload(gw.seed(sysId="INC-NO-TIMES", callHangupTime=None, dispatchQueueAt=None))["id"]
    legs = intervals(gw, incident_id).json()["legs"]
    assert (legs["call_duration"]["seconds"], legs["call_duration"]["status"]) == (None, "missing")
    assert legs["call_duration"]["end"] == {"field": "incident.call_hung_up_at", "at": None}
    assert (legs["queue"]["seconds"], legs["queue"]["status"]) == (None, "missing")
    assert legs["call_answer"]["seconds"] == 15


def test_the_same_answer_at_v1_external(gw: GovWorx) -> None:
    incident_id = seeded(gw)
    assert intervals(gw, incident_id, base="/v1/external").json() == intervals(gw, incident_id).json()


def test_a_sonoran_call_with_unit_milestones(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:1", "STEAM:2"])
    sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 3}])
    sonoran.ok("unit_status", [{"apiId": "STEAM:2", "status": 4}, {"apiId": "STEAM:1", "status": 4}])
    incident = sonoran.incident(call_id)
    response = sonoran.client.get(
        f"/v1/incidents/{incident['incident_id']}/intervals", headers=bearer(sonoran.reader_a)
    )
    assert response.status_code == 200, response.text
    units = {u["call_sign"]: u for u in response.json()["assignments"]}
    stored = {r["unit"]["call_sign"]: r for r in incident["responders"]}

    def between(start: str, end: str) -> float:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()

    one, two = stored["STEAM:1"], stored["STEAM:2"]
    legs = units["STEAM:1"]["legs"]
    assert legs["turnout"]["seconds"] == between(one["dispatched_at"], one["enroute_at"])
    assert legs["travel"]["seconds"] == between(one["enroute_at"], one["arrived_at"])
    assert legs["response"]["seconds"] == between(one["dispatched_at"], one["arrived_at"])
    assert legs["on_scene"]["status"] == "missing"  # still on scene
    assert all(legs[name]["seconds"] >= 0 for name in ("turnout", "travel", "response"))
    # STEAM:2 went on scene without reporting en route: no turnout or travel, a response all the same.
    legs = units["STEAM:2"]["legs"]
    assert (legs["turnout"]["status"], legs["travel"]["status"]) == ("missing", "missing")
    assert legs["response"]["seconds"] == between(two["dispatched_at"], two["arrived_at"])
    (first,) = [sign for sign, unit in units.items() if unit["first_arriving"]]
    assert stored[first]["arrived_at"] == min(one["arrived_at"], two["arrived_at"])
    total = response.json()["legs"]["total"]
    assert total["end"] == {
        "field": f"assignments[{units[first]['assignment_id']}].arrived_at",
        "at": stored[first]["arrived_at"],
    }
    assert response.json()["data_quality"] == []


def test_another_tenants_incident_is_not_found(gw: GovWorx) -> None:
    incident_id = seeded(gw)
    response = intervals(gw, incident_id, headers=gw.other)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert incident_id in response.json()["detail"]
    assert intervals(gw, "inc_does_not_exist").status_code == 404


@pytest.mark.parametrize(
    ("scopes", "status"), [(["analytics:read"], 200), (["incidents:read"], 200), (["dispatch:read"], 403)]
)
def test_analytics_or_incidents_read_is_needed(gw: GovWorx, scopes: list[str], status: int) -> None:
    from tests.factories import make_key

    incident_id = seeded(gw)
    response = intervals(gw, incident_id, headers=bearer(make_key(gw.database, "metro", scopes)))
    assert response.status_code == status, response.text
    assert intervals(gw, incident_id, headers={}).status_code == 401


# A tenant's own standard: call answering within 12 s for priority 1 (it selects on priority).
LOCAL_STANDARD = {
    "id": "metro-answer-12s",
    "name": "Metro answering SLA",
    "source": "Metro ECC policy",
    "edition": "2026",
    "leg": "call_answer",
    "priorities": ["Priority 1"],
    "targets": [{"within_seconds": 12, "percent": 95}],
}


def set_analytics(database: Database, slug: str, value: Any) -> None:
    with database.transaction() as session:
        tenant = session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()
        tenant.settings = {**(tenant.settings or {}), "analytics": value}


def test_a_tenants_own_standard_judges_its_incidents(gw: GovWorx) -> None:
    incident_id = seeded(gw)
    local = LOCAL_STANDARD
    set_analytics(gw.database, "metro", {"standards": [local], "defaults": False})
    body = intervals(gw, incident_id).json()
    assert checks(body["legs"]["call_answer"]) == {"metro-answer-12s": False}
    assert [s["id"] for s in body["standards"]] == ["metro-answer-12s"]
    assert body["standards"][0]["checked"] is None


def test_unusable_tenant_standards_answer_409_naming_the_member(gw: GovWorx) -> None:
    incident_id = seeded(gw)
    set_analytics(gw.database, "metro", {"standards": [{"id": "x", "leg": "lunch"}]})
    response = intervals(gw, incident_id)
    assert response.status_code == 409
    problem = response.json()
    assert "analytics.standards[0]" in problem["detail"]
    assert problem["errors"][0]["field"].startswith("settings.analytics.standards[0].")
