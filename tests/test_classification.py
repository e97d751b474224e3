"""The one mapping of incident type -> category and priority -> severity (incidents.classification), no HTTP."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from incidenthub.incidents.classification import DEFAULT_RULES, Rules, RulesError, derive


@pytest.mark.parametrize(
    ("incident_type", "category"),
    [
        ("Medical Emergency - Cardiac Arrest", "medical"),
        ("Chest Pain", "medical"),
        ("Structure Fire", "fire"),
        ("Vehicle Fire", "fire"),  # first rule wins: a burning car is a fire
        ("Armed Robbery", "location_threat"),
        ("Shots Fired", "location_threat"),
        ("10-39 - Traffic Stop", "vehicle"),
        ("Panic Alarm", "sos"),
        ("Noise Complaint", "other"),
        ("Systems down", "other"),  # "ems" only at the start of a word
        ("", "other"),
        (None, "other"),
    ],
)
def test_default_categories(incident_type: str | None, category: str) -> None:
    assert DEFAULT_RULES.category_of(incident_type) == category


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        ("Priority 1", "high"),
        ("1", "high"),
        ("P2", "medium"),
        ("3", "low"),
        ("Sev0", "critical"),
        ("Sev3", "low"),
        ("critical", "critical"),
        ("9", "low"),
        ("urgent", "medium"),
        (None, "medium"),
    ],
)
def test_default_severities(priority: str | None, severity: str) -> None:
    assert DEFAULT_RULES.severity_of(priority) == severity


def test_tenant_rules_come_first_and_defaults_fill_the_rest() -> None:
    rules = Rules.from_settings(
        {
            "classification": {
                "categories": {"Structure  FIRE": "location_threat"},
                "keywords": [["gas leak", "fire"]],
                "severities": {"Priority 1": "critical"},
                "default_category": "sos",
            }
        }
    )
    assert rules.category_of("structure fire") == "location_threat"
    assert rules.category_of("Gas Leak - Outside") == "fire"
    assert rules.category_of("Armed Robbery") == "location_threat"
    assert rules.category_of("Lost dog") == "sos"
    assert rules.severity_of("priority 1") == "critical" and rules.severity_of("Priority 2") == "medium"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"classification": {"categories": {"x": "danger"}}}, "categories.x"),
        ({"classification": {"severities": {"1": "extreme"}}}, "severities.1"),
        ({"classification": {"keywords": [["fire"]]}}, "keywords"),
        ({"classification": {"default_severity": "none"}}, "default_severity"),
        ({"classification": {"colour": "red"}}, "colour"),
    ],
)
def test_unusable_settings_are_refused_naming_the_member(settings: dict[str, object], field: str) -> None:
    with pytest.raises(RulesError) as caught:
        Rules.from_settings(settings)
    assert caught.value.field == field


def test_derive_on_create_and_on_update() -> None:
    created = derive({"incident_type": "Structure Fire", "priority": "Priority 1"}, None, DEFAULT_RULES)
    assert created == {"severity": "high", "category": "fire", "title": "Structure Fire"}
    # What the door set itself stays.
    assert derive({"category": "sos", "severity": "low", "title": "t"}, None, DEFAULT_RULES) == {}
    assert derive({"number": "42"}, None, DEFAULT_RULES) == {
        "severity": "medium",
        "category": "other",
        "title": "Incident 42",
    }
    # Reclassified: the derived title follows the type, a title of its own does not.
    before = SimpleNamespace(title="Chest Pain", incident_type="Chest Pain")
    assert derive({"incident_type": "Cardiac Arrest"}, before, DEFAULT_RULES) == {
        "category": "medical",
        "title": "Cardiac Arrest",
    }
    named = SimpleNamespace(title="Mr Smith, 4th floor", incident_type="Chest Pain")
    assert derive({"incident_type": "Structure Fire", "priority": "2"}, named, DEFAULT_RULES) == {
        "category": "fire",
        "severity": "medium",
    }
