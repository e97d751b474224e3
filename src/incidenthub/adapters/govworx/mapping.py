"""Pure mapping between GovWorx's upload format and the canonical incident. No database here.

Offset-less times: with `convertFromUtc` true (the default) they are UTC; with false they are the
tenant's local time. A local time that occurs twice (the hour after a DST fall-back) is read as
the first occurrence; a local time that does not exist (the skipped hour of a spring-forward) is
read with the offset in force before the change, i.e. it lands that many minutes later. Python's
`zoneinfo` with `fold=0` (PEP 495) does exactly this. An explicit offset in a value always wins.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import ValidationError

from incidenthub.adapters.govworx import SOURCE
from incidenthub.adapters.govworx.schemas import UploadIncident
from incidenthub.clock import iso_utc
from incidenthub.errors import FieldError, Invalid
from incidenthub.incidents.commands import IncidentFields, NoteCommand, PersonCommand, ResponderCommand, SourceIncident
from incidenthub.inputs import unstorable
from incidenthub.models import Incident

# The upload's fields in the vendor's order (the columns of a CSV export).
UPLOAD_FIELDS: tuple[str, ...] = tuple(UploadIncident.model_fields)


def _field(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location)


def parse_upload(raw: Any, *, checked: bool = False) -> UploadIncident:
    """Validate an upload body; Invalid (naming each field) when it is not acceptable. `checked`: the
    caller already knows the body holds no NUL, NaN or deep nesting (the import, from the line's bytes)."""
    if not isinstance(raw, dict):
        raise Invalid("the body must be a JSON object", [FieldError("body", "must be a JSON object")])
    if "id" in raw:
        message = "do not send 'id': identify the incident from your CAD with 'sysId'"
        raise Invalid(message, [FieldError("id", message)])
    bad = None if checked else unstorable(raw)
    if bad:
        raise Invalid(f"{bad[0]}: {bad[1]}", [FieldError(*bad)])
    try:
        return UploadIncident.model_validate(raw)
    except ValidationError as error:
        fields = [FieldError(_field(tuple(e["loc"])), e["msg"]) for e in error.errors()]
        raise Invalid("; ".join(f"{f.field}: {f.message}" for f in fields), fields) from None


_FIRST_YEAR, _LAST_YEAR = 1900, 2200


class _Times:
    """Reads the upload's times, collecting every unreadable one before failing."""

    def __init__(self, local: tzinfo) -> None:
        self.local = local
        self.errors: list[FieldError] = []

    def __call__(self, field: str, value: str | None) -> datetime | None:
        if value is None:
            return None
        try:
            if len(value) < 16:  # a date alone is not a time: "2026-01-06" would silently mean midnight
                raise ValueError(value)
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=self.local)  # fold=0: see the module docstring
            if not _FIRST_YEAR <= parsed.year <= _LAST_YEAR:
                raise ValueError(value)
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            self.errors.append(
                FieldError(field, f"not an ISO 8601 date-time between {_FIRST_YEAR} and {_LAST_YEAR}: {value!r}")
            )
            return None


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    first, _, last = name.partition(" ")
    return first, last.strip() or None


def to_command(upload: UploadIncident, raw: dict[str, Any], local: tzinfo | None) -> SourceIncident:
    """The canonical upsert for an upload; `local` is the tenant's zone when convertFromUtc=false."""
    time = _Times(local or UTC)
    incident_date = time("incidentDate", upload.incidentDate)
    received = time("callReceivedTime", upload.callReceivedTime)
    picked_up = time("callPickupTime", upload.callPickupTime)
    if received is None and picked_up is None:  # the seed's fallbacks
        received = picked_up = incident_date
    elif picked_up is None:
        picked_up = received
    closed = time("closedAt", upload.closedAt)
    notes: dict[tuple[str, ...], NoteCommand] = {}
    for i, note in enumerate(upload.notes or []):
        if not note.note:
            continue  # a note without text carries nothing; it stays in the raw payload
        command = NoteCommand(
            text=note.note,
            noted_at=time(f"notes.{i}.noteAt", note.noteAt),
            author=note.noteBy,
            source_note_id=note.noteId,
        )
        notes[command.dedupe_key] = command  # the same note twice in one upload: the last one counts
    responders: dict[tuple[str, str], ResponderCommand] = {}
    for i, item in enumerate(upload.responders or []):
        if not item.personnelId and not item.unitName:
            time.errors.append(FieldError(f"responders.{i}", "needs personnelId or unitName"))
            continue
        person = None
        if item.personnelId:
            person = PersonCommand(item.personnelId, item.personnelFirstName, item.personnelLastName)
        responder = ResponderCommand(
            person=person,
            unit_name=item.unitName,
            dispatched_by=item.dispatchedBy,
            dispatched_at=time(f"responders.{i}.dispatchedAt", item.dispatchedAt),
            enroute_at=time(f"responders.{i}.enrouteAt", item.enrouteAt),
            arrived_at=time(f"responders.{i}.arrivedAt", item.arrivedAt),
            cleared_at=time(f"responders.{i}.clearedAt", item.clearedAt),
        )
        responders[responder.key] = responder  # listed twice in one upload: the last one counts
    fields: IncidentFields = {
        "number": upload.number,
        "incident_type": upload.incidentType,
        "initial_incident_type": upload.initialIncidentType,
        "source_created_at": incident_date,
        "closed_at": closed,
        "resolved_at": closed,
        "status": "resolved" if closed else "created",
        "case_number": upload.caseNumber,
        "priority": upload.priority,
        "caller_number": upload.callerNumber,
        "caller_name": upload.callerName,
        "agency": upload.agency,
        "agency_type": upload.agencyType,
        "dispatch_queued_at": time("dispatchQueueAt", upload.dispatchQueueAt),
        "dispatched_at": min((r.dispatched_at for r in responders.values() if r.dispatched_at), default=None),
        "disposition": upload.disposition,
        "address": upload.location,
        "latitude": upload.latitude,
        "longitude": upload.longitude,
        "call_position": upload.callPosition,
        "call_source": upload.callSource,
        "description": upload.additionalContext,
        "response_area": upload.responseArea,
        "radio_channel": upload.radioChannel,
        "call_received_at": received,
        "call_picked_up_at": picked_up,
        "call_hung_up_at": time("callHangupTime", upload.callHangupTime),
    }
    if time.errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in time.errors), time.errors)
    first, last = _split_name(upload.callTakerName)
    return SourceIncident(
        source=SOURCE,
        external_id=upload.sysId,
        fields=fields,
        raw=raw,
        call_taker=PersonCommand(upload.callTakerId, first, last, upload.callTakerName),
        notes=list(notes.values()),
        responders=list(responders.values()),
        known_keys=frozenset(UPLOAD_FIELDS),
        related_external_ids=[upload.relatedSysId] if upload.relatedSysId else [],
    )


def _stamp(value: datetime | None) -> str | None:
    return iso_utc(value) if value else None


def to_upload(incident: Incident, related_sys_ids: list[str]) -> dict[str, Any]:
    """The incident in GovWorx's upload format (UTC times), so that it can be uploaded again."""
    taker = incident.call_taker
    upload: dict[str, Any] = {
        "sysId": incident.external_id or incident.id,
        "number": incident.number,
        "incidentType": incident.incident_type,
        "incidentDate": _stamp(incident.source_created_at),
        "callTakerId": taker.personnel_id if taker else None,
        "closedAt": _stamp(incident.closed_at),
        "caseNumber": incident.case_number,
        "priority": incident.priority,
        "callerNumber": incident.caller_number,
        "callerName": incident.caller_name,
        "agency": incident.agency,
        "agencyType": incident.agency_type,
        "dispatchQueueAt": _stamp(incident.dispatch_queued_at),
        "disposition": incident.disposition,
        "location": incident.address,
        # GovWorx returns coordinates as strings.
        "latitude": None if incident.latitude is None else repr(incident.latitude),
        "longitude": None if incident.longitude is None else repr(incident.longitude),
        "callPosition": incident.call_position,
        "callTakerName": taker.full_name if taker else None,
        "callSource": incident.call_source,
        "initialIncidentType": incident.initial_incident_type,
        "additionalContext": incident.description,
        "responseArea": incident.response_area,
        "radioChannel": incident.radio_channel,
        "callReceivedTime": _stamp(incident.call_received_at),
        "callPickupTime": _stamp(incident.call_picked_up_at),
        "callHangupTime": _stamp(incident.call_hung_up_at),
        "notes": [
            {"noteId": n.source_note_id, "note": n.text, "noteBy": n.author, "noteAt": _stamp(n.noted_at)}
            for n in incident.notes
        ],
        "responders": [
            {
                "personnelId": a.personnel.personnel_id if a.personnel else None,
                "personnelFirstName": a.personnel.first_name if a.personnel else None,
                "personnelLastName": a.personnel.last_name if a.personnel else None,
                "unitName": a.unit.call_sign if a.unit else None,
                "dispatchedBy": a.dispatched_by,
                "dispatchedAt": _stamp(a.dispatched_at),
                "enrouteAt": _stamp(a.enroute_at),
                "arrivedAt": _stamp(a.arrived_at),
                "clearedAt": _stamp(a.cleared_at),
            }
            for a in incident.assignments
        ],
        "relatedSysId": related_sys_ids[0] if related_sys_ids else None,
    }
    # Fields the CAD sent that the canonical model has no place for travel along unchanged.
    for key, value in (incident.raw_payload or {}).items():
        upload.setdefault(key, value)
    return upload
