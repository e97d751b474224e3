"""The canonical incident as an EIDO document (NENA-STA-021.1). Pure: reads the loaded incident only.

Every component's `$id` is derived from the incident's EIDO id (`ids.incident_uid`), so an exported
document imported elsewhere exports again with the same ids. The mapping choices are listed in the
README ("NENA EIDO").
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from incidenthub.adapters.eido import SOURCE, ids
from incidenthub.clock import iso_utc
from incidenthub.models import Assignment, Incident, Personnel

_FINAL = ("resolved", "cancelled")


def _iso(value: datetime | None) -> str | None:
    return iso_utc(value) if value else None


def _pidf(uid: str, latitude: float, longitude: float) -> str:
    """A PIDF-LO (RFC 4119, 5491) holding the point (WGS 84, latitude first)."""
    return (
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
        f'xmlns:gml="http://www.opengis.net/gml" entity="pres:{html.escape(uid)}"><tuple id="location"><status>'
        '<gp:geopriv><gp:location-info><gml:Point srsName="urn:ogc:def:crs:EPSG::4326">'
        f"<gml:pos>{latitude!r} {longitude!r}</gml:pos></gml:Point></gp:location-info>"
        "<gp:usage-rules/></gp:geopriv></status></tuple></presence>"
    )


class _Document:
    def __init__(self, incident: Incident) -> None:
        self.incident = incident
        self.uid = ids.incident_uid(incident.source, incident.external_id, incident.id)
        self.agency_id = f"{self.uid}:agency"
        # The time components without one of their own carry: when the source says the incident began.
        self.stamp = incident.source_created_at or incident.call_received_at or incident.created_at
        self.agents: dict[str, dict[str, Any]] = {}

    def prologue(self, component_id: str, when: datetime | None = None) -> dict[str, Any]:
        return {
            "$id": component_id,
            "lastUpdateTimeStamp": iso_utc(when or self.stamp),
            "updatedByAgencyReference": ids.ref(self.agency_id),
        }

    def agent(self, key: str, role: str, person: Personnel | None = None, **extra: Any) -> str:
        """The agent named `key` (a personnel id or a note's author), made once; returns its `$id`."""
        agent_id = f"{self.uid}:agent:{key}"
        found = self.agents.get(agent_id)
        if found is None:
            name = person.full_name if person else key
            first, last = (person.first_name, person.last_name) if person else (None, None)
            found = {
                **self.prologue(agent_id),
                "agentJcard": ids.jcard(name, key, first, last),
                "agentRoleRegistryText": [],
                "agencyReference": ids.ref(self.agency_id),
            }
            self.agents[agent_id] = found
        if role not in found["agentRoleRegistryText"]:
            found["agentRoleRegistryText"].append(role)
        found.update(extra)
        return agent_id

    def agency(self) -> dict[str, Any]:
        incident = self.incident
        component = {
            **self.prologue(self.agency_id),
            "agencyRoleDescriptionRegistryText": ["CallHandling", "Dispatch"],
            "agencyType": [incident.agency_type] if incident.agency_type else [],
            "incidentOwningAgencyIndicator": True,
        }
        if incident.agency:
            component["agencyJcard"] = ids.jcard(incident.agency)
        return component

    def unit(self, assignment: Assignment) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The assignment as an emergency resource, and its dispatch (when it has a dispatch time)."""
        person, unit = assignment.personnel, assignment.unit
        key = unit.call_sign if unit else f"~{person.personnel_id if person else assignment.id}"
        reached = [
            (status, getattr(assignment, ids.MILESTONE_TIME[status]))
            for status in ids.UNIT_STATUS.values()
            if getattr(assignment, ids.MILESTONE_TIME[status]) is not None
        ]
        resource_id = f"{self.uid}:unit:{key}"
        resource = {
            **self.prologue(resource_id, max((when for _, when in reached), default=None)),
            "emergencyResourceTypeCommonRegistryText": "Other",
            "primaryUnitStatusRegistryText": ids.UNIT_STATUS.get(assignment.status or "dispatched", "Dispatched"),
            "secondaryUnitStatusRegistryText": [],
            "resourceAttributeRegistryText": [],
            "unitStatusInternal": [f"{status} {iso_utc(when)}" for status, when in reached],
            "agentReference": [ids.ref(self.agent(person.personnel_id, ids.RESPONDER_ROLE, person))] if person else [],
        }
        if unit:
            resource["emergencyResourceName"] = unit.call_sign
        if assignment.dispatched_at is None:
            return resource, None
        dispatch = {
            **self.prologue(f"{self.uid}:dispatch:{key}", assignment.dispatched_at),
            "agencyReference": ids.ref(self.agency_id),
            "emergencyResourceReference": [ids.ref(resource_id)],
        }
        return resource, dispatch

    def build(self, issuer: str) -> dict[str, Any]:
        incident = self.incident
        taker = incident.call_taker
        taker_id = None
        if taker is not None:
            position = (
                {"agentWorkstationPositionIdentification": incident.call_position} if incident.call_position else {}
            )
            taker_id = self.agent(taker.personnel_id, ids.CALL_TAKER_ROLE, taker, **position)
        notes = []
        for note in incident.notes:
            if incident.source == SOURCE and note.source_note_id:
                note_id = note.source_note_id
            else:
                note_id = f"{self.uid}:note:{note.source_note_id or note.id}"
            note_component = {**self.prologue(note_id, note.noted_at), "notesActionComments": html.escape(note.text)}
            if note.author:
                note_component["agentReference"] = ids.ref(self.agent(note.author, ids.NOTE_AUTHOR_ROLE))
            notes.append(note_component)
        notes.sort(key=lambda note: (note["lastUpdateTimeStamp"], note["$id"]))
        resources, dispatches = [], []
        for assignment in sorted(incident.assignments, key=lambda a: (a.unit.call_sign if a.unit else "", a.id)):
            resource, dispatch = self.unit(assignment)
            resources.append(resource)
            if dispatch:
                dispatches.append(dispatch)
        location = self.location()
        person, callback = self.caller()
        call = self.call(taker_id, location, person, callback)
        component: dict[str, Any] = {
            **self.prologue(self.uid),
            "incidentTypeCommonRegistryText": incident.incident_type or ids.UNKNOWN_TYPE,
            "incidentStatusInternalText": [incident.status],
            "incidentStatusCommonRegistryText": [ids.CLOSED if incident.status in _FINAL else ids.OPEN],
            "agentReference": [ids.ref(taker_id)] if taker_id else [],
            "locationReference": [ids.ref(location["$id"])] if location else [],
            "personReference": [ids.ref(person["$id"])] if person else [],
            "notesReference": [ids.ref(note["$id"]) for note in notes],
        }
        optional = {
            "incidentTypeInternalText": incident.incident_type,
            "internalIncidentId": incident.number,
            "incidentPriorityInternalText": incident.priority,
            "beatOrDispatchGroupText": incident.response_area,
        }
        component.update({key: value for key, value in optional.items() if value is not None})
        if incident.case_number:
            component["documentIdentification"] = [incident.case_number]
        if incident.disposition or incident.closed_at:
            component["dispositionComponent"] = [
                {
                    **self.prologue(f"{self.uid}:disposition", incident.closed_at),
                    "dispositionCommonRegistryCode": incident.disposition or ids.CLOSED,
                    "dispositionPrimaryIndicator": True,
                }
            ]
        document: dict[str, Any] = {
            "$id": f"urn:emergency:uid:eido:{incident.id}:incidenthub",
            "lastUpdateTimeStamp": iso_utc(incident.updated_at),
            "updatedByAgencyReference": ids.ref(self.agency_id),
            "eidoVersion": "1.0",
            "issuingElementIdentification": issuer,
            "incidentComponent": component,
            "agencyComponent": [self.agency()],
        }
        arrays = {
            "callComponent": [call] if call else [],
            "callbackComponent": [callback] if callback else [],
            "agentComponent": list(self.agents.values()),
            "locationComponent": [location] if location else [],
            "personComponent": [person] if person else [],
            "notesComponent": notes,
            "emergencyResourceComponent": resources,
            "dispatchComponent": dispatches,
            "sharedCommunicationResourceComponent": self.radio(),
        }
        document.update({key: value for key, value in arrays.items() if value})
        return document

    def location(self) -> dict[str, Any] | None:
        incident = self.incident
        latitude, longitude = incident.latitude, incident.longitude
        if not incident.address and (latitude is None or longitude is None):
            return None
        location = {**self.prologue(f"{self.uid}:location"), "locationTypeDescriptionRegistryText": "Incident"}
        if incident.address:
            location["locationDescriptionText"] = incident.address
        if latitude is not None and longitude is not None:
            location["locationByValue"] = _pidf(self.uid, latitude, longitude)
        return location

    def caller(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        incident = self.incident
        if not incident.caller_name and not incident.caller_number:
            return None, None
        person: dict[str, Any] = {
            **self.prologue(f"{self.uid}:person:caller"),
            "personIncidentRoleRegistryText": [ids.CALLER_ROLE],
        }
        if incident.caller_name:
            person["ncPersonComponent"] = {"PersonName": {"PersonFullName": incident.caller_name}}
        callback = None
        if incident.caller_number:
            callback = {
                **self.prologue(f"{self.uid}:callback:caller"),
                "callBackInformationUri": [f"tel:{incident.caller_number}"],
            }
            person["callBackReference"] = ids.ref(callback["$id"])
        return person, callback

    def call(
        self,
        taker_id: str | None,
        location: dict[str, Any] | None,
        person: dict[str, Any] | None,
        callback: dict[str, Any] | None,
    ) -> dict[str, Any] | None:
        incident = self.incident
        received = incident.call_received_at
        if received is None:
            return None
        picked_up, hung_up = incident.call_picked_up_at, incident.call_hung_up_at
        state = "callEnd" if hung_up else "callAnswered" if picked_up else "callBegin"
        call: dict[str, Any] = {
            **self.prologue(f"{self.uid}:call", hung_up or picked_up or received),
            "callStateRegistryText": state,
            "standardPrimaryCallType": "emergency",
            "direction": "incoming",
            "callStartTimestamp": iso_utc(received),
            "agencyReference": [ids.ref(self.agency_id)],
            "agentReference": [ids.ref(taker_id)] if taker_id else [],
            "locationReference": [ids.ref(location["$id"])] if location else [],
            "personReference": [ids.ref(person["$id"])] if person else [],
        }
        if picked_up:
            call["answerDate"] = iso_utc(picked_up)
        if incident.call_source:
            call["localCallType"] = incident.call_source
        if callback:
            call["callBackReference"] = ids.ref(callback["$id"])
        return call

    def radio(self) -> list[dict[str, Any]]:
        channel = self.incident.radio_channel
        if not channel:
            return []
        return [
            {
                **self.prologue(f"{self.uid}:radio"),
                "sharedCommunicationResourceType": ids.RADIO_CHANNEL,
                "sharedCommunicationResourceByValue": channel,
            }
        ]


def document(incident: Incident, issuer: str) -> dict[str, Any]:
    """`incident` (loaded with its call taker, notes and assignments) as an EIDO issued by `issuer`."""
    return _Document(incident).build(issuer)
