"""Input no client should send but some will: every one a 400 in DevRev's shape, never a 500, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from incidenthub.adapters.devrev.customfields import FieldDef, check_value
from incidenthub.errors import AppError
from tests.devrev.helpers import DevRev, assert_devrev_error

INT64_MAX = 2**63 - 1
FIELDS = [
    {"name": "count", "type": "int"},
    {"name": "rate", "type": "double"},
    {"name": "seen", "type": "timestamp"},
    {"name": "day", "type": "date"},
]
SPEC = {"tenant_fragment": True}


@pytest.fixture
def seeded(devrev: DevRev) -> DevRev:
    headers = {"Authorization": "Bearer " + devrev.acme["Authorization"]}
    response = devrev.client.post(
        "/v1/custom-schemas", json={"kind": "tenant_fragment", "fields": FIELDS}, headers=headers
    )
    assert response.status_code == 201, response.text
    devrev.create({"title": "existing", "severity": 1, "tags": [{"tag_id": "keep"}]})
    return devrev


def _raw(devrev: DevRev, op: str, text: str) -> Any:
    headers = {**devrev.acme, "Content-Type": "application/json"}
    return devrev.client.post(f"/incidents.{op}", content=text.encode(), headers=headers)


def _lists_still_work(devrev: DevRev) -> None:
    for op in ("list", "group"):
        body = {"group_by": "severity"} if op == "group" else {}
        assert devrev.post(op, body).status_code == 200


# --- A1 NaN / Infinity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"title": "x", "staged_info": {"is_staged": true, "score": NaN}}',
        '{"title": "x", "sync_metadata": {"lag": Infinity}}',
        '{"title": "x", "sync_metadata": {"lag": -Infinity}}',
        '{"title": "x", "sync_metadata": {"lag": 1e400}}',
        '{"title": "x", "custom_fields": {"tnt__rate": NaN}, "custom_schema_spec": {"tenant_fragment": true}}',
    ],
)
def test_nan_and_infinity_are_parse_errors(seeded: DevRev, text: str) -> None:
    before = seeded.snapshot()
    assert_devrev_error(_raw(seeded, "create", text), 400, "parse_error")
    assert seeded.snapshot() == before
    _lists_still_work(seeded)


def test_a_double_custom_field_must_be_finite() -> None:
    definition = FieldDef(name="rate", type="double")
    with pytest.raises(AppError):
        check_value("tnt__rate", definition, float("nan"))
    with pytest.raises(AppError):
        check_value("tnt__rate", definition, float("inf"))
    assert check_value("tnt__rate", definition, 0.5) == 0.5


# --- A2 integers beyond 32 and 64 bits ------------------------------------------------------------


def test_int64_values_store_filter_sort_and_group(seeded: DevRev) -> None:
    big = INT64_MAX
    created = seeded.create(
        {
            "title": "big",
            "reported_by": big,
            "source": big,
            "impact": {"count": big},
            "custom_fields": {"tnt__count": big},
            "custom_schema_spec": SPEC,
        }
    )
    assert created["reported_by"]["id"] == big
    found = seeded.post("list", {"reported_by": [big]}).json()["incidents"]
    assert [i["id"] for i in found] == [created["id"]]
    assert [i["id"] for i in seeded.post("list", {"source": [big]}).json()["incidents"]] == [created["id"]]
    custom = seeded.post("list", {"custom_fields": {"tnt__count": big}}).json()["incidents"]
    assert [i["id"] for i in custom] == [created["id"]]
    for sort in ("reported_by:desc", "source:asc", "severity:asc", "display_id:desc"):
        response = seeded.post("list", {"sort_by": [sort], "limit": 1})
        assert response.status_code == 200, response.text
        walked = seeded.post("list", {"sort_by": [sort], "limit": 1, "cursor": response.json()["next_cursor"]})
        assert walked.status_code == 200, walked.text
    for group_by in ("reported_by", "source", "severity"):
        response = seeded.post("group", {"group_by": group_by})
        assert response.status_code == 200, response.text
    groups = seeded.post("group", {"group_by": "reported_by"}).json()["groups"]
    assert {g["key"]["value"] for g in groups} == {big, ""}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "reported_by": INT64_MAX + 1}, "reported_by"),
        ({"title": "x", "source": 2**70}, "source"),
        ({"title": "x", "severity": -(2**64)}, "severity"),
        ({"title": "x", "impact": {"count": INT64_MAX + 1}}, "impact.count"),
        ({"title": "x", "staged_info": {"n": 2**64}}, "staged_info.n"),
        ({"title": "x", "sync_metadata": {"ids": [1, 2**64]}}, "sync_metadata.ids.1"),
        (
            {"title": "x", "custom_fields": {"tnt__count": 2**63}, "custom_schema_spec": SPEC},
            "custom_fields.tnt__count",
        ),
    ],
)
def test_integers_beyond_int64_are_invalid_fields(seeded: DevRev, body: dict[str, Any], field: str) -> None:
    before = seeded.snapshot()
    assert_devrev_error(seeded.post("create", body), 400, "invalid_field", field)
    assert seeded.snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reported_by": [INT64_MAX + 1]}, "reported_by.0"),
        ({"severity": [1, 2**64]}, "severity.1"),
        ({"source": [-(2**63) - 1]}, "source.0"),
        ({"custom_fields": {"tnt__count": 2**63}}, "custom_fields.tnt__count"),
    ],
)
def test_list_filters_beyond_int64_are_invalid_fields(seeded: DevRev, body: dict[str, Any], field: str) -> None:
    assert_devrev_error(seeded.post("list", body), 400, "invalid_field", field)


@pytest.mark.parametrize("name", ["reported_by", "source", "severity"])
def test_get_filters_beyond_int64_are_invalid_fields(seeded: DevRev, name: str) -> None:
    assert_devrev_error(seeded.get("list", {name: str(2**64)}), 400, "invalid_field", name)


def test_settings_ids_are_bounded(seeded: DevRev) -> None:
    headers = {"Authorization": "Bearer " + seeded.acme["Authorization"]}
    body = {"severities": [{"id": 2**63, "label": "huge"}]}
    assert seeded.client.put("/v1/devrev/settings", json=body, headers=headers).status_code == 422


# --- A3 / A4 dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00", "1800-01-01T00:00:00Z", "2500-01-01T00:00:00Z"]
)
def test_out_of_range_dates_are_invalid_fields(seeded: DevRev, value: str) -> None:
    before = seeded.snapshot()
    assert_devrev_error(seeded.post("create", {"title": "x", "identified_date": value}), 400, "invalid_field")
    body = {"title": "x", "external_source_data": {"created_date": value}}
    assert_devrev_error(seeded.post("create", body), 400, "invalid_field", "external_source_data.created_date")
    body = {"created_date": {"type": "range", "after": value}}
    if value.startswith(("0001", "9999")):
        assert_devrev_error(seeded.post("list", body), 400, "invalid_field", "created_date.after")
    else:  # a filter may reach further than a stored date
        assert seeded.post("list", body).status_code == 200
    assert seeded.snapshot() == before


@pytest.mark.parametrize("preset_type", ["last_n_days", "next_n_days"])
@pytest.mark.parametrize("days", [750_000, 3_000_000, 4_294_967_295])
def test_huge_preset_days_are_clamped(seeded: DevRev, preset_type: str, days: int) -> None:
    body = {"created_date": {"type": "preset", "preset_type": preset_type, "days": days}}
    response = seeded.post("list", body)
    assert response.status_code == 200, response.text
    assert len(response.json()["incidents"]) == (1 if preset_type == "last_n_days" else 0)
    assert_devrev_error(
        seeded.post("list", {"created_date": {**body["created_date"], "days": 2**32}}), 400, "invalid_field"
    )
