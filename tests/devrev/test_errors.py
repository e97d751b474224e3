"""Every error a DevRev client can cause: DevRev's `{type, message, detail}` body, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.devrev.helpers import DevRev, assert_devrev_error


@pytest.fixture
def seeded(devrev: DevRev) -> DevRev:
    devrev.create({"title": "existing", "severity": 1, "tags": [{"tag_id": "keep"}]})
    return devrev


@pytest.mark.parametrize(("op", "content"), [("create", b'{"title": "x",'), ("update", b"not json"), ("list", b"{")])
def test_malformed_json_is_parse_error(seeded: DevRev, op: str, content: bytes) -> None:
    before = seeded.snapshot()
    response = seeded.client.post(
        f"/incidents.{op}", content=content, headers={**seeded.acme, "Content-Type": "application/json"}
    )
    assert_devrev_error(response, 400, "parse_error")
    assert seeded.snapshot() == before


@pytest.mark.parametrize("body", [[{"title": "x"}], "title", 12])
def test_a_body_that_is_not_an_object_is_bad_request(seeded: DevRev, body: Any) -> None:
    before = seeded.snapshot()
    assert_devrev_error(seeded.post("create", body), 400, "bad_request")
    assert seeded.snapshot() == before


@pytest.mark.parametrize(
    ("op", "body", "field"),
    [
        ("create", {}, "title"),
        ("create", {"body": "no title"}, "title"),
        ("create", {"title": "x", "stage": {"notes": "no stage"}}, "stage.stage"),
        ("create", {"title": "x", "tags": [{"value": "v"}]}, "tags.0.tag_id"),
        ("update", {"title": "no id"}, "id"),
        ("get", {}, "id"),
        ("delete", {}, "id"),
        ("group", {}, "group_by"),
    ],
)
def test_missing_required_field(seeded: DevRev, op: str, body: dict[str, Any], field: str) -> None:
    before = seeded.snapshot()
    assert_devrev_error(seeded.post(op, body), 400, "missing_required_field", field)
    assert seeded.snapshot() == before


def test_missing_id_on_the_get_form(seeded: DevRev) -> None:
    assert_devrev_error(seeded.get("get"), 400, "missing_required_field", "id")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 12345}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "owned_by": "DEVU-1"}, "owned_by"),
        ({"title": "x", "identified_date": "yesterday"}, "identified_date"),
        ({"title": "x", "reported_by": "one"}, "reported_by"),
        ({"title": "x", "reported_by": -1}, "reported_by"),
        ({"title": "x", "impact": {"count": "many"}}, "impact.count"),
        ({"title": "x", "custom_fields": ["a"]}, "custom_fields"),
        ({"title": "x", "stage_validation_options": ["allow_everything"]}, "stage_validation_options.0"),
        ({"title": "x", "custom_schema_spec": {"tenant_fragment": "yes"}}, "custom_schema_spec.tenant_fragment"),
    ],
)
def test_invalid_field_on_create(seeded: DevRev, body: dict[str, Any], field: str) -> None:
    before = seeded.snapshot()
    assert_devrev_error(seeded.post("create", body), 400, "invalid_field", field)
    assert seeded.snapshot() == before


def test_invalid_field_on_update(seeded: DevRev) -> None:
    incident_id = seeded.post("list", {}).json()["incidents"][0]["id"]
    before = seeded.snapshot()
    assert_devrev_error(seeded.update({"id": incident_id, "title": None}), 400, "invalid_field", "title")
    assert_devrev_error(seeded.update({"id": incident_id, "owned_by": {"set": "DEVU-1"}}), 400, "invalid_field")
    assert seeded.snapshot() == before


@pytest.mark.parametrize(
    ("body", "field", "allowed"),
    [
        ({"title": "x", "severity": 7}, "severity", ["0", "1", "2", "3", "Sev0", "Sev1", "Sev2", "Sev3"]),
        ({"title": "x", "severity": "sev9"}, "severity", None),
        ({"title": "x", "stage": {"stage": "exploded"}}, "stage.stage", None),
    ],
)
def test_value_not_permitted_lists_allowed_values(
    seeded: DevRev, body: dict[str, Any], field: str, allowed: list[str] | None
) -> None:
    before = seeded.snapshot()
    error = assert_devrev_error(seeded.post("create", body), 400, "value_not_permitted", field)
    assert error["allowed_values"]
    if allowed is not None:
        assert error["allowed_values"] == allowed
    if field == "stage.stage":
        assert error["allowed_values"] == ["acknowledged", "identified", "mitigated", "resolved", "closed"]
    assert seeded.snapshot() == before


def test_value_not_permitted_on_update_changes_nothing(seeded: DevRev) -> None:
    incident_id = seeded.post("list", {}).json()["incidents"][0]["id"]
    before = seeded.snapshot()
    assert_devrev_error(
        seeded.update({"id": incident_id, "title": "changed", "severity": 12}), 400, "value_not_permitted", "severity"
    )
    assert seeded.snapshot() == before


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer "}, {"Authorization": "ih_wrong_key"}, {"X-Api-Key": "x"}],
)
def test_unauthenticated(seeded: DevRev, headers: dict[str, str]) -> None:
    before = seeded.snapshot()
    response = seeded.client.post("/incidents.create", json={"title": "x"}, headers=headers)
    assert_devrev_error(response, 401, "unauthenticated")
    response = seeded.client.get("/incidents.list", headers=headers)
    assert_devrev_error(response, 401, "unauthenticated")
    assert seeded.snapshot() == before


def test_forbidden_without_the_scope(seeded: DevRev) -> None:
    read_only = seeded.key(["incidents:read"])
    write_only = seeded.key(["incidents:write"])
    incident_id = seeded.post("list", {}).json()["incidents"][0]["id"]
    before = seeded.snapshot()
    for op, body in (("create", {"title": "x"}), ("update", {"id": incident_id, "title": "y"})):
        assert_devrev_error(seeded.post(op, body, headers=read_only), 403, "forbidden")
    assert_devrev_error(seeded.post("delete", {"id": incident_id}, headers=read_only), 403, "forbidden")
    assert_devrev_error(seeded.post("get", {"id": incident_id}, headers=write_only), 403, "forbidden")
    assert_devrev_error(seeded.get("list", headers=write_only), 403, "forbidden")
    assert seeded.snapshot() == before


@pytest.mark.parametrize("incident_id", ["INC-999", "don:core:incidenthub:devo/acme:incident/999", "inc_nope", "???"])
def test_not_found(seeded: DevRev, incident_id: str) -> None:
    before = seeded.snapshot()
    assert_devrev_error(seeded.post("get", {"id": incident_id}), 404, "not_found")
    assert_devrev_error(seeded.get("get", {"id": incident_id}), 404, "not_found")
    assert_devrev_error(seeded.update({"id": incident_id, "title": "x"}), 404, "not_found")
    assert_devrev_error(seeded.post("delete", {"id": incident_id}), 404, "not_found")
    assert seeded.snapshot() == before


def test_a_don_of_another_tenant_is_not_found(seeded: DevRev) -> None:
    theirs = seeded.create({"title": "globex"}, headers=seeded.globex)
    assert theirs["id"] == "don:core:incidenthub:devo/globex:incident/1"
    assert_devrev_error(seeded.post("get", {"id": theirs["id"]}), 404, "not_found")


def test_unknown_operation_and_wrong_method_are_devrev_shaped(seeded: DevRev) -> None:
    assert_devrev_error(seeded.post("explode", {}), 404, "not_found")
    response = seeded.client.get("/incidents.create", headers=seeded.acme)
    assert response.status_code == 405 and response.json()["type"] == "bad_request"


def test_body_too_large_is_devrev_shaped(seeded: DevRev) -> None:
    before = seeded.snapshot()
    response = seeded.post("create", {"title": "x", "body": "a" * 2_000_000})
    assert_devrev_error(response, 413, "request_entity_too_large")
    assert seeded.snapshot() == before


def test_native_routes_keep_problem_json(seeded: DevRev) -> None:
    response = seeded.client.get("/v1/incidents")
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")
