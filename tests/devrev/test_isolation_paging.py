"""Tenants that both hold INC-1 never reach each other's; paging walks both ways, ties broken by id alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from incidenthub.adapters.devrev import service
from incidenthub.adapters.devrev.schemas import IncidentsCreateRequest
from incidenthub.adapters.devrev.service import Caller
from incidenthub.models import Incident, Tenant
from tests.devrev.helpers import DevRev, assert_devrev_error


@pytest.fixture
def two(devrev: DevRev) -> DevRev:
    assert devrev.create({"title": "acme one", "severity": 1})["display_id"] == "INC-1"
    assert devrev.create({"title": "globex one", "severity": 2}, headers=devrev.globex)["display_id"] == "INC-1"
    assert devrev.create({"title": "globex two", "severity": 3}, headers=devrev.globex)["display_id"] == "INC-2"
    return devrev


def _native_id(devrev: DevRev, title: str) -> str:
    with devrev.database.read_sessions() as session:
        found = session.scalar(select(Incident.id).where(Incident.title == title))
        assert found is not None
        return found


def test_each_tenant_reaches_its_own_inc_1(two: DevRev) -> None:
    for headers, title in ((two.acme, "acme one"), (two.globex, "globex one")):
        for incident_id in ("INC-1", _native_id(two, title)):
            response = two.post("get", {"id": incident_id}, headers=headers)
            assert response.json()["incident"]["title"] == title, response.text


@pytest.mark.parametrize("which", ["native", "don", "display"])
def test_another_tenants_ids_are_not_found_anywhere(two: DevRev, which: str) -> None:
    incident_id = {
        "native": _native_id(two, "globex two"),
        "don": "don:core:incidenthub:devo/globex:incident/2",
        "display": "INC-2",  # globex has INC-2, acme does not
    }[which]
    before = two.snapshot()
    assert_devrev_error(two.post("get", {"id": incident_id}), 404, "not_found")
    assert_devrev_error(two.get("get", {"id": incident_id}), 404, "not_found")
    assert_devrev_error(two.update({"id": incident_id, "title": "stolen"}), 404, "not_found")
    assert_devrev_error(two.post("delete", {"id": incident_id}), 404, "not_found")
    assert two.snapshot() == before
    # globex's INC-1 through acme's key is acme's own INC-1, by DON too only acme's.
    response = two.post("get", {"id": "don:core:incidenthub:devo/globex:incident/1"})
    assert_devrev_error(response, 404, "not_found")


def test_list_and_group_only_show_the_callers_incidents(two: DevRev) -> None:
    assert [i["title"] for i in two.post("list", {}).json()["incidents"]] == ["acme one"]
    groups = two.post("group", {"group_by": "severity"}).json()["groups"]
    assert [(g["key"]["value"], [i["title"] for i in g["incidents"]]) for g in groups] == [(1, ["acme one"])]
    groups = two.post("group", {"group_by": "severity"}, headers=two.globex).json()["groups"]
    assert [g["key"]["value"] for g in groups] == [2, 3]


# --- paging ---------------------------------------------------------------------------------------


def _make(devrev: DevRev, count: int) -> None:
    with devrev.database.transaction() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "acme"))
        assert tenant is not None
        caller = Caller(tenant.id, "acme", "key_test")
        for n in range(count):
            body = {"title": f"incident {n:03d}", "severity": n % 4}
            service.create(session, caller, IncidentsCreateRequest.model_validate(body), body)


def _walk(devrev: DevRev, body: dict[str, Any], start: str | None, key: str, mode: str | None) -> list[str]:
    seen: list[str] = []
    cursor = start
    for _ in range(200):
        request = {**body, **({"cursor": cursor} if cursor else {}), **({"mode": mode} if mode else {})}
        response = devrev.post("list", request)
        assert response.status_code == 200, response.text
        page = response.json()
        ids = [i["id"] for i in page["incidents"]]
        seen = seen + ids if key == "next_cursor" else ids + seen
        cursor = page.get(key)
        if cursor is None:
            return seen
    raise AssertionError("the walk never ended")


def _forward_then_back(devrev: DevRev, body: dict[str, Any]) -> tuple[list[str], list[str]]:
    forward = _walk(devrev, body, None, "next_cursor", None)
    # From the last page, follow prev_cursor all the way to the start.
    last_cursor = None
    cursor = None
    while True:
        page = devrev.post("list", {**body, **({"cursor": cursor} if cursor else {})}).json()
        if "next_cursor" not in page:
            last_cursor = page.get("prev_cursor")
            last_ids = [i["id"] for i in page["incidents"]]
            break
        cursor = page["next_cursor"]
    backward = _walk(devrev, body, last_cursor, "prev_cursor", "before") + last_ids
    return forward, backward


@pytest.mark.parametrize("sort_by", [None, ["title:asc"], ["severity:desc"]])
def test_a_full_backward_walk_matches_the_forward_one(devrev: DevRev, sort_by: list[str] | None) -> None:
    _make(devrev, 61)
    body: dict[str, Any] = {"limit": 7, **({"sort_by": sort_by} if sort_by else {})}
    forward, backward = _forward_then_back(devrev, body)
    assert len(forward) == 61 and len(set(forward)) == 61
    assert backward == forward


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_ties_broken_only_by_id(devrev: DevRev, direction: str) -> None:
    _make(devrev, 40)
    frozen = datetime(2026, 1, 1, tzinfo=UTC)
    with devrev.database.transaction() as session:
        session.execute(update(Incident).values(created_at=frozen, updated_at=frozen))
    with devrev.database.read_sessions() as session:
        by_id = list(session.scalars(select(Incident.id).order_by(Incident.id)))
    body = {"limit": 6, "sort_by": [f"created_date:{direction}"]}
    forward, backward = _forward_then_back(devrev, body)
    native = [_native_of(devrev, don) for don in forward]
    assert native == (by_id if direction == "asc" else by_id[::-1])
    assert backward == forward


def _native_of(devrev: DevRev, don: str) -> str:
    with devrev.database.read_sessions() as session:
        found = session.scalar(select(Incident.id).where(Incident.external_id == don))
        assert found is not None
        return found


def test_drop_apps_removes_the_apps_fields(devrev: DevRev) -> None:
    headers = {"Authorization": "Bearer " + devrev.acme["Authorization"]}
    for name in ("statuspage", "pager"):
        fragment = {"kind": "app_fragment", "name": name, "fields": [{"name": "ref", "type": "text"}]}
        assert devrev.client.post("/v1/custom-schemas", json=fragment, headers=headers).status_code == 201
    spec = {"apps": ["statuspage", "pager"]}
    fields = {"statuspage__ref": "s1", "pager__ref": "p1"}
    created = devrev.create({"title": "x", "custom_fields": fields, "custom_schema_spec": spec})
    assert created["custom_fields"] == fields and len(created["custom_schema_fragments"]) == 2
    response = devrev.update({"id": created["id"], "custom_schema_spec": {"drop": {"apps": ["statuspage"]}}})
    assert response.status_code == 200, response.text
    incident = response.json()["incident"]
    assert incident["custom_fields"] == {"pager__ref": "p1"} and len(incident["custom_schema_fragments"]) == 1
    listed = devrev.post("list", {"custom_fields": {"statuspage__ref": "s1"}}).json()["incidents"]
    assert listed == []
    both = {"apps": ["statuspage"], "drop": {"apps": ["statuspage"]}}
    assert_devrev_error(devrev.update({"id": created["id"], "custom_schema_spec": both}), 400, "bad_request")
