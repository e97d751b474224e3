"""DevRev arrays are bounded: list filters 500 values, tags 200, custom schema apps 100.

One over is DevRev's own `invalid_field` naming the field and changes nothing; the limit is accepted.
"""

from __future__ import annotations

from tests.devrev.helpers import DevRev, assert_devrev_error


def test_a_list_filter_over_500_values_is_invalid_field(devrev: DevRev) -> None:
    devrev.create({"title": "kept"})
    assert_devrev_error(devrev.post("list", {"title": [f"t{i}" for i in range(501)]}), 400, "invalid_field", "title")
    accepted = devrev.post("list", {"title": ["kept", *(f"t{i}" for i in range(499))]})
    assert accepted.status_code == 200, accepted.text
    assert [incident["title"] for incident in accepted.json()["incidents"]] == ["kept"]


def test_tags_over_200_on_update_change_nothing(devrev: DevRev) -> None:
    incident_id = devrev.create({"title": "kept"})["id"]
    before = devrev.snapshot()
    tags = [{"tag_id": f"TAG-{i}"} for i in range(201)]
    error = assert_devrev_error(devrev.post("update", {"id": incident_id, "tags": tags}), 400, "invalid_field", "tags")
    assert "at most 200" in error["detail"], error
    assert devrev.snapshot() == before


def test_custom_schema_apps_over_100_are_invalid_field(devrev: DevRev) -> None:
    before = devrev.snapshot()
    spec = {"apps": [f"app{i}" for i in range(101)]}
    response = devrev.post("create", {"title": "x", "custom_schema_spec": spec})
    assert_devrev_error(response, 400, "invalid_field", "custom_schema_spec.apps")
    assert devrev.snapshot() == before
