"""Issue 10, DevRev cases 7-10, each sent as the clients send it and checked in the answer and the store.

7. GET filters in axios's bracket form (`custom_fields[tnt__region]=us`), and unknown parameters refused.
8. Paging inside a group of incidents.group; `mode: "before"` without a cursor starts from the end on both.
9. A stage change without notes clears the previous stage's notes.
10. Empty arrays are left out of an incident like every member without a value.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incidenthub.models import Incident
from tests.devrev.helpers import DevRev, assert_devrev_error

FIELDS = [
    {"name": "region", "type": "enum", "allowed_values": ["eu", "us"]},
    {"name": "customers_hit", "type": "int"},
    {"name": "public", "type": "bool"},
]
SPEC = {"tenant_fragment": True}


@pytest.fixture
def regions(devrev: DevRev) -> DevRev:
    headers = {"Authorization": "Bearer " + devrev.acme["Authorization"]}
    response = devrev.client.post(
        "/v1/custom-schemas", json={"kind": "tenant_fragment", "fields": FIELDS}, headers=headers
    )
    assert response.status_code == 201, response.text
    for title, region, hit, public in (("us-1", "us", 120, True), ("eu-1", "eu", 5, False), ("us-2", "us", 7, False)):
        devrev.create(
            {
                "title": title,
                "custom_fields": {"tnt__region": region, "tnt__customers_hit": hit, "tnt__public": public},
                "custom_schema_spec": SPEC,
            }
        )
    return devrev


def _titles(body: dict[str, Any]) -> list[str]:
    return sorted(i["title"] for i in body["incidents"])


# --- 7 ---------------------------------------------------------------------------------------------


def test_get_list_takes_custom_fields_in_axios_bracket_form(regions: DevRev) -> None:
    # Exactly the query string axios writes for `incidentsList({custom_fields: {tnt__region: 'us'}})`.
    answer = regions.client.get("/incidents.list?custom_fields[tnt__region]=us", headers=regions.acme)
    assert answer.status_code == 200, answer.text
    assert _titles(answer.json()) == ["us-1", "us-2"]
    assert _titles(regions.post("list", {"custom_fields": {"tnt__region": "us"}}).json()) == ["us-1", "us-2"]
    # Percent-encoded brackets, typed values (a query has no types: 120 is the integer field's 120), bools.
    encoded = regions.client.get("/incidents.list?custom_fields%5Btnt__customers_hit%5D=120", headers=regions.acme)
    assert _titles(encoded.json()) == ["us-1"]
    flags = regions.client.get("/incidents.list?custom_fields[tnt__public]=false", headers=regions.acme)
    assert _titles(flags.json()) == ["eu-1", "us-2"]
    # Two values (axios's `[]` form) are any-of, and two fields are all-of, as in the POST form.
    both = regions.client.get(
        "/incidents.list?custom_fields[tnt__region][]=us&custom_fields[tnt__region][]=eu"
        "&custom_fields[tnt__customers_hit]=5",
        headers=regions.acme,
    )
    assert _titles(both.json()) == ["eu-1"]
    none = regions.client.get("/incidents.list?custom_fields[tnt__region]=mars", headers=regions.acme)
    assert none.status_code == 200 and none.json()["incidents"] == []


def test_get_group_takes_the_same_bracket_filters(regions: DevRev) -> None:
    answer = regions.client.get(
        "/incidents.group?group_by=stage&custom_fields[tnt__region]=eu", headers=regions.acme
    ).json()
    assert [(g["total"], [i["title"] for i in g["incidents"]]) for g in answer["groups"]] == [(1, ["eu-1"])]


def test_get_date_filter_in_axios_bracket_form(regions: DevRev) -> None:
    found = regions.client.get(
        "/incidents.list?created_date[type]=range&created_date[after]=2000-01-01T00:00:00Z", headers=regions.acme
    )
    assert found.status_code == 200 and len(found.json()["incidents"]) == 3
    future = regions.client.get(
        "/incidents.list?created_date[type]=range&created_date[after]=2999-01-01T00:00:00Z", headers=regions.acme
    )
    assert future.json()["incidents"] == []


@pytest.mark.parametrize(
    ("op", "query", "field"),
    [
        ("list", "severty=1", "severty"),  # a misspelt filter is not "no filter"
        ("list", "custom_field[tnt__region]=us", "custom_field[tnt__region]"),
        ("list", "group_by=stage", "group_by"),  # a group parameter on list
        ("list", "limit_per_group=2", "limit_per_group"),
        ("list", "created_date[typ]=range", "created_date[typ]"),
        ("list", "custom_fields[tnt__region][x]=us", "custom_fields[tnt__region][x]"),
        ("group", "group_by=stage&sevrity=1", "sevrity"),
        ("get", "id=INC-1&verbose=1", "verbose"),
    ],
)
def test_unknown_query_parameters_are_refused_naming_them(regions: DevRev, op: str, query: str, field: str) -> None:
    before = regions.snapshot()
    answer = regions.client.get(f"/incidents.{op}?{query}", headers=regions.acme)
    body = assert_devrev_error(answer, 400, "invalid_field", field)
    assert field in body["detail"]
    assert regions.snapshot() == before


# --- 8 ---------------------------------------------------------------------------------------------


@pytest.fixture
def staged(devrev: DevRev) -> DevRev:
    """Five incidents in `acknowledged` (titles a1..a5, made in that order), two in `identified`."""
    for n in range(1, 6):
        devrev.create({"title": f"a{n}"})
    for n in range(1, 3):
        devrev.create(
            {"title": f"i{n}", "stage": {"stage": "identified"}, "stage_validation_options": ["allow_non_start"]}
        )
    return devrev


def _group(devrev: DevRev, form: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = devrev.post("group", body) if form == "post" else devrev.get("group", body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


@pytest.mark.parametrize("form", ["get", "post"])
def test_pages_inside_a_group_with_its_own_cursors(staged: DevRev, form: str) -> None:
    request = {"group_by": "stage", "limit_per_group": 2, "sort_by": ["title:asc"]}
    first = _group(staged, form, request)
    acknowledged = first["groups"][0]
    assert acknowledged["key"]["name"] == "acknowledged" and acknowledged["total"] == 5
    assert [i["title"] for i in acknowledged["incidents"]] == ["a1", "a2"]
    assert "prev_cursor" not in acknowledged and acknowledged["next_cursor"]
    identified = first["groups"][1]
    assert [i["title"] for i in identified["incidents"]] == ["i1", "i2"]
    assert "next_cursor" not in identified and "prev_cursor" not in identified

    # A group's cursor answers that group alone, its next page, with cursors both ways.
    second = _group(staged, form, {**request, "cursor": acknowledged["next_cursor"]})
    assert [g["key"]["name"] for g in second["groups"]] == ["acknowledged"]
    page = second["groups"][0]
    assert [i["title"] for i in page["incidents"]] == ["a3", "a4"] and page["total"] == 5
    assert page["next_cursor"] and page["prev_cursor"]
    assert "next_cursor" not in second and "prev_cursor" not in second
    third = _group(staged, form, {**request, "cursor": page["next_cursor"]})["groups"][0]
    assert [i["title"] for i in third["incidents"]] == ["a5"] and "next_cursor" not in third
    back = _group(staged, form, {**request, "cursor": third["prev_cursor"]})["groups"][0]
    assert [i["title"] for i in back["incidents"]] == ["a3", "a4"]


def test_a_group_cursor_belongs_to_its_group_by_and_sort(staged: DevRev) -> None:
    request = {"group_by": "stage", "limit_per_group": 2, "sort_by": ["title:asc"]}
    cursor = _group(staged, "post", request)["groups"][0]["next_cursor"]
    other_group = staged.post("group", {**request, "group_by": "severity", "cursor": cursor})
    assert_devrev_error(other_group, 400, "invalid_field", "cursor")
    other_sort = staged.post("group", {**request, "sort_by": ["title:desc"], "cursor": cursor})
    assert_devrev_error(other_sort, 400, "invalid_field", "cursor")


def test_mode_before_without_cursor_starts_from_the_end_on_list_and_group(staged: DevRev) -> None:
    listed = staged.post("list", {"mode": "before", "limit": 2, "sort_by": ["title:asc"]}).json()
    assert [i["title"] for i in listed["incidents"]] == ["i1", "i2"]
    assert "next_cursor" not in listed and listed["prev_cursor"]

    request = {"group_by": "stage", "mode": "before", "limit": 1, "limit_per_group": 2, "sort_by": ["title:asc"]}
    grouped = _group(staged, "post", request)
    # The last group, and in it the last incidents, still in the sort order.
    assert [g["key"]["name"] for g in grouped["groups"]] == ["identified"]
    assert grouped["prev_cursor"] and "next_cursor" not in grouped
    earlier = _group(staged, "post", {**request, "cursor": grouped["prev_cursor"]})
    acknowledged = earlier["groups"][0]
    assert acknowledged["key"]["name"] == "acknowledged"
    assert [i["title"] for i in acknowledged["incidents"]] == ["a4", "a5"]
    assert acknowledged["prev_cursor"] and "next_cursor" not in acknowledged
    before = _group(staged, "post", {**request, "cursor": acknowledged["prev_cursor"]})["groups"][0]
    assert [i["title"] for i in before["incidents"]] == ["a2", "a3"]
    # The GET form means the same.
    assert _group(staged, "get", request) == grouped


# --- 9 ---------------------------------------------------------------------------------------------


def test_a_stage_change_without_notes_clears_the_old_notes(devrev: DevRev) -> None:
    created = devrev.create({"title": "Checkout down", "stage": {"stage": "acknowledged", "notes": "paged"}})
    assert created["stage"]["notes"] == "paged"
    # The TS SDK's update with a new stage and no notes.
    moved = devrev.update({"id": created["id"], "stage": {"stage": "identified"}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["incident"]["stage"]["stage"]["name"] == "identified"
    assert "notes" not in moved.json()["incident"]["stage"]
    # The community SDK's form (the stage name as a string) too, after notes were written for the new stage.
    noted = devrev.update({"id": created["id"], "stage": {"notes": "root cause found"}}).json()["incident"]
    assert noted["stage"]["notes"] == "root cause found"
    plain = devrev.update({"id": created["id"], "stage": "mitigated"}).json()["incident"]
    assert "notes" not in plain["stage"]
    with devrev.database.read_sessions() as session:
        stored = session.scalars(select(Incident)).one()
        assert stored.stage == "mitigated" and stored.extra_metadata["devrev"]["stage_notes"] is None
    assert "notes" not in devrev.get("get", {"id": created["id"]}).json()["incident"]["stage"]


# --- 10 --------------------------------------------------------------------------------------------

ARRAYS = ("applies_to_parts", "artifacts", "owned_by", "stakeholders", "pia", "playbooks", "related_docs", "tags")


def test_empty_arrays_are_left_out_on_every_read(devrev: DevRev) -> None:
    created = devrev.create({"title": "Empty", **{name: [] for name in ARRAYS}, "impact": {"customer_ids": []}})
    for incident in (
        created,
        devrev.get("get", {"id": created["id"]}).json()["incident"],
        devrev.post("list", {}).json()["incidents"][0],
        devrev.post("group", {"group_by": "stage"}).json()["groups"][0]["incidents"][0],
    ):
        assert not set(ARRAYS) & set(incident), incident
        assert "impact" not in incident and "custom_schema_fragments" not in incident
    filled = devrev.update({"id": created["id"], "owned_by": {"set": ["DEVU-1"]}}).json()["incident"]
    assert [u["id"] for u in filled["owned_by"]] == ["DEVU-1"]
    emptied = devrev.update({"id": created["id"], "owned_by": {"set": []}}).json()["incident"]
    assert "owned_by" not in emptied
    with devrev.database.read_sessions() as session:
        assert session.scalars(select(Incident)).one().owners == []
