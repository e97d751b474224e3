"""incidents.update (set wrappers, stage rules, no-op updates) and incidents.delete."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incidenthub.models import AuditEntry, DeletedIncident, Incident
from tests.devrev.helpers import DevRev, assert_devrev_error


def _row(devrev: DevRev, don: str) -> Incident:
    with devrev.database.read_sessions() as session:
        row = session.scalar(select(Incident).where(Incident.external_id == don))
        assert row is not None
        return row


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"title": "New title"}, lambda i: i["title"] == "New title"),
        ({"body": "More detail"}, lambda i: i["body"] == "More detail"),
        ({"acknowledged_date": "2026-01-01T00:00:00Z"}, lambda i: i["acknowledged_date"] == "2026-01-01T00:00:00.000Z"),
        ({"identified_date": "2026-01-01T01:00:00Z"}, lambda i: i["identified_date"] == "2026-01-01T01:00:00.000Z"),
        ({"mitigated_date": "2026-01-01T02:00:00Z"}, lambda i: i["mitigated_date"] == "2026-01-01T02:00:00.000Z"),
        ({"target_close_date": "2026-01-02T00:00:00Z"}, lambda i: i["target_close_date"].startswith("2026-01-02")),
        ({"applies_to_parts": {"set": ["PROD-9"]}}, lambda i: [p["id"] for p in i["applies_to_parts"]] == ["PROD-9"]),
        ({"artifacts": {"set": ["ARTIFACT-2"]}}, lambda i: [a["id"] for a in i["artifacts"]] == ["ARTIFACT-2"]),
        ({"owned_by": {"set": ["DEVU-5"]}}, lambda i: [u["id"] for u in i["owned_by"]] == ["DEVU-5"]),
        ({"pia": {"set": ["ARTICLE-8"]}}, lambda i: [a["id"] for a in i["pia"]] == ["ARTICLE-8"]),
        ({"playbooks": {"set": []}}, lambda i: "playbooks" not in i),
        ({"related_docs": {"set": ["ARTICLE-4"]}}, lambda i: [a["id"] for a in i["related_docs"]] == ["ARTICLE-4"]),
        ({"stakeholders": {"set": ["DEVU-8"]}}, lambda i: [u["id"] for u in i["stakeholders"]] == ["DEVU-8"]),
        ({"impact": {"count": 7}}, lambda i: i["impact"]["count"]["id"] == 7 and i["impact"]["customer_ids"]),
        (
            {"impact": {"customer_ids": {"set": ["ACC-3"]}}},
            lambda i: [c["id"] for c in i["impact"]["customer_ids"]] == ["ACC-3"] and i["impact"]["count"]["id"] == 3,
        ),
        ({"reported_by": 4}, lambda i: i["reported_by"]["id"] == 4),
        ({"severity": 3}, lambda i: i["severity"] == {"id": 3, "label": "Sev3", "ordinal": 3}),
        ({"severity": "sev0"}, lambda i: i["severity"]["id"] == 0),
        ({"source": 5}, lambda i: i["source"]["id"] == 5),
        ({"stage": {"stage": "identified"}}, lambda i: i["stage"]["stage"]["name"] == "identified"),
        ({"stage": "mitigated"}, lambda i: i["stage"]["state"]["name"] == "in_progress"),
        ({"stage": {"notes": "new notes"}}, lambda i: i["stage"]["notes"] == "new notes"),
        (
            {"tags": {"set": [{"tag_id": "db", "value": "primary"}]}},
            lambda i: [(t["tag"]["name"], t.get("value")) for t in i["tags"]] == [("db", "primary")],
        ),
        ({"tags": {"set": []}}, lambda i: "tags" not in i),
        (
            {"external_source_data": {"modified_date": "2026-01-05T00:00:00Z"}},
            lambda i: i["external_source_data"] == {"modified_date": "2026-01-05T00:00:00.000Z"},
        ),
        ({"sync_metadata": {"origin_system": "jira"}}, lambda i: i["sync_metadata"] == {"origin_system": "jira"}),
        ({"staged_info": {"is_staged": True}}, lambda i: i["staged_info"] == {"is_staged": True}),
    ],
)
def test_update_round_trips_each_field(devrev: DevRev, change: dict[str, Any], check: Any) -> None:
    created = devrev.create(
        {
            "title": "Original",
            "severity": 1,
            "owned_by": ["DEVU-1"],
            "playbooks": ["ARTICLE-1"],
            "impact": {"count": 3, "customer_ids": ["ACC-1"]},
            "tags": [{"tag_id": "old"}],
        }
    )
    response = devrev.update({"id": created["id"], **change})
    assert response.status_code == 200, response.text
    updated = response.json()["incident"]
    assert check(updated), updated
    assert devrev.post("get", {"id": created["id"]}).json()["incident"] == updated
    assert _row(devrev, created["id"]).revision == 2
    assert updated["modified_date"] >= created["modified_date"]


def test_update_that_changes_nothing_writes_nothing(devrev: DevRev) -> None:
    created = devrev.create({"title": "Same", "severity": 2, "owned_by": ["DEVU-1"]})
    before = devrev.snapshot()
    response = devrev.update(
        {"id": created["display_id"], "title": "Same", "severity": "Sev2", "owned_by": {"set": ["DEVU-1"]}}
    )
    assert response.status_code == 200
    assert response.json()["incident"] == created
    after = devrev.snapshot()
    # The audit keeps the request (who tried to write), with no field changed; nothing else moves.
    assert len(after.pop("audit_entries") - before.pop("audit_entries")) == 1
    assert after == before
    with devrev.database.read_sessions() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last is not None and (last.route, last.events, last.fields) == ("/incidents.update", [], [])


def test_update_records_what_changed_in_the_timeline(devrev: DevRev) -> None:
    created = devrev.create({"title": "Before"})
    devrev.update({"id": created["id"], "title": "After"})
    with devrev.database.read_sessions() as session:
        from incidenthub.incidents import service

        row = _row(devrev, created["id"])
        timeline = service.get_incident(session, row.tenant_id, row.id, full=True).timeline
    assert [e.event for e in timeline] == ["created", "updated"]
    assert timeline[1].data is not None and timeline[1].data["changed"]["title"] == {"from": "Before", "to": "After"}


def test_stage_walks_the_diagram_and_a_final_stage_closes(devrev: DevRev) -> None:
    created = devrev.create({"title": "t"})
    for stage in ("identified", "mitigated", "resolved"):
        response = devrev.update({"id": created["id"], "stage": {"stage": stage}})
        assert response.status_code == 200, response.text
    resolved = response.json()["incident"]
    assert resolved["stage"]["state"] == {
        "id": "don:core:incidenthub:devo/acme:custom_state/closed",
        "name": "closed",
        "is_final": True,
    }
    assert "actual_close_date" in resolved
    row = _row(devrev, created["id"])
    assert row.status == "resolved" and row.closed_at is not None
    reopened = devrev.update({"id": created["id"], "stage": "acknowledged"}).json()["incident"]
    assert "actual_close_date" not in reopened and _row(devrev, created["id"]).status == "created"


def test_invalid_transition_is_refused_unless_allowed(devrev: DevRev) -> None:
    created = devrev.create({"title": "t"})
    devrev.update({"id": created["id"], "stage": {"stage": "resolved"}})
    devrev.update({"id": created["id"], "stage": {"stage": "closed"}})
    before = devrev.snapshot()
    body = assert_devrev_error(
        devrev.update({"id": created["id"], "stage": {"stage": "identified"}}),
        400,
        "value_not_permitted",
        "stage.stage",
    )
    assert body["allowed_values"] == []
    assert devrev.snapshot() == before
    forced = devrev.update(
        {
            "id": created["id"],
            "stage": {"stage": "identified"},
            "stage_validation_options": ["allow_invalid_transition"],
        }
    )
    assert forced.status_code == 200 and forced.json()["incident"]["stage"]["stage"]["name"] == "identified"


def test_create_in_a_non_start_stage_needs_allow_non_start(devrev: DevRev) -> None:
    body = assert_devrev_error(
        devrev.post("create", {"title": "t", "stage": {"stage": "mitigated"}}), 400, "value_not_permitted"
    )
    assert body["allowed_values"] == ["acknowledged"]
    assert devrev.count() == 0
    created = devrev.create(
        {
            "title": "t",
            "stage": {"stage": "don:core:incidenthub:devo/acme:custom_stage/mitigated"},
            "stage_validation_options": ["allow_non_start"],
        }
    )
    assert created["stage"]["stage"]["name"] == "mitigated"


def test_delete_answers_empty_object_and_the_incident_is_gone(devrev: DevRev) -> None:
    created = devrev.create({"title": "to delete", "tags": [{"tag_id": "x"}]})
    devrev.update({"id": created["id"], "title": "with history"})
    response = devrev.post("delete", {"id": created["id"]})
    assert response.status_code == 200 and response.json() == {}
    assert_devrev_error(devrev.post("get", {"id": created["id"]}), 404, "not_found")
    assert_devrev_error(devrev.post("delete", {"id": created["id"]}), 404, "not_found")
    assert devrev.count() == 0
    # Numbers are not reused after a delete.
    assert devrev.create()["display_id"] == "INC-2"


def test_a_devrev_delete_is_kept_on_record(devrev: DevRev) -> None:
    created = devrev.create({"title": "Payments API down", "body": "5xx on checkout"})
    response = devrev.post("delete", {"id": created["id"]})
    assert response.status_code == 200, response.text
    assert devrev.post("get", {"id": created["id"]}).status_code == 404
    with devrev.database.read_sessions() as session:
        gone = session.scalar(select(Incident).where(Incident.external_id == created["id"]))
        deleted = session.scalars(select(DeletedIncident)).all()
    assert gone is None
    assert len(deleted) == 1
    record = deleted[0]
    assert record.source == "devrev"
    assert record.external_id == created["id"]
    assert record.actor  # who deleted it
    assert record.snapshot["title"] == "Payments API down"
    assert record.snapshot["body"] == "5xx on checkout"


def test_a_reopened_incident_does_not_take_back_a_unit_now_on_another_call(devrev: DevRev) -> None:
    native = {"Authorization": "Bearer " + devrev.acme["Authorization"]}
    created = devrev.create({"title": "Outage at the depot"})
    incident_id = _row(devrev, created["id"]).id
    first = devrev.client.post(f"/v1/incidents/{incident_id}/assignments", json={"call_sign": "E1"}, headers=native)
    assert first.status_code == 201, first.text
    assert devrev.update({"id": created["id"], "stage": {"stage": "resolved"}}).status_code == 200
    other = devrev.client.post("/v1/incidents", json={"category": "fire"}, headers=native).json()["incident"]
    moved = devrev.client.post(
        f"/v1/incidents/{other['incident_id']}/assignments", json={"call_sign": "E1"}, headers=native
    )
    assert moved.status_code == 201, moved.text

    assert devrev.update({"id": created["id"], "stage": "acknowledged"}).status_code == 200

    units = devrev.client.get("/v1/units", headers=native).json()["data"]
    assert next(u for u in units if u["call_sign"] == "E1")["incident_id"] == other["incident_id"]
    responders = devrev.client.get(f"/v1/incidents/{incident_id}", headers=native).json()["responders"]
    assert responders[0]["cleared_at"] is not None
