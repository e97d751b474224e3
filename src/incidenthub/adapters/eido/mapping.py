"""An EIDO document as the canonical upsert (`SourceIncident`). Pure: no web framework, no database.

Checks beyond NENA's schema, each answered naming the JSON pointer of the member: the document carries an
`incidentComponent`; component `$id`s are unique and every `{"$ref"}` names one of them; times are RFC 3339
with an offset; values fit the canonical columns; arrays are bounded (README "Limits").
"""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime
from typing import Any

from incidenthub.adapters.eido import SOURCE, ids
from incidenthub.adapters.eido.validation import pointer, problems
from incidenthub.errors import FieldError, Invalid
from incidenthub.incidents.commands import IncidentFields, NoteCommand, PersonCommand, ResponderCommand, SourceIncident
from incidenthub.incidents.schemas import STATUSES
from incidenthub.inputs import unstorable

MAX_COMPONENTS = 2000  # per component array (a day-long incident's notes, as the GovWorx upload allows)
# Units and their dispatches, as many as the GovWorx upload's responders (a multi-alarm fire or mass casualty).
MAX_RESOURCES = 500
_LIMITS = {"emergencyResourceComponent": MAX_RESOURCES, "dispatchComponent": MAX_RESOURCES}
# Top-level members every re-issue of the same incident changes: not a change of the incident by themselves.
ENVELOPE = frozenset({"$id", "lastUpdateTimeStamp", "issuingElementIdentification"})
_POS = re.compile(r"<(?:[\w.-]+:)?pos>\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)(?:\s+[-+0-9.eE]+)?\s*</(?:[\w.-]+:)?pos>")
_FINAL = ("resolved", "cancelled")


def _refuse(errors: list[FieldError], status: int = 422) -> Invalid:
    message = "; ".join(f"{e.field or '/'}: {e.message}" for e in errors[:10])
    return Invalid(f"not an importable EIDO document: {message}", errors)


def check(document: Any) -> dict[str, Any]:
    """The document when NENA's schema and the rules above accept it; Invalid naming each pointer otherwise."""
    if not isinstance(document, dict):
        raise _refuse([FieldError("", "an EIDO document is a JSON object")])
    bad = unstorable(document)
    if bad:
        where = "" if bad[0] == "body" else pointer(bad[0].split("."))
        raise _refuse([FieldError(where, bad[1])])
    errors = problems(document)
    if not errors:
        errors = _structure(document)
    if errors:
        raise _refuse(errors)
    return document


def _walk_refs(node: Any, path: list[Any], found: list[tuple[list[Any], str]]) -> None:
    if isinstance(node, dict):
        target = node.get("$ref")
        if isinstance(target, str) and len(node) == 1:
            found.append((path, target))
        for key, value in node.items():
            if key != "$ref":
                _walk_refs(value, [*path, key], found)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk_refs(value, [*path, i], found)


def _components(document: dict[str, Any]) -> list[tuple[list[Any], dict[str, Any]]]:
    found: list[tuple[list[Any], dict[str, Any]]] = []
    for key, value in document.items():
        if key == "incidentComponent" and isinstance(value, dict):
            found.append(([key], value))
            for i, item in enumerate(value.get("dispositionComponent") or []):
                found.append(([key, "dispositionComponent", i], item))
        elif key.endswith("Component") and isinstance(value, list):
            found.extend(([key, i], item) for i, item in enumerate(value) if isinstance(item, dict))
    return found


def _structure(document: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    if "incidentComponent" not in document:
        errors.append(FieldError("/incidentComponent", "is required to import a document as an incident"))
    for key, value in document.items():
        limit = _LIMITS.get(key, MAX_COMPONENTS)
        if isinstance(value, list) and len(value) > limit:
            errors.append(FieldError(pointer([key]), f"holds more than {limit} components"))
    known: set[str] = {document["$id"]}
    for path, component in _components(document):
        component_id = component.get("$id")
        if component_id in known:
            errors.append(FieldError(pointer([*path, "$id"]), f"{component_id!r} names another component too"))
        if isinstance(component_id, str):
            known.add(component_id)
    refs: list[tuple[list[Any], str]] = []
    _walk_refs(document, [], refs)
    for path, target in refs:
        if target not in known:
            errors.append(FieldError(pointer([*path, "$ref"]), f"names no component of this document: {target!r}"))
    return errors


class _Reader:
    """Reads typed values out of the document, collecting every error before failing."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.errors: list[FieldError] = []
        self.by_id: dict[str, tuple[list[Any], dict[str, Any]]] = {
            str(c.get("$id")): (p, c) for p, c in _components(document)
        }

    def time(self, path: list[Any], value: Any) -> datetime | None:
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) and len(value) >= 20 else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None or not 1900 <= parsed.year <= 2200:
            self.errors.append(FieldError(pointer(path), f"not an RFC 3339 date-time with an offset: {value!r}"))
            return None
        return parsed.astimezone(UTC)

    def text(self, path: list[Any], value: Any, limit: int) -> str | None:
        if value is None or value == "":
            return None
        text = str(value)
        if len(text) > limit:
            self.errors.append(FieldError(pointer(path), f"longer than {limit} characters"))
            return None
        return text

    def get(self, reference: Any) -> tuple[list[Any], dict[str, Any]] | None:
        target = reference.get("$ref") if isinstance(reference, dict) else None
        return self.by_id.get(target) if isinstance(target, str) else None

    def all_of(self, references: Any) -> list[tuple[list[Any], dict[str, Any]]]:
        found = [self.get(item) for item in references or []]
        return [item for item in found if item is not None]

    def first(self, *references: Any) -> tuple[list[Any], dict[str, Any]] | None:
        for reference in references:
            items = self.all_of(reference) if isinstance(reference, list) else [self.get(reference)]
            for item in items:
                if item is not None:
                    return item
        return None


def _person(reader: _Reader, path: list[Any], agent: dict[str, Any]) -> PersonCommand | None:
    card = ids.read_jcard(agent.get("agentJcard"))
    personnel_id = reader.text([*path, "agentJcard"], card.get("uid") or agent["$id"], 128)
    if personnel_id is None:
        return None
    name, first, last = (reader.text([*path, "agentJcard"], card.get(part), 200) for part in ("fn", "first", "last"))
    return PersonCommand(personnel_id, first, last, name if name != personnel_id else None)


def _role(agent: dict[str, Any], role: str) -> bool:
    wanted = role.lower().replace("-", "").replace(" ", "")
    return any(str(r).lower().replace("-", "").replace(" ", "") == wanted for r in agent["agentRoleRegistryText"])


def _responder(
    reader: _Reader, path: list[Any], resource: dict[str, Any], dispatched: dict[str, datetime]
) -> ResponderCommand | None:
    agent = reader.first(resource.get("agentReference"))
    person = _person(reader, agent[0], agent[1]) if agent else None
    unit_name = reader.text([*path, "emergencyResourceName"], resource.get("emergencyResourceName"), 128)
    if person is None and unit_name is None:
        reader.errors.append(FieldError(pointer([*path, "emergencyResourceName"]), "needs a name or an agentReference"))
        return None
    times: dict[str, datetime | None] = {"dispatched_at": dispatched.get(resource["$id"])}
    for i, entry in enumerate(resource.get("unitStatusInternal") or []):
        status, _, when = str(entry).partition(" ")
        if status in ids.MILESTONE_TIME and when:
            times[ids.MILESTONE_TIME[status]] = reader.time([*path, "unitStatusInternal", i], when)
    status = resource["primaryUnitStatusRegistryText"]
    field = ids.MILESTONE_TIME.get(status)
    if field and times.get(field) is None:  # only the current status is known: its time is the component's
        times[field] = reader.time([*path, "lastUpdateTimeStamp"], resource["lastUpdateTimeStamp"])
    return ResponderCommand(
        person=person,
        unit_name=unit_name,
        dispatched_at=times.get("dispatched_at"),
        enroute_at=times.get("enroute_at"),
        arrived_at=times.get("arrived_at"),
        cleared_at=times.get("cleared_at"),
    )


def to_command(document: dict[str, Any]) -> SourceIncident:
    """The canonical upsert of a `check`ed document; Invalid naming each pointer a value is refused at."""
    read = _Reader(document)
    incident: dict[str, Any] = document["incidentComponent"]
    at = ["incidentComponent"]
    agency_item = next(
        (c for p, c in read.by_id.values() if p[0] == "agencyComponent" and c.get("incidentOwningAgencyIndicator")),
        None,
    )
    agency_at, agency = (
        (["agencyComponent", 0], document["agencyComponent"][0]) if document["agencyComponent"] else (None, None)
    )
    if agency_item is not None:
        agency_at, agency = read.by_id[agency_item["$id"]]
    call_item = read.first(document.get("callComponent") and [{"$ref": document["callComponent"][0]["$id"]}])
    call_at, call = call_item if call_item else ([], {})
    # The call taker: the call's agent, else the incident's, else any agent in the call taker role.
    takers = [
        a
        for a in read.all_of(call.get("agentReference")) + read.all_of(incident.get("agentReference"))
        if _role(a[1], ids.CALL_TAKER_ROLE)
    ]
    takers += [
        (["agentComponent", i], a)
        for i, a in enumerate(document.get("agentComponent") or [])
        if _role(a, ids.CALL_TAKER_ROLE)
    ]
    taker = takers[0] if takers else read.first(call.get("agentReference"), incident.get("agentReference"))
    call_taker = _person(read, *taker) if taker else None
    position = (
        read.text(
            [*taker[0], "agentWorkstationPositionIdentification"],
            taker[1].get("agentWorkstationPositionIdentification"),
            128,
        )
        if taker
        else None
    )
    location = read.first(incident.get("locationReference"), call.get("locationReference"))
    latitude = longitude = None
    address = None
    if location:
        address = read.text([*location[0], "locationDescriptionText"], location[1].get("locationDescriptionText"), 500)
        match = _POS.search(location[1].get("locationByValue") or "")
        if match:
            try:
                latitude, longitude = float(match[1]), float(match[2])
            except ValueError:
                latitude = longitude = math.nan
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                latitude = longitude = None
                read.errors.append(
                    FieldError(
                        pointer([*location[0], "locationByValue"]), "the point is not a WGS 84 latitude and longitude"
                    )
                )
    caller = read.first(incident.get("personReference"), call.get("personReference"))
    people = [
        (p, c)
        for p, c in read.by_id.values()
        if p[0] == "personComponent"
        and _role({"agentRoleRegistryText": c["personIncidentRoleRegistryText"]}, ids.CALLER_ROLE)
    ]
    caller = people[0] if people else caller
    caller_name = caller_number = None
    if caller:
        name = ((caller[1].get("ncPersonComponent") or {}).get("PersonName") or {}).get("PersonFullName")
        caller_name = read.text([*caller[0], "ncPersonComponent", "PersonName", "PersonFullName"], name, 200)
    callback = read.first(caller[1].get("callBackReference") if caller else None, call.get("callBackReference"))
    if callback:
        uris = callback[1].get("callBackInformationUri") or []
        number = str(uris[0]).removeprefix("tel:") if uris else None
        caller_number = read.text([*callback[0], "callBackInformationUri", 0], number, 64)
    statuses = incident.get("incidentStatusInternalText") or []
    common = incident.get("incidentStatusCommonRegistryText") or []
    closed_common = any(str(s).lower() == "closed" for s in common)
    status = statuses[0] if statuses and statuses[0] in STATUSES else ("resolved" if closed_common else "created")
    disposition_items = incident.get("dispositionComponent") or []
    primary = next(
        (d for d in disposition_items if d.get("dispositionPrimaryIndicator")),
        disposition_items[0] if disposition_items else None,
    )
    disposition_at = [*at, "dispositionComponent", disposition_items.index(primary)] if primary else []
    closed_at = (
        read.time([*disposition_at, "lastUpdateTimeStamp"], primary["lastUpdateTimeStamp"])
        if primary and status in _FINAL
        else None
    )
    type_text = incident.get("incidentTypeInternalText")
    if type_text is None and incident["incidentTypeCommonRegistryText"] != ids.UNKNOWN_TYPE:
        type_text = incident["incidentTypeCommonRegistryText"]
    agency_card = ids.read_jcard(agency.get("agencyJcard")) if agency else {}
    radio = next(
        (
            c
            for p, c in read.by_id.values()
            if p[0] == "sharedCommunicationResourceComponent"
            and c["sharedCommunicationResourceType"] == ids.RADIO_CHANNEL
        ),
        None,
    )
    received = read.time([*call_at, "callStartTimestamp"], call.get("callStartTimestamp"))
    picked_up = read.time([*call_at, "answerDate"], call.get("answerDate"))
    hung_up = (
        read.time([*call_at, "lastUpdateTimeStamp"], call.get("lastUpdateTimeStamp"))
        if call.get("callStateRegistryText") == "callEnd"
        else None
    )
    dispatched: dict[str, datetime] = {}
    for i, item in enumerate(document.get("dispatchComponent") or []):
        when = read.time(["dispatchComponent", i, "lastUpdateTimeStamp"], item["lastUpdateTimeStamp"])
        for resource in read.all_of(item.get("emergencyResourceReference")):
            if when is not None:
                dispatched.setdefault(resource[1]["$id"], when)
    responders: dict[tuple[str, str], ResponderCommand] = {}
    for i, resource in enumerate(document.get("emergencyResourceComponent") or []):
        responder = _responder(read, ["emergencyResourceComponent", i], resource, dispatched)
        if responder is not None:
            responders[responder.key] = responder
    notes = []
    for i, note in enumerate(document.get("notesComponent") or []):
        if not note["notesActionComments"].strip():
            continue  # a note without text carries nothing (it stays in the raw payload), as at the GovWorx door
        author = read.get(note.get("agentReference"))
        author_person = _person(read, *author) if author else None
        notes.append(
            NoteCommand(
                text=html.unescape(note["notesActionComments"]),
                noted_at=read.time(["notesComponent", i, "lastUpdateTimeStamp"], note["lastUpdateTimeStamp"]),
                author=author_person.personnel_id if author_person else None,
                source_note_id=read.text(["notesComponent", i, "$id"], note["$id"], 256),
            )
        )
    documents = incident.get("documentIdentification") or []
    fields: IncidentFields = {
        "number": read.text([*at, "internalIncidentId"], incident.get("internalIncidentId"), 128),
        "case_number": read.text([*at, "documentIdentification", 0], documents[0] if documents else None, 128),
        "incident_type": read.text([*at, "incidentTypeInternalText"], type_text, 200),
        "priority": read.text([*at, "incidentPriorityInternalText"], incident.get("incidentPriorityInternalText"), 64),
        "status": status,
        "disposition": read.text(
            [*disposition_at, "dispositionCommonRegistryCode"],
            primary and primary["dispositionCommonRegistryCode"],
            200,
        ),
        "closed_at": closed_at,
        "resolved_at": closed_at,
        "caller_name": caller_name,
        "caller_number": caller_number,
        "agency": read.text([*(agency_at or []), "agencyJcard"], agency_card.get("fn"), 128),
        "agency_type": read.text(
            [*(agency_at or []), "agencyType", 0],
            (agency or {}).get("agencyType", [None])[0] if (agency or {}).get("agencyType") else None,
            64,
        ),
        "response_area": read.text([*at, "beatOrDispatchGroupText"], incident.get("beatOrDispatchGroupText"), 128),
        "radio_channel": read.text(
            ["sharedCommunicationResourceComponent"], radio and radio.get("sharedCommunicationResourceByValue"), 128
        ),
        "call_source": read.text([*call_at, "localCallType"], call.get("localCallType"), 128),
        "call_position": position,
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "source_created_at": read.time([*at, "lastUpdateTimeStamp"], incident["lastUpdateTimeStamp"]),
        "call_received_at": received,
        "call_picked_up_at": picked_up,
        "call_hung_up_at": hung_up,
        "dispatched_at": min((r.dispatched_at for r in responders.values() if r.dispatched_at), default=None),
    }
    external_id = read.text([*at, "$id"], incident["$id"], 256)
    if read.errors or external_id is None:
        raise _refuse(read.errors or [FieldError("/incidentComponent/$id", "is required")])
    return SourceIncident(
        source=SOURCE,
        external_id=external_id,
        fields=fields,
        raw=document,
        call_taker=call_taker,
        notes=notes,
        responders=list(responders.values()),
        known_keys=ENVELOPE,
    )
