"""The ceiling: a FastAPI app that only validates the GovWorx upload with Pydantic and answers 200.

No database, no auth, nothing else: what one Python web process per core can do with this payload on this
machine. Run as `uvicorn bench.ceiling:app --workers N` (bench/harness/runner.py starts it that way).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Note(_Model):
    note_id: str | None = Field(None, alias="noteId")
    note: str | None = None
    note_by: str | None = Field(None, alias="noteBy")
    note_at: datetime | None = Field(None, alias="noteAt")


class Responder(_Model):
    personnel_id: str | None = Field(None, alias="personnelId")
    personnel_first_name: str | None = Field(None, alias="personnelFirstName")
    personnel_last_name: str | None = Field(None, alias="personnelLastName")
    unit_name: str | None = Field(None, alias="unitName")
    dispatched_by: str | None = Field(None, alias="dispatchedBy")
    dispatched_at: datetime | None = Field(None, alias="dispatchedAt")
    enroute_at: datetime | None = Field(None, alias="enrouteAt")
    arrived_at: datetime | None = Field(None, alias="arrivedAt")
    cleared_at: datetime | None = Field(None, alias="clearedAt")


class GovWorxUpload(_Model):
    sys_id: str = Field(alias="sysId", min_length=1, max_length=256)
    number: str | None = None
    incident_type: str | None = Field(None, alias="incidentType")
    incident_date: datetime | None = Field(None, alias="incidentDate")
    call_taker_id: str | None = Field(None, alias="callTakerId")
    closed_at: datetime | None = Field(None, alias="closedAt")
    case_number: str | None = Field(None, alias="caseNumber")
    priority: str | None = None
    caller_number: str | None = Field(None, alias="callerNumber")
    caller_name: str | None = Field(None, alias="callerName")
    agency: str | None = None
    agency_type: str | None = Field(None, alias="agencyType")
    dispatch_queue_at: datetime | None = Field(None, alias="dispatchQueueAt")
    disposition: str | None = None
    location: int | str | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    call_position: str | None = Field(None, alias="callPosition")
    call_taker_name: str | None = Field(None, alias="callTakerName")
    call_source: str | None = Field(None, alias="callSource")
    initial_incident_type: str | None = Field(None, alias="initialIncidentType")
    additional_context: str | None = Field(None, alias="additionalContext")
    response_area: str | None = Field(None, alias="responseArea")
    radio_channel: str | None = Field(None, alias="radioChannel")
    call_received_time: datetime | None = Field(None, alias="callReceivedTime")
    call_pickup_time: datetime | None = Field(None, alias="callPickupTime")
    call_hangup_time: datetime | None = Field(None, alias="callHangupTime")
    notes: list[Note] = []
    responders: list[Responder] = []
    related_sys_id: str | None = Field(None, alias="relatedSysId")


app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.put("/api/v1/external/incident")
async def upload(incident: GovWorxUpload) -> dict[str, object]:
    return {"sysId": incident.sys_id, "created": True, "updated": False, "revision": 1}
