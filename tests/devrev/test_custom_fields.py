"""Custom schema fragments (native /v1/custom-schemas) and custom fields on DevRev incidents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.devrev.helpers import DevRev, assert_devrev_error

TENANT_FIELDS = [
    {"name": "impact_note", "type": "text", "required": True},
    {"name": "customers_hit", "type": "int"},
    {"name": "error_rate", "type": "double"},
    {"name": "public", "type": "bool"},
    {"name": "region", "type": "enum", "allowed_values": ["eu", "us"]},
    {"name": "first_seen", "type": "date"},
    {"name": "paged_at", "type": "timestamp"},
    {"name": "keywords", "type": "tokens"},
]
SPEC = {"tenant_fragment": True, "validate_required_fields": True}


def _native(devrev: DevRev) -> dict[str, str]:
    return {"Authorization": "Bearer " + devrev.acme["Authorization"]}


@pytest.fixture
def schemas(devrev: DevRev) -> DevRev:
    for body in (
        {"kind": "tenant_fragment", "fields": TENANT_FIELDS},
        {"kind": "subtype", "name": "security", "fields": [{"name": "cve", "type": "text", "required": True}]},
        {"kind": "app_fragment", "name": "statuspage", "fields": [{"name": "page_id", "type": "text"}]},
    ):
        response = devrev.client.post("/v1/custom-schemas", json=body, headers=_native(devrev))
        assert response.status_code == 201, response.text
    return devrev


def test_native_api_registers_lists_replaces_and_deletes_fragments(schemas: DevRev) -> None:
    headers = _native(schemas)
    listed = schemas.client.get("/v1/custom-schemas", headers=headers).json()["data"]
    assert [(s["kind"], s["name"]) for s in listed] == [
        ("app_fragment", "statuspage"),
        ("subtype", "security"),
        ("tenant_fragment", "tenant"),
    ]
    tenant = listed[2]
    assert [f["name"] for f in tenant["fields"]] == [f["name"] for f in TENANT_FIELDS]
    again = schemas.client.post("/v1/custom-schemas", json={"kind": "tenant_fragment"}, headers=headers)
    assert again.status_code == 409
    replaced = schemas.client.put(
        f"/v1/custom-schemas/{tenant['id']}",
        json={"kind": "tenant_fragment", "fields": [{"name": "impact_note", "type": "text"}]},
        headers=headers,
    )
    assert replaced.status_code == 200 and len(replaced.json()["fields"]) == 1
    assert schemas.client.get(f"/v1/custom-schemas/{tenant['id']}", headers=headers).json() == replaced.json()
    assert schemas.client.delete(f"/v1/custom-schemas/{tenant['id']}", headers=headers).status_code == 204
    assert schemas.client.get(f"/v1/custom-schemas/{tenant['id']}", headers=headers).status_code == 404
    # Another tenant sees none of them.
    other = {"Authorization": "Bearer " + schemas.globex["Authorization"]}
    assert schemas.client.get("/v1/custom-schemas", headers=other).json()["data"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "subtype"},
        {"kind": "tenant_fragment", "fields": [{"name": "x", "type": "colour"}]},
        {"kind": "tenant_fragment", "fields": [{"name": "x", "type": "enum"}]},
        {"kind": "tenant_fragment", "fields": [{"name": "Bad Name", "type": "text"}]},
        {"kind": "tenant_fragment", "fields": [{"name": "a", "type": "text"}, {"name": "a", "type": "int"}]},
        # `required` is a JSON boolean, as the schema says; a NUL is refused in member names too.
        {"kind": "tenant_fragment", "fields": [{"name": "a", "type": "text", "required": 0}]},
        {"kind": "tenant_fragment", "fields": [{"name": "a", "type": "text", "required": "yes"}]},
        {"kind": "tenant_fragment", "a\u0000b": ""},
    ],
)
def test_native_api_refuses_bad_fragments(devrev: DevRev, body: dict[str, Any]) -> None:
    response = devrev.client.post("/v1/custom-schemas", json=body, headers=_native(devrev))
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")
    assert devrev.client.get("/v1/custom-schemas", headers=_native(devrev)).json()["data"] == []


def test_native_api_needs_write_scope(devrev: DevRev) -> None:
    read_only = {"Authorization": "Bearer " + devrev.key(["incidents:read"])["Authorization"]}
    response = devrev.client.post("/v1/custom-schemas", json={"kind": "tenant_fragment"}, headers=read_only)
    assert response.status_code == 403


def test_every_type_round_trips(schemas: DevRev) -> None:
    values = {
        "tnt__impact_note": "checkout broken",
        "tnt__customers_hit": 120,
        "tnt__error_rate": 0.25,
        "tnt__public": True,
        "tnt__region": "eu",
        "tnt__first_seen": "2026-11-01",
        "tnt__paged_at": "2026-11-01T09:15:00.000Z",
        "tnt__keywords": "db timeout",
    }
    incident = schemas.create({"title": "t", "custom_fields": values, "custom_schema_spec": SPEC})
    assert incident["custom_fields"] == values
    assert len(incident["custom_schema_fragments"]) == 1
    assert incident["custom_schema_fragments"][0].startswith("don:core:incidenthub:devo/acme:custom_type_fragment/")
    assert schemas.post("get", {"id": incident["id"]}).json()["incident"]["custom_fields"] == values
    # Filters on custom fields.
    found = schemas.post("list", {"custom_fields": {"tnt__region": ["eu"], "tnt__customers_hit": 120}}).json()
    assert [i["id"] for i in found["incidents"]] == [incident["id"]]
    assert schemas.post("list", {"custom_fields": {"tnt__region": "us"}}).json()["incidents"] == []


def test_bare_names_subtype_and_app_fragments(schemas: DevRev) -> None:
    spec = {"tenant_fragment": True, "subtype": "security", "apps": ["statuspage"]}
    fields = {"impact_note": "n", "ctype__cve": "CVE-2026-1", "statuspage__page_id": "p1"}
    incident = schemas.create({"title": "t", "custom_fields": fields, "custom_schema_spec": spec})
    assert incident["custom_fields"] == {
        "tnt__impact_note": "n",
        "ctype__cve": "CVE-2026-1",
        "statuspage__page_id": "p1",
    }
    assert incident["subtype"] == "security" and len(incident["custom_schema_fragments"]) == 3
    assert [i["id"] for i in schemas.post("list", {"subtype": ["security"]}).json()["incidents"]] == [incident["id"]]


@pytest.mark.parametrize(
    ("body", "subtype", "field"),
    [
        ({"custom_fields": {"tnt__impact_note": "x"}}, "field_not_in_schema", "tnt__impact_note"),
        (
            {"custom_fields": {"ctype__cve": "x"}, "custom_schema_spec": {"tenant_fragment": True}},
            "field_not_in_schema",
            "ctype__cve",
        ),
        (
            {"custom_fields": {"tnt__nope": "x"}, "custom_schema_spec": {"tenant_fragment": True}},
            "field_not_in_schema",
            "tnt__nope",
        ),
        ({"custom_schema_spec": {"subtype": "unknown"}}, "fragment_not_found", "custom_schema_spec.subtype"),
        ({"custom_schema_spec": {"apps": ["nope"]}}, "fragment_not_found", "custom_schema_spec.apps"),
        (
            {"custom_fields": {"tnt__customers_hit": "12"}, "custom_schema_spec": SPEC},
            "wrong_type",
            "tnt__customers_hit",
        ),
        (
            {"custom_fields": {"tnt__customers_hit": 1.5}, "custom_schema_spec": SPEC},
            "wrong_type",
            "tnt__customers_hit",
        ),
        ({"custom_fields": {"tnt__error_rate": True}, "custom_schema_spec": SPEC}, "wrong_type", "tnt__error_rate"),
        ({"custom_fields": {"tnt__public": "yes"}, "custom_schema_spec": SPEC}, "wrong_type", "tnt__public"),
        ({"custom_fields": {"tnt__impact_note": 5}, "custom_schema_spec": SPEC}, "wrong_type", "tnt__impact_note"),
        ({"custom_fields": {"tnt__region": "mars"}, "custom_schema_spec": SPEC}, "enum_out_of_range", "tnt__region"),
        (
            {"custom_fields": {"tnt__first_seen": "01/11/2026"}, "custom_schema_spec": SPEC},
            "date_parse_error",
            "tnt__first_seen",
        ),
        (
            {"custom_fields": {"tnt__paged_at": "2026-11-01 09:15"}, "custom_schema_spec": SPEC},
            "timestamp_parse_error",
            "tnt__paged_at",
        ),
        (
            {"custom_fields": {"tnt__customers_hit": 3}, "custom_schema_spec": SPEC},
            "field_required",
            "tnt__impact_note",
        ),
        (
            {"custom_fields": {"impact_note": "n"}, "custom_schema_spec": {**SPEC, "subtype": "security"}},
            "field_required",
            "ctype__cve",
        ),
    ],
)
def test_custom_field_errors_change_nothing(schemas: DevRev, body: dict[str, Any], subtype: str, field: str) -> None:
    before = schemas.snapshot()
    error = assert_devrev_error(
        schemas.post("create", {"title": "t", **body}), 400, "customization_validation_error", field
    )
    assert error["subtype"] == subtype
    assert schemas.snapshot() == before


def test_required_fields_only_checked_when_asked(schemas: DevRev) -> None:
    incident = schemas.create(
        {"title": "t", "custom_fields": {"tnt__customers_hit": 3}, "custom_schema_spec": {"tenant_fragment": True}}
    )
    assert incident["custom_fields"] == {"tnt__customers_hit": 3}


def test_update_merges_custom_fields_and_checks_them(schemas: DevRev) -> None:
    incident = schemas.create(
        {"title": "t", "custom_fields": {"impact_note": "a", "customers_hit": 1}, "custom_schema_spec": SPEC}
    )
    before = schemas.snapshot()
    no_spec = schemas.update({"id": incident["id"], "custom_fields": {"tnt__customers_hit": 2}})
    assert_devrev_error(no_spec, 400, "customization_validation_error", "tnt__customers_hit")
    removing_required = schemas.update(
        {"id": incident["id"], "custom_fields": {"tnt__impact_note": None}, "custom_schema_spec": SPEC}
    )
    assert_devrev_error(removing_required, 400, "customization_validation_error", "tnt__impact_note")
    assert schemas.snapshot() == before
    updated = schemas.update(
        {
            "id": incident["id"],
            "custom_fields": {"tnt__customers_hit": 2, "tnt__region": "us"},
            "custom_schema_spec": {"tenant_fragment": True},
        }
    ).json()["incident"]
    assert updated["custom_fields"] == {"tnt__impact_note": "a", "tnt__customers_hit": 2, "tnt__region": "us"}
    added = schemas.update(
        {"id": incident["id"], "custom_fields": {"ctype__cve": "CVE-1"}, "custom_schema_spec": {"subtype": "security"}}
    ).json()["incident"]
    assert added["custom_fields"]["ctype__cve"] == "CVE-1" and added["subtype"] == "security"
    assert added["custom_fields"]["tnt__impact_note"] == "a"  # fragments left out of the spec stay
    dropped = schemas.update({"id": incident["id"], "custom_schema_spec": {"drop": {"subtype": True}}}).json()[
        "incident"
    ]
    assert "ctype__cve" not in dropped["custom_fields"] and "subtype" not in dropped
