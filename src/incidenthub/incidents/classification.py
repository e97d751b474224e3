"""Severity, category and title of every incident, whatever door made it: one mapping, set per tenant. Pure.

A door says what its vendor says (GovWorx `priority` "Priority 1" and `incidentType` "Structure Fire",
Sonoran `priority` 1 and `code`, DevRev's severity label as the priority); the incident's Sety fields
follow from them here:

- `category` (sos, vehicle, location_threat, medical, fire, other) from the incident type: the tenant's
  exact types first, then the tenant's keywords, then the default keywords below, else `default_category`.
- `severity` (low, medium, high, critical) from the priority: the tenant's exact priorities first, then the
  number in it (0 critical, 1 high, 2 medium, 3 and up low; "Priority 1", "P1", "Sev1" and 1 alike), or the
  priority itself when it already is a severity name, else `default_severity`.
- `title`: the incident type, else the initial type, else "Incident <number>".

A value the door sets itself (a native create's category) is kept. The tenant's rules live with the
tenant (`tenants.settings["classification"]`, see `Rules.from_settings`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidenthub.incidents.schemas import CATEGORIES, SEVERITIES

SETTINGS_KEY = "classification"

# First match wins (so "Vehicle Fire" is a fire); a keyword matches at the start of a word of the type.
DEFAULT_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("panic", "sos"),
    ("sos", "sos"),
    ("officer needs", "sos"),
    ("shoot", "location_threat"),  # before "fire": "Shots Fired"
    ("shots", "location_threat"),
    ("fire", "fire"),
    ("smoke", "fire"),
    ("explosion", "fire"),
    ("hazmat", "fire"),
    ("medical", "medical"),
    ("cardiac", "medical"),
    ("chest pain", "medical"),
    ("breathing", "medical"),
    ("unconscious", "medical"),
    ("overdose", "medical"),
    ("stroke", "medical"),
    ("seizure", "medical"),
    ("injur", "medical"),
    ("ems", "medical"),
    ("robbery", "location_threat"),
    ("burglary", "location_threat"),
    ("assault", "location_threat"),
    ("stabbing", "location_threat"),
    ("weapon", "location_threat"),
    ("armed", "location_threat"),
    ("threat", "location_threat"),
    ("domestic", "location_threat"),
    ("trespass", "location_threat"),
    ("suspicious", "location_threat"),
    ("traffic", "vehicle"),
    ("vehicle", "vehicle"),
    ("collision", "vehicle"),
    ("crash", "vehicle"),
    ("mva", "vehicle"),
    ("hit and run", "vehicle"),
    ("pursuit", "vehicle"),
)
DEFAULT_LEVELS: dict[int, str] = {0: "critical", 1: "high", 2: "medium"}
_NUMBER = re.compile(r"(\d+)")


class RulesError(ValueError):
    """A tenant's classification settings that cannot be used; `field` names the member."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def _key(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class Rules:
    """One tenant's mapping; the defaults apply where the tenant says nothing."""

    categories: dict[str, str] = field(default_factory=dict)  # exact incident type -> category
    keywords: tuple[tuple[str, str], ...] = ()  # before the default keywords
    severities: dict[str, str] = field(default_factory=dict)  # exact priority -> severity
    default_category: str = "other"
    default_severity: str = "medium"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> Rules:
        """The rules stored with a tenant (`settings["classification"]`); RulesError naming a bad member."""
        raw = (settings or {}).get(SETTINGS_KEY) or {}
        if not isinstance(raw, Mapping):
            raise RulesError(SETTINGS_KEY, "classification must be an object")
        unknown = set(raw) - {"categories", "keywords", "severities", "default_category", "default_severity"}
        if unknown:
            raise RulesError(sorted(unknown)[0], f"unknown classification member {sorted(unknown)[0]!r}")

        def table(name: str, allowed: tuple[str, ...]) -> dict[str, str]:
            value = raw.get(name) or {}
            if not isinstance(value, Mapping):
                raise RulesError(name, f"{name} must be an object of text -> one of {', '.join(allowed)}")
            for text, target in value.items():
                if target not in allowed:
                    raise RulesError(f"{name}.{text}", f"{target!r} is not one of {', '.join(allowed)}")
            return {_key(str(text)): str(target) for text, target in value.items()}

        keywords = raw.get("keywords") or []
        if not isinstance(keywords, list) or not all(
            isinstance(k, list | tuple) and len(k) == 2 and isinstance(k[0], str) and k[0].strip() for k in keywords
        ):
            raise RulesError("keywords", "keywords must be a list of [keyword, category] pairs")
        for _word, target in keywords:
            if target not in CATEGORIES:
                raise RulesError("keywords", f"{target!r} is not one of {', '.join(CATEGORIES)}")
        default_category = raw.get("default_category", "other")
        default_severity = raw.get("default_severity", "medium")
        if default_category not in CATEGORIES:
            raise RulesError("default_category", f"default_category must be one of {', '.join(CATEGORIES)}")
        if default_severity not in SEVERITIES:
            raise RulesError("default_severity", f"default_severity must be one of {', '.join(SEVERITIES)}")
        return cls(
            categories=table("categories", CATEGORIES),
            keywords=tuple((_key(word), target) for word, target in keywords),
            severities=table("severities", SEVERITIES),
            default_category=default_category,
            default_severity=default_severity,
        )

    def category_of(self, incident_type: str | None) -> str:
        """The Sety category of an incident type."""
        if not incident_type or not incident_type.strip():
            return self.default_category
        text = _key(incident_type)
        if text in self.categories:
            return self.categories[text]
        for word, category in (*self.keywords, *DEFAULT_KEYWORDS):
            if re.search(r"(?<![a-z0-9])" + re.escape(word), text):
                return category
        return self.default_category

    def severity_of(self, priority: str | None) -> str:
        """The Sety severity of a CAD priority ("Priority 1", "1", "P2", "Sev0", "high")."""
        if priority is None or not str(priority).strip():
            return self.default_severity
        text = _key(str(priority))
        if text in self.severities:
            return self.severities[text]
        if text in SEVERITIES:
            return text
        number = _NUMBER.search(text)
        if number is None:
            return self.default_severity
        return DEFAULT_LEVELS.get(int(number[1]), "low")


DEFAULT_RULES = Rules()


def title_of(fields: Mapping[str, Any]) -> str:
    """A title for an incident that has none: its type, else its first type, else its number."""
    for name in ("incident_type", "initial_incident_type"):
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    number = fields.get("number") or fields.get("case_number")
    return f"Incident {number}" if number else "Incident"


def affects(changes: Mapping[str, Any]) -> bool:
    """Whether a change of fields may change what is derived (the rules need not be read otherwise)."""
    return changes.get("priority") is not None or changes.get("incident_type") is not None


def derive(changes: Mapping[str, Any], current: Any, rules: Rules) -> dict[str, Any]:
    """The derived fields to add to `changes`; `current` is the incident before them (None: a new one).

    A field the change sets itself is kept. On an update, severity follows a new priority, category a new
    incident type, and a title that was the old type follows the new type.
    """
    out: dict[str, Any] = {}
    creating = current is None
    if changes.get("priority") is not None and changes.get("severity") is None:
        out["severity"] = rules.severity_of(str(changes["priority"]))
    elif creating and changes.get("severity") is None:
        out["severity"] = rules.default_severity
    kind = changes.get("incident_type")
    if kind is not None and changes.get("category") is None:
        out["category"] = rules.category_of(str(kind))
    elif creating and changes.get("category") is None:
        out["category"] = rules.category_of(changes.get("initial_incident_type"))
    if changes.get("title") is None:
        if creating:
            out["title"] = title_of(changes)
        elif kind is not None and (current.title is None or current.title == current.incident_type):
            out["title"] = str(kind).strip() or current.title
    return out
