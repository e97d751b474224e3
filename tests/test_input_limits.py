"""Bad input at scale (issue 15 item 9): strings and member names in free-form JSON, DevRev's lists and bodies,
list filters.

Free-form JSON (native `metadata`, DevRev `custom_fields`, Sonoran `metaData`, members a door keeps only in the raw
payload) is bounded like every body: a string at most 100,000 characters, a member name 1,000, an array or object
10,000 items. One over is refused in the door's own format naming the field, and the database is unchanged; the
limit itself is accepted. The OpenAPI document states the same limits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from incidenthub.db import Database
from incidenthub.inputs import MAX_ITEMS, MAX_NAME, MAX_TEXT
from tests.access_factories import site
from tests.devrev.helpers import DevRev, assert_devrev_error
from tests.eido.helpers import Eido
from tests.factories import Api, bearer, snapshot
from tests.govworx.helpers import SEED, GovWorx
from tests.govworx.test_bulk import _import, _record, cli  # noqa: F401 - the `cli` fixture
from tests.sonoran.helpers import Sonoran

LONG = "x" * (MAX_TEXT + 1)
LONG_NAME = "k" * (MAX_NAME + 1)
TOO_LONG = "must have at most 100000 characters"
NAME_TOO_LONG = "holds a member name longer than 1000 characters"
TOO_MANY = "must hold at most 10,000 items"
# Nested deeper than any body may be: read, it would be refused for its depth, not for the array around it.
DEEP: Any = 0
for _ in range(40):
    DEEP = [DEEP]


def _problem(response: Any, status: int, field: str, message: str) -> None:
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": field, "message": message}]


# --- strings and member names in free-form JSON, every door ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"metadata": {"x": LONG}}, "metadata.x", TOO_LONG),
        ({"subject": {"name": "A", "metadata": {"notes": ["ok", LONG]}}}, "subject.metadata.notes.1", TOO_LONG),
        ({"metadata": {"ok": 1, LONG_NAME: 1}}, "metadata", NAME_TOO_LONG),
        ({"vendor_extension": {"raw": LONG}}, "vendor_extension.raw", TOO_LONG),  # kept in the raw payload
    ],
)
def test_native_free_form_strings_and_names_over_their_limit_change_nothing(
    api: Api, database: Database, body: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot(database)
    _problem(api.create({"category": "sos", **body}), 422, field, message)
    assert snapshot(database) == before


def test_native_free_form_strings_and_names_at_their_limit_are_kept(api: Api) -> None:
    metadata = {"text": "x" * MAX_TEXT, "k" * MAX_NAME: ["y" * MAX_TEXT]}
    response = api.create({"category": "sos", "metadata": metadata})
    assert response.status_code == 201, response.text[:2000]
    assert api.incident(response.json()["incident"]["incident_id"])["metadata"] == metadata


def test_native_access_code_metadata_strings_are_bounded(api: Api, client: TestClient, database: Database) -> None:
    site_id = site(client, api.acme)["site_id"]
    before = snapshot(database)
    body = {"site_id": site_id, "visitor": {"name": "Chidi"}, "metadata": {"booking": LONG}}
    _problem(client.post("/v1/access-codes", json=body, headers=api.acme), 422, "metadata.booking", TOO_LONG)
    assert snapshot(database) == before


def test_govworx_members_kept_raw_are_bounded(gw: GovWorx, database: Database) -> None:
    before = snapshot(database)
    for extra, field, message in (
        ({"cadExtension": {"remarks": [LONG]}}, "cadExtension.remarks.0", TOO_LONG),
        ({"cadExtension": {LONG_NAME: "x"}}, "cadExtension", NAME_TOO_LONG),
    ):
        _problem(gw.put(SEED | extra), 422, field, message)
    assert snapshot(database) == before


def test_govworx_import_lines_over_the_limits_are_rejected_by_field(
    cli: GovWorx,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Each line over a limit is short of brackets, commas and NUL escapes, which let a line skip the full check.
    lines = [
        json.dumps(_record(1, cadExtension={"remarks": LONG})),
        json.dumps(_record(2, cadExtension={LONG_NAME: 1})),
        json.dumps(_record(3, cadTrail=[0] * (MAX_ITEMS + 1))),
        json.dumps(_record(4, cadExtension={"remarks": "x" * MAX_TEXT, "k" * MAX_NAME: 1}, cadTrail=[0] * MAX_ITEMS)),
    ]
    path = tmp_path / "limits.jsonl"
    path.write_text("\n".join(lines) + "\n")

    code, summary = _import(path, "--format", "govworx")

    assert code == 1
    assert (summary["created"], summary["rejected"]) == (1, 3)
    rejects = [json.loads(line) for line in Path(summary["rejects"]).read_text().splitlines()]
    assert [(r["line"], r["errors"]) for r in rejects] == [
        (1, [{"field": "cadExtension.remarks", "message": TOO_LONG}]),
        (2, [{"field": "cadExtension", "message": NAME_TOO_LONG}]),
        (3, [{"field": "cadTrail", "message": TOO_MANY}]),
    ]
    assert len(cli.by_sys_id("INC-4")) == 1
    assert cli.count() == 1


def test_sonoran_metadata_strings_are_bounded_in_v1_and_v2(sonoran: Sonoran, database: Database) -> None:
    before = snapshot(database)
    item = {"title": "Fire", "priority": 2, "metaData": {"x": LONG}}
    response = sonoran.v1("new_dispatch", [item])
    assert (response.status_code, response.text) == (400, f"INVALID REQUEST DATA: data[0].metaData.x: {TOO_LONG}")
    named = sonoran.v1("new_dispatch", [{"title": "Fire", "priority": 2, "metaData": {LONG_NAME: 1}}])
    assert (named.status_code, named.text) == (400, f"INVALID REQUEST DATA: data[0].metaData: {NAME_TOO_LONG}")
    body = {"origin": 0, "status": 0, "priority": 2, "title": "Fire", "communityUserIds": [], "metaData": {"x": LONG}}
    response = sonoran.v2("POST", "/emergency/servers/1/dispatch-calls", json=body)
    _problem(response, 400, "metaData.x", TOO_LONG)
    assert snapshot(database) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"custom_fields": {"tnt__region": LONG}}, "custom_fields.tnt__region", TOO_LONG),
        ({"staged_info": {"note": ["ok", LONG]}}, "staged_info.note.1", TOO_LONG),
        ({"sync_metadata": {LONG_NAME: 1}}, "sync_metadata", NAME_TOO_LONG),
        ({"vendor_extension": LONG}, "vendor_extension", TOO_LONG),  # kept in the raw payload
    ],
)
def test_devrev_free_form_strings_and_names_over_their_limit_change_nothing(
    devrev: DevRev, database: Database, body: dict[str, Any], field: str, message: str
) -> None:
    incident_id = devrev.create({"title": "kept"})["id"]
    before = snapshot(database)
    for operation, request in (("create", {"title": "x", **body}), ("update", {"id": incident_id, **body})):
        error = assert_devrev_error(devrev.post(operation, request), 400, "invalid_field", field)
        assert error["detail"] == f"{field}: {message}"
    assert snapshot(database) == before


def test_eido_document_strings_are_bounded(eido: Eido, database: Database) -> None:
    before = snapshot(database)
    response = eido.post({"eidoMessageIdentifier": "urn:x", "extension": {"note": LONG}})
    assert response.status_code == 422, response.text[:2000]
    assert response.json()["errors"] == [{"field": "/extension/note", "message": TOO_LONG}]
    assert snapshot(database) == before


# --- DevRev bodies: the 10,000-item limit, before anything reads the items ------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"staged_info": {"x": [0] * (MAX_ITEMS + 1)}}, "staged_info.x"),
        ({"custom_fields": {f"tnt__k{i}": 0 for i in range(MAX_ITEMS + 1)}}, "custom_fields"),
        # A member the models do not read, kept in the raw payload; its first item nested too deep: refused for
        # its length, so it was not read (before, the whole body was walked first, then this was stored).
        ({"vendor_extension": [DEEP, *[0] * 100_000]}, "vendor_extension"),
    ],
)
def test_devrev_arrays_and_objects_over_10000_items_change_nothing(
    devrev: DevRev, database: Database, body: dict[str, Any], field: str
) -> None:
    incident_id = devrev.create({"title": "kept"})["id"]
    before = snapshot(database)
    for operation, request in (("create", {"title": "x", **body}), ("update", {"id": incident_id, **body})):
        error = assert_devrev_error(devrev.post(operation, request), 400, "invalid_field", field)
        assert error["detail"] == f"{field}: {TOO_MANY}"
    assert snapshot(database) == before


def test_devrev_10000_items_are_accepted(devrev: DevRev) -> None:
    created = devrev.post("create", {"title": "x", "staged_info": {"x": [0] * MAX_ITEMS}})
    assert created.status_code == 201, created.text[:2000]


# --- DevRev lists without a limit before ---------------------------------------------------------------------


def test_devrev_stage_validation_options_hold_at_most_10(devrev: DevRev, database: Database) -> None:
    incident_id = devrev.create({"title": "kept"})["id"]
    before = snapshot(database)
    for operation, request in (
        ("create", {"title": "x", "stage_validation_options": ["allow_non_start"] * 11}),
        ("update", {"id": incident_id, "stage_validation_options": ["allow_invalid_transition"] * 20_000}),
    ):
        response = devrev.post(operation, request)
        error = assert_devrev_error(response, 400, "invalid_field", "stage_validation_options")
        count = len(request["stage_validation_options"])
        assert f"at most 10 items, not {count}" in error["detail"]
    assert snapshot(database) == before
    options = ["allow_non_start"] * 10
    created = devrev.post("create", {"title": "x", "stage": "resolved", "stage_validation_options": options})
    assert created.status_code == 201, created.text
    assert created.json()["incident"]["stage"]["stage"]["name"] == "resolved"


def test_devrev_list_and_group_filter_values_over_500_change_nothing(devrev: DevRev, database: Database) -> None:
    devrev.create({"title": "kept"})
    before = snapshot(database)
    for field, values in (
        ("severity", list(range(501))),
        ("reported_by", list(range(501))),
        ("owned_by", ["d"] * 100_000),
        ("stage", [f"s{i}" for i in range(MAX_ITEMS)]),
    ):
        for operation, extra in (("list", {}), ("group", {"group_by": "stage"})):
            response = devrev.post(operation, {field: values, **extra})
            error = assert_devrev_error(response, 400, "invalid_field", field)
            assert f"at most 500 items, not {len(values)}" in error["detail"]
    # The GET form: values in the query string, comma-separated or repeated.
    many = ",".join(f"u{i}" for i in range(501))
    assert_devrev_error(devrev.get("list", {"owned_by": many}), 400, "invalid_field", "owned_by")
    assert_devrev_error(devrev.get("list", [("stage", f"s{i}") for i in range(501)]), 400, "invalid_field", "stage")
    assert snapshot(database) == before
    accepted = devrev.post("list", {"owned_by": [f"u{i}" for i in range(500)], "stage": ["acknowledged"] * 500})
    assert accepted.status_code == 200, accepted.text


def test_custom_schema_allowed_values_hold_at_most_1000(devrev: DevRev, database: Database) -> None:
    headers = bearer(devrev.acme["Authorization"])
    before = snapshot(database)
    field = {"name": "region", "type": "enum", "allowed_values": [f"v{i}" for i in range(1001)]}
    response = devrev.client.post(
        "/v1/custom-schemas", json={"kind": "tenant_fragment", "fields": [field]}, headers=headers
    )
    _problem(response, 422, "fields.0.allowed_values", "List should have at most 1000 items, not 1001")
    assert snapshot(database) == before
    field["allowed_values"] = field["allowed_values"][:1000]
    response = devrev.client.post(
        "/v1/custom-schemas", json={"kind": "tenant_fragment", "fields": [field]}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert len(response.json()["fields"][0]["allowed_values"]) == 1000


def test_devrev_settings_lists_hold_at_most_100(devrev: DevRev, database: Database) -> None:
    headers = bearer(devrev.acme["Authorization"])
    settings = devrev.client.get("/v1/devrev/settings", headers=headers).json()
    before = snapshot(database)
    stages = [{"name": f"s{i}", "state": "open", "is_start": True} for i in range(101)]
    response = devrev.client.put("/v1/devrev/settings", json={**settings, "stages": stages}, headers=headers)
    _problem(response, 422, "stages", "List should have at most 100 items, not 101")
    first = {**settings["stages"][0], "transitions": [s["name"] for s in settings["stages"]] * 21}
    body = {**settings, "stages": [first, *settings["stages"][1:]]}
    response = devrev.client.put("/v1/devrev/settings", json=body, headers=headers)
    _problem(response, 422, "stages.0.transitions", "List should have at most 100 items, not 105")
    severities = [{"id": i, "label": f"S{i}"} for i in range(101)]
    response = devrev.client.put("/v1/devrev/settings", json={**settings, "severities": severities}, headers=headers)
    _problem(response, 422, "severities", "List should have at most 100 items, not 101")
    assert snapshot(database) == before
    response = devrev.client.put(
        "/v1/devrev/settings", json={**settings, "severities": severities[:100]}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert len(devrev.client.get("/v1/devrev/settings", headers=headers).json()["severities"]) == 100


# --- the OpenAPI document states them -----------------------------------------------------------------------


def test_the_openapi_document_states_the_limits(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    # The limits of every body, in words: as keywords on every schema they would multiply the fuzzer's work.
    stated = "a string has at most 100,000 characters, a member name at most 1,000, an array or object at most 10,000"
    assert stated in document["info"]["description"]
    assert stated in schemas["JsonValue"]["description"]
    free = {option.get("type"): option for option in schemas["JsonValue"]["anyOf"]}
    assert free["object"]["propertyNames"]["maxLength"] == MAX_NAME
    assert schemas["IncidentCreate"]["properties"]["metadata"]["propertyNames"]["maxLength"] == MAX_NAME
    create = schemas["IncidentsCreateRequest"]["properties"]
    assert create["stage_validation_options"]["maxItems"] == 10
    listing = schemas["IncidentsListRequest"]["properties"]
    for name in ("owned_by", "severity", "reported_by", "stage", "sort_by"):
        assert [option["maxItems"] for option in listing[name]["anyOf"] if option.get("type") == "array"] == [500]
    field = schemas["CustomSchemaWrite"]["properties"]["fields"]["items"]
    assert field["properties"]["allowed_values"]["maxItems"] == 1000
