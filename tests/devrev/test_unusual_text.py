"""NUL characters, forged cursors, deep nesting, odd digits and custom field keys: 400s, never 500s."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from incidenthub.adapters.devrev import query
from tests.devrev.helpers import DevRev, assert_devrev_error


@pytest.fixture
def seeded(devrev: DevRev) -> DevRev:
    for n in range(3):
        devrev.create({"title": f"existing {n}", "severity": 1})
    return devrev


def _b64(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


# --- A5 NUL characters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "a\x00b"}, "title"),
        ({"title": "x", "body": "\x00"}, "body"),
        ({"title": "x", "owned_by": ["DEVU-\x001"]}, "owned_by.0"),
        ({"title": "x", "tags": [{"tag_id": "t\x00"}]}, "tags.0.tag_id"),
        ({"title": "x", "staged_info": {"k\x00": 1}}, "staged_info"),
        ({"title": "x", "sync_metadata": {"origin_system": "j\x00"}}, "sync_metadata.origin_system"),
    ],
)
def test_nul_in_a_create_names_the_field(seeded: DevRev, body: dict[str, Any], field: str) -> None:
    before = seeded.snapshot()
    assert_devrev_error(seeded.post("create", body), 400, "invalid_field", field)
    assert seeded.snapshot() == before


def test_nul_in_an_update_names_the_field(seeded: DevRev) -> None:
    incident_id = seeded.post("list", {}).json()["incidents"][0]["id"]
    before = seeded.snapshot()
    assert_devrev_error(seeded.update({"id": incident_id, "title": "\x00"}), 400, "invalid_field", "title")
    assert seeded.snapshot() == before


def test_nul_in_reads_names_the_field(seeded: DevRev) -> None:
    assert_devrev_error(seeded.get("get", {"id": "INC-\x001"}), 400, "invalid_field", "id")
    assert_devrev_error(seeded.post("get", {"id": "inc_\x00"}), 400, "invalid_field", "id")
    for name in ("title", "created_by", "owned_by"):
        assert_devrev_error(seeded.post("list", {name: ["a\x00"]}), 400, "invalid_field", f"{name}.0")
        assert_devrev_error(seeded.get("list", {name: "a\x00"}), 400, "invalid_field", f"{name}.0")
    body = {"custom_fields": {"tnt__x": "a\x00"}}
    assert_devrev_error(seeded.post("list", body), 400, "invalid_field", "custom_fields.tnt__x")
    params = {"custom_fields": json.dumps(body["custom_fields"])}
    assert_devrev_error(seeded.get("list", params), 400, "invalid_field", "custom_fields.tnt__x")
    assert_devrev_error(seeded.post("list", {"cursor": "a\x00"}), 400, "invalid_field", "cursor")


# --- A6 forged cursors ----------------------------------------------------------------------------


def _cursor(position: list[Any], sort: list[str] | None = None) -> str:
    return query.encode_cursor(position, True, sort or ["created_date:desc"])


@pytest.mark.parametrize(
    ("cursor", "sort"),
    [
        (_cursor(["yesterday", "inc_1"]), None),
        (_cursor(["2026-01-01T00:00:00", "inc_1"]), None),  # naive
        (_cursor([12, "inc_1"]), None),
        (_cursor(["2026-01-01T00:00:00+00:00", 5]), None),
        (_cursor(["2026-01-01T00:00:00+00:00", "a\x00"]), None),
        (_cursor(["2026-01-01T00:00:00+00:00", "x" * 5000]), None),
        (_cursor(["2026-01-01T00:00:00+00:00", {"a": 1}]), None),
        (_cursor(["2026-01-01T00:00:00+00:00"]), None),
        (_cursor([2**64, "inc_1"], ["severity:asc"]), ["severity:asc"]),
        (_cursor([True, "inc_1"], ["severity:asc"]), ["severity:asc"]),
        (_cursor([1.5, "inc_1"], ["severity:asc"]), ["severity:asc"]),
        (_cursor([None, "inc_1"], ["title:asc"]), ["title:asc"]),
        (_b64({"p": [], "d": "after", "s": "x" + "[" * 50_000}), None),
        (base64.urlsafe_b64encode(b'{"p":' + b"[" * 50_000 + b"]" * 50_000 + b"}").decode(), None),
        (_b64({"p": [float("nan"), "x"], "d": "after", "s": ["created_date:desc"]}), None),
    ],
)
def test_forged_list_cursors_are_invalid_fields(seeded: DevRev, cursor: str, sort: list[str] | None) -> None:
    body: dict[str, Any] = {"cursor": cursor, **({"sort_by": sort} if sort else {})}
    assert_devrev_error(seeded.post("list", body), 400, "invalid_field", "cursor")


@pytest.mark.parametrize("offset", [2**64, 10**30, -1, True, 1.5, "3", 10**7])
def test_forged_group_cursors_are_invalid_fields(seeded: DevRev, offset: Any) -> None:
    body = {"group_by": "stage", "cursor": _b64({"o": offset})}
    assert_devrev_error(seeded.post("group", body), 400, "invalid_field", "cursor")


def test_genuine_cursors_still_walk(seeded: DevRev) -> None:
    for sort in (["created_date:desc"], ["title:asc"], ["severity:desc"], ["acknowledged_date:asc"]):
        page = seeded.post("list", {"limit": 1, "sort_by": sort}).json()
        second = seeded.post("list", {"limit": 1, "sort_by": sort, "cursor": page["next_cursor"]})
        assert second.status_code == 200, second.text


# --- A7 deep nesting ------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deep_nesting_is_a_parse_error(seeded: DevRev, depth: int) -> None:
    before = seeded.snapshot()
    text = '{"title": "x", "staged_info": {"a": ' + "[" * depth + "]" * depth + "}}"
    headers = {**seeded.acme, "Content-Type": "application/json"}
    response = seeded.client.post("/incidents.create", content=text.encode(), headers=headers)
    assert_devrev_error(response, 400, "parse_error")
    assert seeded.snapshot() == before


def test_deep_nesting_in_get_custom_fields_is_an_invalid_field(seeded: DevRev) -> None:
    params = {"custom_fields": '{"a": ' + "[" * 3000 + "]" * 3000 + "}"}
    assert_devrev_error(seeded.get("list", params), 400, "invalid_field", "custom_fields")


# --- A8 digits that are not ASCII -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["--1", "²", "\u0661", "-²"])
def test_odd_severity_digits_are_refused_not_crashed(seeded: DevRev, value: str) -> None:
    response = seeded.get("list", {"severity": value})
    assert response.status_code == 400, response.text
    assert response.json()["type"] in {"value_not_permitted", "invalid_field"}


@pytest.mark.parametrize(
    "incident_id",
    [
        "INC-²",
        "don:core:incidenthub:devo/acme:incident/²",
        "don:core:incidenthub:devo/acme:incident/\u0661",
        "INC-99999999999999999999999",
    ],
)
def test_odd_id_digits_are_not_found(seeded: DevRev, incident_id: str) -> None:
    assert_devrev_error(seeded.post("get", {"id": incident_id}), 404, "not_found")


@pytest.mark.parametrize("tag_id", ["TAG-99999999999999999999999", "don:core:incidenthub:devo/acme:tag/²"])
def test_odd_tag_digits_are_invalid_tags(seeded: DevRev, tag_id: str) -> None:
    before = seeded.snapshot()
    body = {"title": "x", "tags": [{"tag_id": tag_id}]}
    assert_devrev_error(seeded.post("create", body), 400, "invalid_field", "tags")
    assert seeded.snapshot() == before


# --- A9 custom field filter keys ------------------------------------------------------------------


@pytest.mark.parametrize("key", ['tnt__a"b', "tnt__a.b", "$", "TNT__X", "a[0]", "", "tnt__" + "x" * 100])
@pytest.mark.parametrize("form", ["post", "get"])
def test_custom_field_filter_keys_must_be_field_keys(seeded: DevRev, key: str, form: str) -> None:
    custom = {key: "v"}
    if form == "post":
        response = seeded.post("list", {"custom_fields": custom})
    else:
        response = seeded.get("list", {"custom_fields": json.dumps(custom)})
    assert_devrev_error(response, 400, "invalid_field", "custom_fields")


def test_custom_field_filter_values_must_be_scalars(seeded: DevRev) -> None:
    response = seeded.post("list", {"custom_fields": {"tnt__x": {"a": 1}}})
    assert_devrev_error(response, 400, "invalid_field", "custom_fields")
    assert seeded.post("list", {"custom_fields": {"tnt__x": ["a", 1, True, 0.5]}}).status_code == 200
