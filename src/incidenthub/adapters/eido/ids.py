"""The names an exported EIDO gives its components, and the pieces both directions share. Pure."""

from __future__ import annotations

import json
from typing import Any

from incidenthub.adapters.eido import SOURCE

# Assignment status (dispatch rules) <-> NENA Primary Unit Status registry, in milestone order.
UNIT_STATUS: dict[str, str] = {
    "dispatched": "Dispatched",
    "enroute": "EnRoute",
    "on_scene": "OnScene",
    "cleared": "Cleared",
}
# NENA status -> the assignment time it stamps.
MILESTONE_TIME: dict[str, str] = {
    "Dispatched": "dispatched_at",
    "EnRoute": "enroute_at",
    "OnScene": "arrived_at",
    "Cleared": "cleared_at",
}
CALL_TAKER_ROLE = "CallTaker"
RESPONDER_ROLE = "Responder"
NOTE_AUTHOR_ROLE = "Other"
CALLER_ROLE = "Caller"
UNKNOWN_TYPE = "Unknown"
CLOSED, OPEN = "Closed", "Open"
RADIO_CHANNEL = "RadioChannel"


def incident_uid(source: str, external_id: str | None, incident_id: str) -> str:
    """The incident's EIDO `$id`: the id it was imported under, else a URN naming this hub's incident."""
    if source == SOURCE and external_id:
        return external_id
    return f"urn:emergency:uid:incidentid:{incident_id}:incidenthub"


def ref(component_id: str) -> dict[str, str]:
    return {"$ref": component_id}


def jcard(name: str | None, uid: str | None = None, first: str | None = None, last: str | None = None) -> str:
    """A jCard (RFC 7095) as JSON text: the full name, the structured name and the personnel id."""
    properties: list[list[Any]] = [["version", {}, "text", "4.0"], ["fn", {}, "text", name or uid or ""]]
    if first or last:
        properties.append(["n", {}, "text", [last or "", first or "", "", "", ""]])
    if uid:
        properties.append(["uid", {}, "text", uid])
    return json.dumps(["vcard", properties], ensure_ascii=False)


def read_jcard(text: str | None) -> dict[str, Any]:
    """`fn`, `uid`, `first` and `last` of a jCard; {} when it is absent or not a jCard."""
    try:
        card = json.loads(text) if text else None
    except ValueError:
        return {}
    if not (isinstance(card, list) and len(card) == 2 and card[0] == "vcard" and isinstance(card[1], list)):
        return {}
    found: dict[str, Any] = {}
    for item in card[1]:
        if not (isinstance(item, list) and len(item) >= 4 and isinstance(item[0], str)):
            continue
        name, value = item[0].lower(), item[3]
        if name in ("fn", "uid") and isinstance(value, str) and value:
            found[name] = value
        elif name == "n" and isinstance(value, list):
            parts = [part if isinstance(part, str) else "" for part in value] + ["", ""]
            found["last"], found["first"] = parts[0] or None, parts[1] or None
    return found
