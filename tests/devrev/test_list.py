"""incidents.list and incidents.group: cursors, sort orders, filters, both forms."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incidenthub.adapters.devrev import service
from incidenthub.adapters.devrev.schemas import IncidentsCreateRequest
from incidenthub.adapters.devrev.service import Caller
from incidenthub.models import Tenant
from tests.devrev.helpers import DevRev, assert_devrev_error


def _walk(devrev: DevRev, body: dict[str, Any], form: str = "post") -> list[str]:
    """Every incident id of a listing, following next_cursor to the end."""
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        request = {**body, **({"cursor": cursor} if cursor else {})}
        response = devrev.post("list", request) if form == "post" else devrev.get("list", request)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [i["display_id"] for i in page["incidents"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


@pytest.fixture
def many(devrev: DevRev) -> DevRev:
    """250 incidents, made through the door's service in one transaction (HTTP would only be slower)."""
    with devrev.database.transaction() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "acme"))
        assert tenant is not None
        caller = Caller(tenant.id, "acme", "key_test")
        for n in range(250):
            body = {"title": f"incident {n:03d}", "severity": n % 4}
            service.create(session, caller, IncidentsCreateRequest.model_validate(body), body)
    return devrev


@pytest.mark.parametrize("form", ["post", "get"])
def test_250_incidents_page_without_duplicates_or_gaps(many: DevRev, form: str) -> None:
    seen = _walk(many, {"limit": 17}, form)
    assert len(seen) == 250 and len(set(seen)) == 250
    assert seen == [f"INC-{n}" for n in range(250, 0, -1)]  # newest first by default


@pytest.mark.parametrize(
    ("sort_by", "expected"),
    [
        (["created_date:asc"], [f"INC-{n}" for n in range(1, 251)]),
        (["title:desc"], [f"INC-{n}" for n in range(250, 0, -1)]),
        (["display_id"], [f"INC-{n}" for n in range(1, 251)]),
    ],
)
def test_sort_orders_page_completely(many: DevRev, sort_by: list[str], expected: list[str]) -> None:
    assert _walk(many, {"limit": 40, "sort_by": sort_by}) == expected


def test_severity_sort_groups_then_breaks_ties(many: DevRev) -> None:
    seen = _walk(many, {"limit": 33, "sort_by": ["severity:asc", "created_date:asc"]})
    assert len(set(seen)) == 250
    numbers = [int(s.removeprefix("INC-")) for s in seen]
    severities = [(n - 1) % 4 for n in numbers]
    assert severities == sorted(severities)
    assert numbers[:3] == [1, 5, 9]


def test_prev_cursor_walks_back_to_the_start(many: DevRev) -> None:
    first = many.post("list", {"limit": 50}).json()
    assert "prev_cursor" not in first
    second = many.post("list", {"limit": 50, "cursor": first["next_cursor"]}).json()
    back = many.post("list", {"limit": 50, "cursor": second["prev_cursor"], "mode": "before"}).json()
    assert [i["id"] for i in back["incidents"]] == [i["id"] for i in first["incidents"]]
    assert "prev_cursor" not in back and back["next_cursor"]
    # The cursor carries its direction, so `mode` may be left out.
    again = many.post("list", {"limit": 50, "cursor": second["prev_cursor"]}).json()
    assert again["incidents"] == back["incidents"]


def test_mode_before_without_cursor_starts_from_the_end(many: DevRev) -> None:
    page = many.post("list", {"limit": 10, "mode": "before"}).json()
    assert [i["display_id"] for i in page["incidents"]] == [f"INC-{n}" for n in range(10, 0, -1)]
    assert "next_cursor" not in page and page["prev_cursor"]


def test_default_and_capped_limit(many: DevRev) -> None:
    assert len(many.post("list", {}).json()["incidents"]) == 50
    assert len(many.post("list", {"limit": 1000}).json()["incidents"]) == 100


def test_bad_cursor_limit_and_sort_are_refused(many: DevRev) -> None:
    assert_devrev_error(many.post("list", {"cursor": "garbage!"}), 400, "invalid_field", "cursor")
    cursor = many.post("list", {"limit": 5}).json()["next_cursor"]
    other_order = many.post("list", {"cursor": cursor, "sort_by": ["title:asc"]})
    assert_devrev_error(other_order, 400, "invalid_field", "cursor")
    assert_devrev_error(many.post("list", {"limit": 0}), 400, "invalid_field", "limit")
    assert_devrev_error(many.get("list", {"limit": "ten"}), 400, "invalid_field", "limit")
    assert_devrev_error(many.post("list", {"sort_by": ["color:asc"]}), 400, "value_not_permitted", "sort_by")
    assert_devrev_error(many.post("list", {"mode": "sideways"}), 400, "invalid_field", "mode")


@pytest.fixture
def varied(devrev: DevRev) -> DevRev:
    devrev.create(
        {
            "title": "alpha",
            "severity": 0,
            "owned_by": ["DEVU-1"],
            "applies_to_parts": ["PROD-1"],
            "pia": ["ARTICLE-1"],
            "reported_by": 2,
            "source": 1,
            "impact": {"customer_ids": ["ACC-1"]},
            "target_close_date": "2026-01-10T00:00:00Z",
            "sync_metadata": {"origin_system": "jira", "last_sync_in": {"status": "succeeded"}},
        }
    )
    devrev.create(
        {
            "title": "beta, with comma",
            "severity": 2,
            "owned_by": ["DEVU-2", "DEVU-3"],
            "applies_to_parts": ["PROD-2"],
            "playbooks": ["ARTICLE-2"],
            "related_docs": ["ARTICLE-5"],
            "reported_by": 3,
            "staged_info": {"is_staged": True},
            "target_close_date": "2026-03-10T00:00:00Z",
        }
    )
    gamma = devrev.create({"title": "gamma", "severity": 2})
    devrev.update({"id": gamma["id"], "stage": {"stage": "identified"}})
    devrev.create({"title": "other tenant", "severity": 2}, headers=devrev.globex)
    return devrev


def _titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(i["title"] for i in response.json()["incidents"])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"severity": [2]}, ["beta, with comma", "gamma"]),
        ({"severity": ["sev0", 2]}, ["alpha", "beta, with comma", "gamma"]),
        ({"stage": ["identified"]}, ["gamma"]),
        ({"stage": ["don:core:incidenthub:devo/acme:custom_stage/acknowledged"]}, ["alpha", "beta, with comma"]),
        ({"owned_by": ["DEVU-3", "DEVU-9"]}, ["beta, with comma"]),
        ({"applies_to_parts": ["PROD-1", "PROD-2"]}, ["alpha", "beta, with comma"]),
        ({"pia": ["ARTICLE-1"]}, ["alpha"]),
        ({"playbooks": ["ARTICLE-2"]}, ["beta, with comma"]),
        ({"related_docs": ["ARTICLE-5"]}, ["beta, with comma"]),
        ({"reported_by": [2, 3]}, ["alpha", "beta, with comma"]),
        ({"source": [1]}, ["alpha"]),
        ({"impacted_customers": ["ACC-1"]}, ["alpha"]),
        ({"title": ["gamma", "beta, with comma"]}, ["beta, with comma", "gamma"]),
        ({"staged_info": {"is_staged": True}}, ["beta, with comma"]),
        ({"staged_info": {"is_staged": False}}, ["alpha", "gamma"]),
        ({"sync_metadata": {"origin_system": ["jira"]}}, ["alpha"]),
        ({"sync_metadata": {"last_sync_in": {"status": ["succeeded"]}}}, ["alpha"]),
        ({"target_close_date": {"type": "range", "after": "2026-02-01T00:00:00Z"}}, ["beta, with comma"]),
        ({"target_close_date": {"type": "range", "before": "2026-01-10T00:00:00Z"}}, ["alpha"]),
        (
            {"created_date": {"type": "preset", "preset_type": "last_n_days", "days": 1}},
            ["alpha", "beta, with comma", "gamma"],
        ),
        ({"created_date": {"type": "range", "before": "2020-01-01T00:00:00Z"}}, []),
        ({"modified_date": {"type": "preset", "preset_type": "next_n_days", "days": 3}}, []),
        ({"severity": [2], "owned_by": ["DEVU-2"]}, ["beta, with comma"]),
    ],
)
def test_post_filters(varied: DevRev, body: dict[str, Any], expected: list[str]) -> None:
    assert _titles(varied.post("list", body)) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("severity", '"0","2"')], ["alpha", "beta, with comma", "gamma"]),  # the TS SDK's quoted form
        ([("severity", "0,2")], ["alpha", "beta, with comma", "gamma"]),
        ([("severity", "0"), ("severity", "2")], ["alpha", "beta, with comma", "gamma"]),
        ([("owned_by", '"DEVU-3"')], ["beta, with comma"]),
        ([("title", '"beta, with comma","gamma"')], ["beta, with comma", "gamma"]),
        ([("title", "beta, with comma")], ["beta, with comma"]),
        ([("stage", "identified")], ["gamma"]),
        ([("staged_info.is_staged", "true")], ["beta, with comma"]),
        ([("sync_metadata.origin_system", '"jira"')], ["alpha"]),
    ],
)
def test_get_filters_accept_every_array_form(
    varied: DevRev, params: list[tuple[str, str]], expected: list[str]
) -> None:
    assert _titles(varied.get("list", params)) == expected


def test_created_by_filter(varied: DevRev) -> None:
    creator = varied.post("list", {}).json()["incidents"][0]["created_by"]["id"]
    assert len(varied.post("list", {"created_by": [creator]}).json()["incidents"]) == 3
    assert varied.post("list", {"created_by": ["DEVU-404"]}).json()["incidents"] == []


def test_unknown_stage_filter_is_value_not_permitted(varied: DevRev) -> None:
    assert_devrev_error(varied.post("list", {"stage": ["nope"]}), 400, "value_not_permitted")


@pytest.mark.parametrize("form", ["post", "get"])
def test_group_by_severity(varied: DevRev, form: str) -> None:
    body = {"group_by": "severity"}
    response = varied.post("group", body) if form == "post" else varied.get("group", body)
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]
    assert [g["key"] for g in groups] == [
        {"type": "int", "value": 0, "display_value": "Sev0"},
        {"type": "int", "value": 2, "display_value": "Sev2"},
    ]
    assert [g["total"] for g in groups] == [1, 2]
    assert sorted(i["title"] for i in groups[1]["incidents"]) == ["beta, with comma", "gamma"]


def test_group_by_stage_pages_groups_and_limits_per_group(varied: DevRev) -> None:
    first = varied.post("group", {"group_by": "stage", "limit": 1, "limit_per_group": 1}).json()
    assert [g["key"]["name"] for g in first["groups"]] == ["acknowledged"]
    assert first["groups"][0]["total"] == 2 and len(first["groups"][0]["incidents"]) == 1
    second = varied.post("group", {"group_by": "stage", "limit": 1, "cursor": first["next_cursor"]}).json()
    assert [g["key"]["name"] for g in second["groups"]] == ["identified"]
    assert "next_cursor" not in second and second["prev_cursor"]


def test_group_by_filters_and_refuses_unknown_fields(varied: DevRev) -> None:
    groups = varied.post("group", {"group_by": "stage", "severity": [0]}).json()["groups"]
    assert [(g["key"]["name"], g["total"]) for g in groups] == [("acknowledged", 1)]
    error = assert_devrev_error(varied.post("group", {"group_by": "color"}), 400, "value_not_permitted", "group_by")
    assert "severity" in error["allowed_values"]
