"""What every exported EIDO document must hold, checked without the door's code."""

from __future__ import annotations

import json
from typing import Any


def components(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`$id` -> component, asserting no two components share an id."""
    found: dict[str, dict[str, Any]] = {document["$id"]: document}
    listed = [document["incidentComponent"], *document["incidentComponent"].get("dispositionComponent", [])]
    for key, value in document.items():
        if key.endswith("Component") and isinstance(value, list):
            listed.extend(value)
    for component in listed:
        assert component["$id"] not in found, f"two components are {component['$id']}"
        found[component["$id"]] = component
    return found


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if set(node) == {"$ref"} else []
        return own + [ref for key, value in node.items() if key != "$ref" for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


def assert_consistent(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every `$ref` names a component of the document; returns the components by id."""
    found = components(document)
    dangling = [ref for ref in references(document) if ref not in found]
    assert dangling == []
    return found


def jcard(text: str) -> dict[str, Any]:
    card = json.loads(text)
    assert card[0] == "vcard"
    return {item[0]: item[3] for item in card[1]}


def resolve(document: dict[str, Any], reference: dict[str, str]) -> dict[str, Any]:
    return components(document)[reference["$ref"]]
