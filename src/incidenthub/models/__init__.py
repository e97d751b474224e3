"""ORM tables, one module per group; importing this package registers them all."""

from incidenthub.models.access import AccessCode, AccessGuess, AccessLog, AccessSite
from incidenthub.models.analytics import (
    ResponseTimeCount,
    ResponseTimeCounted,
    ResponseTimeMonth,
    ResponseTimes,
    UnitResponseTimes,
)
from incidenthub.models.audit import AuditEntry
from incidenthub.models.base import Base
from incidenthub.models.devrev import CustomSchemaFragment, Tag
from incidenthub.models.dispatch import Assignment, Personnel, Unit
from incidenthub.models.events import OutboxEvent
from incidenthub.models.incidents import DeletedIncident, Incident, IncidentLink, Note, TimelineEvent
from incidenthub.models.recordings import Recording
from incidenthub.models.safety import SafePlace, SafetyCell, SafetyHour, SafetyPoint, SafetyRegion
from incidenthub.models.sonoran import SonoranCall
from incidenthub.models.tenants import ApiKey, RateCounter, Tenant, TenantCounter
from incidenthub.models.webhooks import WebhookAttempt, WebhookCursor, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AccessCode",
    "AccessGuess",
    "AccessLog",
    "AccessSite",
    "ApiKey",
    "Assignment",
    "AuditEntry",
    "Base",
    "CustomSchemaFragment",
    "DeletedIncident",
    "Incident",
    "IncidentLink",
    "Note",
    "OutboxEvent",
    "Personnel",
    "RateCounter",
    "Recording",
    "ResponseTimeCount",
    "ResponseTimeCounted",
    "ResponseTimeMonth",
    "ResponseTimes",
    "SafePlace",
    "SafetyCell",
    "SafetyHour",
    "SafetyPoint",
    "SafetyRegion",
    "SonoranCall",
    "Tag",
    "Tenant",
    "TenantCounter",
    "TimelineEvent",
    "Unit",
    "UnitResponseTimes",
    "WebhookAttempt",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookEndpoint",
]
