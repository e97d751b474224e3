"""incidents.create and incidents.get: every field goes in and comes back in DevRev's read shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.devrev.helpers import DevRev

FULL: dict[str, Any] = {
    "title": "Checkout API returns 500",
    "body": "Spike of 5xx on /checkout since 09:12 UTC.",
    "acknowledged_date": "2026-11-01T09:15:00Z",
    "identified_date": "2026-11-01T09:20:00.250Z",
    "mitigated_date": "2026-11-01T10:00:00+01:00",
    "target_close_date": "2026-11-02T12:00:00Z",
    "applies_to_parts": ["PROD-1", "don:core:dvrv-us-1:devo/x:capability/7"],
    "artifacts": ["ARTIFACT-12345"],
    "owned_by": ["DEVU-1", "DEVU-2"],
    "pia": ["ARTICLE-1"],
    "playbooks": ["ARTICLE-2"],
    "related_docs": ["ARTICLE-3"],
    "stakeholders": ["DEVU-3", "REVU-9"],
    "impact": {"count": 42, "customer_ids": ["ACC-1"]},
    "impacted_customers": ["ACC-2"],
    "reported_by": 1,
    "severity": 1,
    "source": 2,
    "stage": {"stage": "acknowledged", "notes": "paged on-call"},
    "tags": [{"tag_id": "payments", "value": "checkout"}, {"tag_id": "outage"}],
    "external_source_data": {
        "created_date": "2026-11-01T09:10:00Z",
        "modified_date": "2026-11-01T09:11:00Z",
        "closed_date": "2026-11-03T00:00:00Z",
    },
    "staged_info": {"is_staged": False},
    "sync_metadata": {"origin_system": "pagerduty", "external_reference": "https://pd.example/I1"},
    "some_future_member": {"kept": "in the raw payload"},
}


def test_create_answers_201_with_the_incident_in_devrev_shape(devrev: DevRev) -> None:
    response = devrev.post("create", FULL)
    assert response.status_code == 201, response.text
    incident = response.json()["incident"]
    assert incident["id"] == "don:core:incidenthub:devo/acme:incident/1"
    assert incident["display_id"] == "INC-1"
    assert incident["title"] == FULL["title"] and incident["body"] == FULL["body"]
    assert incident["acknowledged_date"] == "2026-11-01T09:15:00.000Z"
    assert incident["identified_date"] == "2026-11-01T09:20:00.250Z"
    assert incident["mitigated_date"] == "2026-11-01T09:00:00.000Z"
    assert incident["target_close_date"] == "2026-11-02T12:00:00.000Z"
    assert incident["created_date"].endswith("Z") and incident["modified_date"].endswith("Z")
    assert incident["created_by"]["type"] == "service_account"
    assert incident["created_by"]["id"].startswith("don:identity:incidenthub:devo/acme:svcacc/key_")
    assert [p["id"] for p in incident["applies_to_parts"]] == FULL["applies_to_parts"]
    assert [p["type"] for p in incident["applies_to_parts"]] == ["product", "capability"]
    assert incident["artifacts"] == [{"id": "ARTIFACT-12345", "display_id": "ARTIFACT-12345"}]
    assert [u["id"] for u in incident["owned_by"]] == ["DEVU-1", "DEVU-2"]
    assert incident["owned_by"][0] == {
        "id": "DEVU-1",
        "display_id": "DEVU-1",
        "type": "dev_user",
        "display_name": "DEVU-1",
        "state": "active",
    }
    assert [u["type"] for u in incident["stakeholders"]] == ["dev_user", "rev_user"]
    assert [a["id"] for a in incident["pia"]] == ["ARTICLE-1"]
    assert [a["id"] for a in incident["playbooks"]] == ["ARTICLE-2"]
    assert [a["id"] for a in incident["related_docs"]] == ["ARTICLE-3"]
    assert incident["impact"]["count"] == {"id": 42, "label": "42", "ordinal": 42}
    assert [c["id"] for c in incident["impact"]["customer_ids"]] == ["ACC-1", "ACC-2"]
    assert incident["reported_by"] == {"id": 1, "label": "1", "ordinal": 1}
    assert incident["severity"] == {"id": 1, "label": "Sev1", "ordinal": 1}
    assert incident["source"] == {"id": 2, "label": "2", "ordinal": 2}
    assert incident["stage"] == {
        "stage": {"id": "don:core:incidenthub:devo/acme:custom_stage/acknowledged", "name": "acknowledged"},
        "state": {"id": "don:core:incidenthub:devo/acme:custom_state/open", "name": "open", "is_final": False},
        "notes": "paged on-call",
    }
    assert incident["tags"] == [
        {
            "tag": {"id": "don:core:incidenthub:devo/acme:tag/1", "display_id": "TAG-1", "name": "payments"},
            "value": "checkout",
        },
        {"tag": {"id": "don:core:incidenthub:devo/acme:tag/2", "display_id": "TAG-2", "name": "outage"}},
    ]
    assert incident["external_source_data"] == {
        "created_date": "2026-11-01T09:10:00.000Z",
        "modified_date": "2026-11-01T09:11:00.000Z",
        "closed_date": "2026-11-03T00:00:00.000Z",
    }
    assert incident["staged_info"] == {"is_staged": False}
    assert incident["sync_metadata"] == FULL["sync_metadata"]
    assert "actual_close_date" not in incident


@pytest.mark.parametrize("form", ["get", "post"])
@pytest.mark.parametrize("which", ["id", "display_id"])
def test_get_by_don_or_display_id_returns_what_create_returned(devrev: DevRev, form: str, which: str) -> None:
    created = devrev.create(FULL)
    response = (
        devrev.get("get", {"id": created[which]}) if form == "get" else devrev.post("get", {"id": created[which]})
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"incident": created}


def test_native_api_shows_the_devrev_incident(devrev: DevRev) -> None:
    created = devrev.create(FULL)
    page = devrev.client.get("/v1/incidents", headers={"Authorization": "Bearer " + devrev.acme["Authorization"]})
    native_id = page.json()["data"][0]["incident_id"]
    native = devrev.client.get(
        f"/v1/incidents/{native_id}", headers={"Authorization": "Bearer " + devrev.acme["Authorization"]}
    ).json()
    assert native["source"] == "devrev" and native["external_id"] == created["id"] and native["number"] == "INC-1"
    assert native["title"] == FULL["title"] and native["description"] == FULL["body"]
    # DevRev's severity is the priority; the Sety severity and category follow (incidents.classification).
    assert native["priority"] == "Sev1" and native["severity"] == "high" and native["stage"] == "acknowledged"
    assert native["category"] == "other"
    assert native["owners"] == ["DEVU-1", "DEVU-2"] and native["stakeholders"] == ["DEVU-3", "REVU-9"]
    assert native["tags"] == ["payments", "outage"]
    assert native["identified_at"] == "2026-11-01T09:20:00.250Z"
    block = native["metadata"]["devrev"]
    assert block["applies_to_parts"] == FULL["applies_to_parts"] and block["pia"] == ["ARTICLE-1"]
    assert block["impact"] == {"count": 42, "customer_ids": ["ACC-1", "ACC-2"]}
    assert (block["reported_by"], block["severity"], block["source"]) == (1, 1, 2)
    assert native["timeline"][0]["event"] == "created"
    with devrev.database.read_sessions() as session:
        from incidenthub.models import Incident

        stored = session.get(Incident, native_id)
        assert stored is not None and stored.raw_payload == FULL  # unknown members are kept
    # The native id works on the DevRev door too.
    assert devrev.get("get", {"id": native_id}).json()["incident"]["id"] == created["id"]


def test_minimal_create_starts_in_the_start_stage(devrev: DevRev) -> None:
    incident = devrev.create({"title": "Minimal"})
    assert incident["stage"]["stage"]["name"] == "acknowledged"
    assert "severity" not in incident and "body" not in incident
    # Members without a value are left out, empty lists too (README).
    assert not {"owned_by", "tags", "stakeholders", "artifacts", "applies_to_parts"} & set(incident)


def test_community_sdk_severity_strings_are_accepted(devrev: DevRev) -> None:
    assert devrev.create({"title": "a", "severity": "sev2"})["severity"]["id"] == 2
    assert devrev.create({"title": "b", "severity": "Sev0"})["severity"]["id"] == 0
    assert devrev.create({"title": "c", "severity": "3"})["severity"]["label"] == "Sev3"


def test_numbers_increase_per_tenant(devrev: DevRev) -> None:
    assert devrev.create()["display_id"] == "INC-1"
    assert devrev.create()["display_id"] == "INC-2"
    other = devrev.create(headers=devrev.globex)
    assert other["display_id"] == "INC-1" and other["id"] == "don:core:incidenthub:devo/globex:incident/1"


def test_tags_are_created_once_per_tenant_and_found_by_id_or_name(devrev: DevRev) -> None:
    first = devrev.create({"title": "a", "tags": [{"tag_id": "db"}]})
    tag = first["tags"][0]["tag"]
    again = [
        devrev.create({"title": "b", "tags": [{"tag_id": "db"}]}),
        devrev.create({"title": "c", "tags": [{"tag_id": tag["display_id"]}]}),
        devrev.create({"title": "d", "tags": [{"tag_id": tag["id"]}]}),
    ]
    assert all(i["tags"][0]["tag"] == tag for i in again)
    other = devrev.create({"title": "e", "tags": [{"tag_id": "db"}]}, headers=devrev.globex)
    assert other["tags"][0]["tag"]["id"] == "don:core:incidenthub:devo/globex:tag/1"


def test_bearer_prefix_and_client_headers_are_accepted(devrev: DevRev) -> None:
    headers = {
        "Authorization": "Bearer " + devrev.acme["Authorization"],
        "X-Devrev-Scope": "beta",
        "X-Devrev-Client-Platform": "Typescript-SDK",
    }
    response = devrev.post("create", {"title": "with bearer"}, headers=headers)
    assert response.status_code == 201, response.text


def test_owner_names_come_from_personnel_when_known(devrev: DevRev) -> None:
    from incidenthub.dispatch.repository import PersonnelRepository
    from incidenthub.models import Tenant

    with devrev.database.transaction() as session:
        tenant = session.query(Tenant).filter_by(slug="acme").one()
        PersonnelRepository(session).get_or_create(tenant.id, "DEVU-7", display_name="Ada", email="ada@example.com")
    owner = devrev.create({"title": "t", "owned_by": ["DEVU-7"]})["owned_by"][0]
    assert owner["display_name"] == "Ada" and owner["email"] == "ada@example.com"


def test_tenants_do_not_see_each_others_incidents(devrev: DevRev) -> None:
    created = devrev.create({"title": "acme only"})
    for incident_id in (created["id"], created["display_id"]):
        response = devrev.post("get", {"id": incident_id}, headers=devrev.globex)
        assert response.status_code == 404 and response.json()["type"] == "not_found"
    assert devrev.post("list", {}, headers=devrev.globex).json()["incidents"] == []
    assert devrev.post("update", {"id": created["id"], "title": "x"}, headers=devrev.globex).status_code == 404
    assert devrev.post("delete", {"id": created["id"]}, headers=devrev.globex).status_code == 404
    assert devrev.post("get", {"id": created["id"]}).json()["incident"]["title"] == "acme only"
