"""Sonoran CAD enums, the commands both API generations parse into, and the call and unit shapes they answer.

Pure: vendor values in, canonical values out, and the canonical record (already loaded) back to Sonoran's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from incidenthub.clock import iso_utc
from incidenthub.incidents.commands import IncidentFields
from incidenthub.models import Assignment, Incident, Note, SonoranCall, Unit

SOURCE = "sonoran"
CALL_COUNTER = "sonoran_call"
SUBSCRIPTION_VERSION = 3  # PLUS: what every call of this door needs (new_dispatch is a Plus endpoint)
SUBSCRIPTION_NAME = "PLUS"
DEFAULT_SERVER = 1

# ORIGIN / CALL_ORIGIN -> the canonical call source.
ORIGINS: dict[int, str] = {0: "caller", 1: "radio_dispatch", 2: "observed", 3: "walk_up"}
# The enum names Sonoran.js's signatures allow in place of the numbers (`origin: string | number`, ...), as it
# spells them (the v1 docs write RADIO DISPATCH with a space, the v2 docs RADIO_DISPATCH).
ORIGIN_CODES: dict[str, int] = {"CALLER": 0, "RADIO_DISPATCH": 1, "RADIO DISPATCH": 1, "OBSERVED": 2, "WALK_UP": 3}
CALL_STATUS_CODES: dict[str, int] = {"PENDING": 0, "ACTIVE": 1, "CLOSED": 2}
# STATUS / CALL_STATUS -> the canonical status the call asks for (the lifecycle only moves forward).
CALL_STATUSES: dict[int, str] = {0: "created", 1: "dispatching", 2: "resolved"}
CLOSED = 2
# priority 1 is the most urgent.
# A dispatch call created without a priority (v1 leaves it optional) gets this one (README: Mappings).
DEFAULT_PRIORITY = 2
# UNIT_STATUS -> canonical unit status, and the names v2 answers with.
UNIT_STATUSES: dict[int, str] = {
    0: "unavailable",
    1: "busy",
    2: "available",
    3: "enroute",
    4: "on_scene",
    100: "offline",
}
UNIT_STATUS_CODES: dict[str, int] = {name: code for code, name in UNIT_STATUSES.items()}
UNIT_STATUS_NAMES: dict[int, str] = {
    0: "UNAVAILABLE",
    1: "BUSY",
    2: "AVAILABLE",
    3: "ENROUTE",
    4: "ON_SCENE",
    100: "OFFLINE",
}
UNIT_STATUS_BY_NAME: dict[str, int] = {name: code for code, name in UNIT_STATUS_NAMES.items()}
# Canonical statuses of a call that is over, whichever door closed it.
_ENDED = frozenset({"resolved", "cancelled"})
# CALL_TYPE / CALL_TABLE_TYPE of get_calls.
CALL_TYPE_DISPATCH, CALL_TYPE_EMERGENCY, CALL_TYPE_ALL = 0, 1, 100
CALL_TYPES = (CALL_TYPE_DISPATCH, CALL_TYPE_EMERGENCY, CALL_TYPE_ALL)

# Canonical incident fields a dispatch call's fields land on.
_CANONICAL = {
    "block": "block",
    "address": "address",
    "postal": "postal",
    "title": "title",
    "code": "incident_type",
    "description": "description",
}
# Sonoran-only state kept on the incident under custom_fields["sonoran"].
_STATE_KEYS = ("origin", "status", "priority", "code", "trackPrimary", "deleteAfterMinutes")


# --- commands ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A unit as Sonoran names it: an API id / community user id, an account UUID, or an ident id."""

    kind: Literal["api_id", "account", "ident"]
    value: str | int


@dataclass(frozen=True)
class NoteIn:
    content: str
    label: str | None = None
    type: str = "text"


@dataclass
class CallFields:
    """The editable fields of a dispatch call; None means `not sent`."""

    origin: int | None = None
    status: int | None = None
    priority: int | None = None
    block: str | None = None
    address: str | None = None
    postal: str | None = None
    title: str | None = None
    code: str | None = None
    description: str | None = None
    track_primary: bool | None = None
    meta_data: dict[str, Any] | None = None
    delete_after_minutes: int | None = None
    primary: int | None = None  # edit only: the ident to make primary (-1 clears); applied as set_call_primary

    def sent(self) -> bool:
        return any(value is not None for value in vars(self).values())


@dataclass
class NewCall:
    server_id: int
    fields: CallFields
    targets: list[Target] = field(default_factory=list)
    notes: list[NoteIn] = field(default_factory=list)
    primary: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class NewEmergencyCall:
    server_id: int
    is_emergency: bool
    caller: str | None
    location: str | None
    description: str | None
    meta_data: dict[str, Any]
    delete_after_minutes: int | None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LocationUpdate:
    target: Target
    location: str | None
    coordinates: dict[str, Any] | None


# --- canonical mapping -----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def canonical_changes(fields: CallFields, state: dict[str, Any]) -> dict[str, Any]:
    """The canonical incident fields (except status) for the fields sent, and the Sonoran state to keep."""
    changes: dict[str, Any] = {}
    for name, column in _CANONICAL.items():
        value = getattr(fields, name)
        if value is not None:
            changes[column] = value
    if fields.origin is not None:
        changes["call_source"] = ORIGINS[fields.origin]
    if fields.priority is not None:
        changes["priority"] = str(fields.priority)  # severity follows: incidents.classification
    if fields.meta_data is not None:
        changes["extra_metadata"] = dict(fields.meta_data)  # replaces: Sonoran's documented rule
    new_state = dict(state)
    for key, value in (
        ("origin", fields.origin),
        ("status", fields.status),
        ("priority", fields.priority),
        ("code", fields.code),
        ("trackPrimary", fields.track_primary),
        ("deleteAfterMinutes", fields.delete_after_minutes),
    ):
        if value is not None:
            new_state[key] = value
    return {**changes, "sonoran_state": new_state}


def emergency_fields(call: NewEmergencyCall) -> IncidentFields:
    """A 911 call as canonical incident fields; metaData's special keys land on their columns."""
    meta = call.meta_data
    fields: IncidentFields = {
        "title": "911 call" if call.is_emergency else "Non-emergency call",
        "call_source": "911" if call.is_emergency else "non_emergency",
        "caller_name": call.caller,
        "address": call.location,
        "description": call.description,
        "extra_metadata": dict(meta),
        "block": _text(meta.get("block")),
        "postal": _text(meta.get("postal")),
        "incident_type": _text(meta.get("code")),
    }
    priority = _text(meta.get("priority"))
    if priority in {"1", "2", "3"}:
        fields["priority"] = priority  # severity follows: incidents.classification
    return fields


def state_of(incident: Incident) -> dict[str, Any]:
    state: dict[str, Any] = (incident.custom_fields or {}).get("sonoran", {})
    return state


# --- response shapes -------------------------------------------------------------------------------


def _clock(value: datetime) -> str:
    return value.strftime("%H:%M:%S")


def note_json(note: Note, *, iso_time: bool) -> dict[str, Any]:
    return {
        "time": iso_utc(note.noted_at) if iso_time else _clock(note.noted_at),
        "label": note.author,
        "type": note.label or "text",
        "content": note.text,
    }


def ident_of(unit: Unit | None) -> int | None:
    ident = (unit.extra or {}).get("ident_id") if unit is not None else None
    return ident if isinstance(ident, int) else None


def _open(incident: Incident) -> list[Assignment]:
    return [a for a in incident.assignments if a.cleared_at is None and a.unit is not None]


def idents_of(incident: Incident) -> list[int]:
    return [ident for a in _open(incident) if (ident := ident_of(a.unit)) is not None]


def primary_ident(incident: Incident) -> int | None:
    return next((ident_of(a.unit) for a in _open(incident) if a.is_primary), None)


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) else default


def call_status(call: SonoranCall, incident: Incident) -> int:
    """CLOSED once the call is closed (close_call, dispatch-calls/close, a status 2, or the incident ended through
    another door); otherwise the status last sent."""
    if call.closed or incident.status in _ENDED:
        return CLOSED
    return _int(state_of(incident).get("status"), 0)


def dispatch_call_json(call: SonoranCall, incident: Incident, *, iso_time: bool = True) -> dict[str, Any]:
    """A dispatch call as Sonoran shows it (v2's full object; v1 shows the same keys)."""
    state = state_of(incident)
    return {
        "callId": call.call_id,
        "origin": _int(state.get("origin"), 0),
        "status": call_status(call, incident),
        "priority": _int(state.get("priority"), DEFAULT_PRIORITY),
        "block": incident.block or "",
        "address": incident.address or "",
        "postal": incident.postal or "",
        "title": incident.title or "",
        "code": state.get("code") or "",
        "primary": primary_ident(incident),
        "trackPrimary": bool(state.get("trackPrimary", False)),
        "description": incident.description or "",
        "notes": [note_json(note, iso_time=iso_time) for note in incident.notes],
        "idents": idents_of(incident),
        "metaData": incident.extra_metadata or {},
        "updated": iso_utc(incident.updated_at),
    }


def emergency_call_json(call: SonoranCall, incident: Incident) -> dict[str, Any]:
    state = state_of(incident)
    return {
        "callId": call.call_id,
        "isEmergency": bool(state.get("isEmergency", True)),
        "caller": incident.caller_name or "",
        "location": incident.address or "",
        "description": incident.description or "",
        "metaData": incident.extra_metadata or {},
        "updated": iso_utc(incident.updated_at),
    }


def unit_json(unit: Unit, *, v2: bool) -> dict[str, Any]:
    """A unit as get_active_units / GET units show it."""
    extra = unit.extra or {}
    api_ids = [value for value in unit.external_ids or [] if value != extra.get("account")]
    data: dict[str, Any] = {
        "apiId1": api_ids[0] if api_ids else None,
        "apiId2": api_ids[1] if len(api_ids) > 1 else None,
        "unitNum": unit.call_sign,
        "name": unit.name or "",
        "district": extra.get("district", ""),
        "department": unit.department or "",
        "subdivision": extra.get("subdivision", ""),
        "rank": extra.get("rank", ""),
        "group": extra.get("group", ""),
    }
    body: dict[str, Any] = {
        "id": ident_of(unit),
        "accId": extra.get("account"),
        "status": UNIT_STATUS_CODES.get(unit.status, 0),
        "isPanic": unit.panic,
        "location": unit.location_text or "",
        "aop": extra.get("aop", ""),
        "isDispatch": False,
        "data": data,
    }
    if v2:
        body["coordinates"] = extra.get("coordinates")
        data["page"] = extra.get("page", -1)
        data["communityUserId"] = data["apiId1"]
    return body
