"""Wire models of the EIDO door's own answers (the documents themselves follow NENA's schema). Pure."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# What the OpenAPI document says of an EIDO document; the full rules are NENA's schema, checked on import.
DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "EmergencyIncidentDataObjectType",
    "description": (
        "An Emergency Incident Data Object (NENA-STA-021.1, EIDO 1.0), validated against NENA's schema "
        "(components.schemas.EmergencyIncidentDataObjectType of NENA's EIDO OpenAPI document)."
    ),
    "required": [
        "$id",
        "lastUpdateTimeStamp",
        "updatedByAgencyReference",
        "eidoVersion",
        "issuingElementIdentification",
        "agencyComponent",
    ],
    "properties": {
        "$id": {"type": "string"},
        "lastUpdateTimeStamp": {"type": "string", "format": "date-time"},
        "updatedByAgencyReference": {
            "type": "object",
            "required": ["$ref"],
            "properties": {"$ref": {"type": "string"}},
        },
        "eidoVersion": {"type": "string", "enum": ["1.0"]},
        "issuingElementIdentification": {"type": "string"},
        "incidentComponent": {"type": "object"},
        "agencyComponent": {"type": "array", "items": {"type": "object"}},
    },
}


class EidoImported(BaseModel):
    """What an import did to the incident the document's `incidentComponent.$id` names."""

    incident_id: str = Field(description="The incident in this tenant (GET /v1/incidents/{incident_id})")
    external_id: str = Field(description="The EIDO incident's `$id` (the incident's `external_id`, source `eido`)")
    created: bool
    updated: bool
    unchanged: bool = Field(description="The same document again: nothing was changed")
    revision: int
    changed: list[str] = Field(description="The canonical fields an update changed")
