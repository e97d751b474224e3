"""Contract fixes of the review: severity labels, unstorable values named, tag ids, a missing tenant fragment, 429."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from incidenthub.adapters.devrev.errors import devrev_body, render_devrev
from incidenthub.errors import RateLimited
from incidenthub.models import Tag
from tests.devrev.helpers import DevRev, assert_devrev_error


def _native(devrev: DevRev) -> dict[str, str]:
    return {"Authorization": "Bearer " + devrev.acme["Authorization"]}


def test_severity_labels_fit_the_incident_column(devrev: DevRev) -> None:
    body = {"severities": [{"id": 0, "label": "x" * 33}]}
    assert devrev.client.put("/v1/devrev/settings", json=body, headers=_native(devrev)).status_code == 422
    body = {"severities": [{"id": 0, "label": "L" * 32}]}
    assert devrev.client.put("/v1/devrev/settings", json=body, headers=_native(devrev)).status_code == 200
    created = devrev.create({"title": "x", "severity": 0})
    assert created["severity"]["label"] == "L" * 32
    assert devrev.post("list", {"severity": ["l" * 32]}).json()["incidents"][0]["id"] == created["id"]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timestamp", "0001-01-01T00:30:00+01:00"),
        ("timestamp", "0001-01-01T00:00:00Z"),
        ("timestamp", "9999-12-31T23:30:00-01:00"),
        ("date", "0001-01-01"),
    ],
)
def test_unstorable_custom_dates_name_their_key(devrev: DevRev, kind: str, value: str) -> None:
    fragment = {"kind": "tenant_fragment", "fields": [{"name": "when", "type": kind}]}
    assert devrev.client.post("/v1/custom-schemas", json=fragment, headers=_native(devrev)).status_code == 201
    before = devrev.snapshot()
    body = {"title": "x", "custom_fields": {"tnt__when": value}, "custom_schema_spec": {"tenant_fragment": True}}
    error = assert_devrev_error(devrev.post("create", body), 400, "customization_validation_error", "tnt__when")
    assert error["subtype"].endswith("parse_error")
    assert devrev.snapshot() == before


def _tags(devrev: DevRev) -> list[str]:
    with devrev.database.read_sessions() as session:
        return sorted(session.scalars(select(Tag.name)))


@pytest.mark.parametrize(
    "tag_id",
    [
        "TAG-99",
        "tag-5",
        "don:core:incidenthub:devo/acme:tag/99",
        "don:core:incidenthub:devo/globex:tag/1",
        "don:core:incidenthub:devo/acme:incident/1",
    ],
)
def test_tag_ids_that_do_not_resolve_are_invalid(devrev: DevRev, tag_id: str) -> None:
    devrev.create({"title": "globex", "tags": [{"tag_id": "theirs"}]}, headers=devrev.globex)
    mine = devrev.create({"title": "mine", "tags": [{"tag_id": "db"}]})
    before = devrev.snapshot()
    error = assert_devrev_error(
        devrev.post("create", {"title": "x", "tags": [{"tag_id": tag_id}]}), 400, "invalid_field", "tags"
    )
    assert tag_id in error["detail"]
    update = {"id": mine["id"], "tags": {"set": [{"tag_id": "db"}, {"tag_id": tag_id}]}}
    assert_devrev_error(devrev.update(update), 400, "invalid_field", "tags")
    assert devrev.snapshot() == before
    assert _tags(devrev) == ["db", "theirs"]


def test_tag_names_are_still_created_on_first_use(devrev: DevRev) -> None:
    created = devrev.create({"title": "x", "tags": [{"tag_id": "TAG-1-network"}, {"tag_id": "paging"}]})
    assert [t["tag"]["name"] for t in created["tags"]] == ["TAG-1-network", "paging"]
    again = devrev.create({"title": "y", "tags": [{"tag_id": "TAG-2"}, {"tag_id": created["tags"][0]["tag"]["id"]}]})
    assert [t["tag"]["name"] for t in again["tags"]] == ["paging", "TAG-1-network"]


def test_a_missing_tenant_fragment_is_an_empty_one(devrev: DevRev) -> None:
    spec = {"tenant_fragment": True, "validate_required_fields": True}
    created = devrev.create({"title": "x", "custom_schema_spec": spec})
    assert created.get("custom_fields") in (None, {})
    updated = devrev.update({"id": created["id"], "custom_schema_spec": spec, "title": "y"})
    assert updated.status_code == 200, updated.text
    # A field of the missing fragment is still not in any schema.
    body = {"title": "x", "custom_fields": {"tnt__a": 1}, "custom_schema_spec": spec}
    error = assert_devrev_error(devrev.post("create", body), 400, "customization_validation_error", "tnt__a")
    assert error["subtype"] == "field_not_in_schema"
    # A named subtype or app that is missing is still an error.
    body = {"title": "x", "custom_schema_spec": {**spec, "apps": ["nope"]}}
    assert_devrev_error(devrev.post("create", body), 400, "customization_validation_error", "custom_schema_spec.apps")


def test_too_many_requests_carries_retry_after() -> None:
    error = RateLimited("slow down")
    error.retry_after = 2.5  # type: ignore[attr-defined]
    status, body = devrev_body(error)
    assert status == 429 and body["type"] == "too_many_requests" and body["retry_after"] == 3
    answer = render_devrev("/incidents.create", error)
    assert answer.status == 429 and answer.headers["Retry-After"] == "3"
    assert "retry_after" not in devrev_body(RateLimited("no hint"))[1]
