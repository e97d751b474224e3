"""Hostile input (issue 10): lone surrogates, deep nesting, huge filters, NUL in stored text, unbounded lists.

Each is refused in the door's own format naming the field, with nothing stored, the same on every database.
"""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from incidenthub.app import create_app
from incidenthub.config import Settings
from incidenthub.db import Database
from tests.devrev.helpers import DevRev, assert_devrev_error
from tests.factories import Api
from tests.govworx.helpers import SEED, GovWorx
from tests.sonoran.helpers import Sonoran

LONE = '"a\\ud800"'  # JSON text for a string holding a lone surrogate: valid JSON, not Unicode
JSON = {"Content-Type": "application/json"}
V2_CREATE = '{"origin":0,"status":0,"priority":2,"title":%s,"communityUserIds":[]}'
NOT_UNICODE = "must be Unicode text: a lone surrogate (such as \\ud800) is not a character"


def _problem(response, status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert {"field": field, "message": NOT_UNICODE} in response.json()["errors"]


def test_lone_surrogate_govworx_upload(gw: GovWorx) -> None:
    body = json.dumps(SEED)[:-1] + ', "callerName": ' + LONE + "}"
    response = gw.client.put("/api/v1/external/incident", content=body, headers={**gw.headers, **JSON})
    _problem(response, 422, "callerName")
    assert gw.client.get("/v1/incidents", headers=gw.headers).json()["total"] == 0


def test_lone_surrogate_native_metadata(api: Api) -> None:
    body = f'{{"category": "sos", "metadata": {{"note": {LONE}}}}}'
    _problem(api.client.post("/v1/incidents", content=body, headers={**api.acme, **JSON}), 422, "metadata.note")
    assert api.total() == 0


def test_lone_surrogate_sonoran_v1(sonoran: Sonoran) -> None:
    body = '{"id":"COMM-A","key":"%s","type":"NEW_DISPATCH","data":[{"title":%s,"priority":2}]}'
    response = sonoran.client.post("/emergency/new_dispatch", content=body % (sonoran.key_a, LONE), headers=JSON)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == f"INVALID REQUEST DATA: data[0].title: {NOT_UNICODE}"
    # The community id is looked at before any key: one that is not text names no community.
    body = f'{{"id":{LONE},"key":"x","type":"GET_CALLS","data":[]}}'
    response = sonoran.client.post("/emergency/get_calls", content=body, headers=JSON)
    assert (response.status_code, response.text) == (400, "INVALID COMMUNITY ID")
    assert sonoran.v1("get_calls").json()["activeCalls"] == []


def test_lone_surrogate_sonoran_v2(sonoran: Sonoran) -> None:
    headers = {"Authorization": f"Bearer {sonoran.key_a}", **JSON}
    url = "/v2/emergency/servers/1/dispatch-calls"
    response = sonoran.client.post(url, content=V2_CREATE % LONE, headers=headers)
    _problem(response, 400, "title")
    assert response.json()["title"] == "Bad Request"
    # Members the models do not read are kept in the raw payload: refused there too.
    extra = V2_CREATE[:-1] % '"ok"' + f', "metaData": {{"x": {LONE}}}}}'
    _problem(sonoran.client.post(url, content=extra, headers=headers), 400, "metaData.x")
    created = sonoran.client.post(url, content=V2_CREATE % '"Fire"', headers=headers)
    assert created.status_code == 201, created.text
    call_id = created.json()["callId"]
    patch = f'{{"description": {LONE}}}'
    _problem(sonoran.client.patch(f"{url}/{call_id}", content=patch, headers=headers), 400, "description")
    calls = sonoran.client.get("/v2/emergency/servers/1/calls", headers=headers).json()["ActiveCalls"]
    assert [(c["callId"], c["description"]) for c in calls] == [(call_id, "")]


def test_sonoran_v1_body_nested_1000_levels(sonoran: Sonoran) -> None:
    deep = "[" * 1000 + "]" * 1000
    for body in (deep, f'{{"id":"COMM-A","key":"{sonoran.key_a}","type":"GET_CALLS","data":{deep}}}'):
        response = sonoran.client.post("/emergency/get_calls", content=body, headers=JSON)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == "INVALID REQUEST: the body is nested deeper than 32 levels"
    # Deep, but within what the parser takes: the first item too deep is named.
    meta = "[" * 40 + "]" * 40
    item = f'{{"title":"x","priority":2,"metaData":{{"x":{meta}}}}}'
    body = f'{{"id":"COMM-A","key":"{sonoran.key_a}","type":"NEW_DISPATCH","data":[{item}]}}'
    response = sonoran.client.post("/emergency/new_dispatch", content=body, headers=JSON)
    assert response.status_code == 400
    assert response.text.startswith("INVALID REQUEST DATA: data[0].metaData.x.0.0")
    assert response.text.endswith("nested deeper than 32 levels")
    assert sonoran.v1("get_calls").json()["activeCalls"] == []


@pytest.mark.parametrize("operation", ["list", "group"])
def test_devrev_custom_field_filter_values_are_distinct_and_bounded(devrev: DevRev, operation: str) -> None:
    extra = {"group_by": "stage"} if operation == "group" else {}
    devrev.create({"title": "Database down"})
    many = {"custom_fields": {"tnt__region": [f"r{i}" for i in range(10_000)]}, **extra}
    body = assert_devrev_error(devrev.post(operation, many), 400, "invalid_field", "custom_fields")
    assert "at most 500" in body["detail"]
    over_keys = {"custom_fields": {f"tnt__k{i}": ["a", "b"] for i in range(251)}, **extra}
    assert_devrev_error(devrev.post(operation, over_keys), 400, "invalid_field", "custom_fields")
    # 70,000 values (more than PostgreSQL's 65,535 parameters of one statement): no array of a body holds more than
    # 10,000 items, refused before they are read, repeats or not.
    for values in ([f"r{i}" for i in range(70_000)], ["us"] * 70_000):
        huge = {"custom_fields": {"tnt__region": values}, **extra}
        body = assert_devrev_error(devrev.post(operation, huge), 400, "invalid_field", "custom_fields.tnt__region")
        assert body["detail"] == "custom_fields.tnt__region: must hold at most 10,000 items"
    # The same value 10,000 times is one value: answered, on both databases.
    repeated = {"custom_fields": {"tnt__region": ["us"] * 10_000}, **extra}
    response = devrev.post(operation, repeated)
    assert response.status_code == 200, response.text
    found = response.json()["incidents"] if operation == "list" else response.json()["groups"]
    assert found == []
    # 1 and true are different JSON values, each its own term; 500 in all is accepted.
    mixed = {"custom_fields": {"tnt__n": [1, True, 1, *range(2, 499)]}, **extra}
    assert devrev.post(operation, mixed).status_code == 200


def test_devrev_list_filter_repeats_count_once(devrev: DevRev) -> None:
    devrev.create({"title": "Database down"})
    response = devrev.post("list", {"title": ["Database down"] * 500})
    assert response.status_code == 200, response.text
    assert [i["title"] for i in response.json()["incidents"]] == ["Database down"]


def test_nul_in_recording_position_is_refused_on_every_database(gw: GovWorx) -> None:
    body = {
        "position": "Position\u000001",
        "started_at": "2026-01-06T10:23:05Z",
        "ended_at": "2026-01-06T10:27:50Z",
        "recorder_ref": "vlr://call.wav",
    }
    response = gw.client.post("/v1/recordings", json=body, headers=gw.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "position", "message": "must not contain NUL characters"}]
    assert gw.client.get("/v1/recordings", headers=gw.headers).json()["data"] == []


def test_nul_in_unit_fields_is_refused(api: Api) -> None:
    response = api.client.post("/v1/units", json={"call_sign": "A-1", "name": "x\u0000"}, headers=api.acme)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "name", "message": "must not contain NUL characters"}]
    assert api.client.get("/v1/units", headers=api.acme).json()["total"] == 0


def test_units_are_listed_page_by_page(api: Api) -> None:
    for call_sign in ("C-3", "A-1", "B-2", "D-4", "E-5"):
        assert api.client.post("/v1/units", json={"call_sign": call_sign}, headers=api.acme).status_code == 201
    assert api.client.post("/v1/units", json={"call_sign": "Z-9"}, headers=api.globex).status_code == 201
    everything = api.client.get("/v1/units", headers=api.acme).json()
    assert [u["call_sign"] for u in everything["data"]] == ["A-1", "B-2", "C-3", "D-4", "E-5"]
    assert (everything["page"], everything["limit"], everything["total"], everything["has_more"]) == (1, 1000, 5, False)
    pages = [api.client.get("/v1/units", params={"page": p, "limit": 2}, headers=api.acme).json() for p in (1, 2, 3)]
    assert [[u["call_sign"] for u in page["data"]] for page in pages] == [["A-1", "B-2"], ["C-3", "D-4"], ["E-5"]]
    assert [page["has_more"] for page in pages] == [True, True, False]
    assert {page["total"] for page in pages} == {5}
    for params in ({"limit": 0}, {"limit": 1001}, {"page": 0}):
        response = api.client.get("/v1/units", params=params, headers=api.acme)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"


def test_an_unexpected_error_closes_the_connection_and_says_so(settings: Settings, database: Database) -> None:
    app: FastAPI = create_app(settings)

    def broken() -> None:
        raise RuntimeError("a fault of ours")

    app.add_api_route("/v1/broken-for-test", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/broken-for-test")
        assert response.status_code == 500
        assert response.headers["connection"] == "close"
        assert response.json()["detail"] == "an unexpected error occurred"
        assert client.get("/v1/health").status_code == 200


def test_a_body_of_many_bad_items_is_answered_with_the_first_20_errors_and_a_count(gw: GovWorx) -> None:
    body = SEED | {"responders": [{"personnelFirstName": []}] * 400}
    response = gw.client.put("/api/v1/external/incident", json=body, headers=gw.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert len(response.content) < 10_000  # uncapped: 108 kB, one message per responder
    assert problem["errors"][:2] == [
        {"field": "responders.0.personnelFirstName", "message": "must be a string or a number"},
        {"field": "responders.1.personnelFirstName", "message": "must be a string or a number"},
    ]
    assert len(problem["errors"]) == 21
    assert problem["errors"][-1] == {"field": "body", "message": "and 380 more errors not listed"}
    assert problem["detail"].endswith(
        "responders.19.personnelFirstName: must be a string or a number; and 380 more errors not listed"
    )
    assert gw.client.get("/v1/incidents", headers=gw.headers).json()["total"] == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("responders", [{}] * 100_000, "must hold at most 10,000 items"),
        ("notes", [{}] * 5_000, "List should have at most 2000 items, not 5000"),
        ("additionalContext", "x" * 100_001, "must have at most 100000 characters"),
        ("callerName", "x" * 1_000, "must have at most 200 characters"),
        # Over the limit of every string in a body: refused by it before the field's own is looked at.
        ("callerName", "x" * 1_000_000, "must have at most 100000 characters"),
    ],
)
def test_govworx_arrays_and_strings_over_their_limits_are_refused_naming_the_field(
    gw: GovWorx, field: str, value: object, message: str
) -> None:
    response = gw.client.put("/api/v1/external/incident", json=SEED | {field: value}, headers=gw.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": field, "message": message}]
    assert gw.client.get("/v1/incidents", headers=gw.headers).json()["total"] == 0


def test_free_form_json_holds_at_most_10000_items_per_array_or_object(api: Api, sonoran: Sonoran) -> None:
    for metadata, field in (({"x": [0] * 10_001}, "metadata.x"), ({f"k{i}": 0 for i in range(10_001)}, "metadata")):
        response = api.client.post("/v1/incidents", json={"category": "sos", "metadata": metadata}, headers=api.acme)
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [{"field": field, "message": "must hold at most 10,000 items"}]
    at_limit = {"category": "sos", "metadata": {"x": [0] * 10_000}}
    assert api.client.post("/v1/incidents", json=at_limit, headers=api.acme).status_code == 201
    assert api.total() == 1
    body = {"id": "COMM-A", "key": sonoran.key_a, "type": "NEW_DISPATCH", "data": [{}] * 100_000}
    response = sonoran.client.post("/emergency/new_dispatch", json=body)
    assert (response.status_code, response.text) == (400, "INVALID REQUEST: data: must hold at most 10,000 items")
    assert sonoran.v1("get_calls").json()["activeCalls"] == []


def test_devrev_lists_over_their_limits_are_refused_before_their_items_are_read(devrev: DevRev) -> None:
    for operation, body, field in (
        ("create", {"title": "x", "owned_by": ["d"] * 100_000}, "owned_by"),
        ("create", {"title": "x", "tags": [{"tag_id": "t"}] * 50_000}, "tags"),
        ("list", {"owned_by": ["d"] * 100_000}, "owned_by"),
    ):
        answer = assert_devrev_error(devrev.post(operation, body), 400, "invalid_field", field)
        assert f"at most {500 if field == 'owned_by' else 200} items, not {len(body[field])}" in answer["detail"]
    assert devrev.post("list", {}).json()["incidents"] == []
