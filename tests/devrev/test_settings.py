"""Severity labels, the stage diagram and the open enums are tenant settings with defaults."""

from __future__ import annotations

from tests.devrev.helpers import DevRev, assert_devrev_error

CUSTOM = {
    "severities": [{"id": 10, "label": "Critical", "ordinal": 0}, {"id": 20, "label": "Minor", "ordinal": 1}],
    "states": [{"name": "open"}, {"name": "done", "is_final": True}],
    "stages": [
        {"name": "triage", "state": "open", "is_start": True, "transitions": ["fixing"]},
        {"name": "fixing", "state": "open", "transitions": ["fixed"]},
        {"name": "fixed", "state": "done"},
    ],
    "reported_by": [{"id": 1, "label": "Customer"}],
}


def _native(devrev: DevRev) -> dict[str, str]:
    return {"Authorization": "Bearer " + devrev.acme["Authorization"]}


def test_defaults_are_served(devrev: DevRev) -> None:
    settings = devrev.client.get("/v1/devrev/settings", headers=_native(devrev)).json()
    assert [s["label"] for s in settings["severities"]] == ["Sev0", "Sev1", "Sev2", "Sev3"]
    assert [s["name"] for s in settings["stages"]] == ["acknowledged", "identified", "mitigated", "resolved", "closed"]
    assert [s["name"] for s in settings["states"] if s["is_final"]] == ["closed"]


def test_a_tenant_configures_its_own_enums_and_diagram(devrev: DevRev) -> None:
    response = devrev.client.put("/v1/devrev/settings", json=CUSTOM, headers=_native(devrev))
    assert response.status_code == 200, response.text
    incident = devrev.create({"title": "t", "severity": "critical", "reported_by": 1})
    assert incident["severity"] == {"id": 10, "label": "Critical", "ordinal": 0}
    assert incident["reported_by"] == {"id": 1, "label": "Customer", "ordinal": 1}
    assert incident["stage"]["stage"]["name"] == "triage"
    error = assert_devrev_error(devrev.post("create", {"title": "t", "severity": 1}), 400, "value_not_permitted")
    assert error["allowed_values"] == ["10", "20", "Critical", "Minor"]
    assert_devrev_error(
        devrev.post("create", {"title": "t", "reported_by": 2}), 400, "value_not_permitted", "reported_by"
    )
    skip = devrev.update({"id": incident["id"], "stage": {"stage": "fixed"}})
    assert assert_devrev_error(skip, 400, "value_not_permitted")["allowed_values"] == ["fixing"]
    devrev.update({"id": incident["id"], "stage": {"stage": "fixing"}})
    fixed = devrev.update({"id": incident["id"], "stage": {"stage": "fixed"}}).json()["incident"]
    assert fixed["stage"]["state"]["is_final"] and "actual_close_date" in fixed
    # Other tenants keep the defaults.
    assert devrev.create({"title": "t", "severity": 1}, headers=devrev.globex)["severity"]["label"] == "Sev1"


def test_inconsistent_settings_are_refused(devrev: DevRev) -> None:
    broken = {**CUSTOM, "stages": [{"name": "triage", "state": "nowhere", "is_start": True}]}
    response = devrev.client.put("/v1/devrev/settings", json=broken, headers=_native(devrev))
    assert response.status_code == 422
    no_start = {**CUSTOM, "stages": [{"name": "triage", "state": "open"}]}
    assert devrev.client.put("/v1/devrev/settings", json=no_start, headers=_native(devrev)).status_code == 422
    assert devrev.create({"title": "t", "severity": 1})["severity"]["label"] == "Sev1"


def test_a_nul_in_a_member_name_is_refused_and_nothing_changes(devrev: DevRev) -> None:
    response = devrev.client.put("/v1/devrev/settings", json={**CUSTOM, "a\u0000b": ""}, headers=_native(devrev))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "NUL" in response.json()["detail"]
    assert devrev.create({"title": "t", "severity": 1})["severity"]["label"] == "Sev1"
