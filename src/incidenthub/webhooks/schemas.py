"""Request and response models of the webhooks API (Sety's WebhookEndpoint and WebhookDelivery)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

EventPattern = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$"),
]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Description = Annotated[str, StringConstraints(max_length=500)]

_EVENTS_HELP = "Event types to receive: exact (`incident.created`), a prefix (`incident.*`) or `*` for all"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="Where to POST events: http or https, not an internal address")
    events: list[EventPattern] = Field(
        default_factory=lambda: ["*"], min_length=1, max_length=50, description=_EVENTS_HELP
    )
    description: Description | None = None
    active: bool = True


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    events: list[EventPattern] | None = Field(default=None, min_length=1, max_length=50, description=_EVENTS_HELP)
    description: Description | None = None
    active: bool | None = Field(default=None, description="true re-enables an endpoint the worker disabled")


class WebhookRead(BaseModel):
    webhook_id: str
    kind: Literal["webhook", "sonoran"] = Field(description="`sonoran`: a Sonoran game server's push URL")
    url: str
    events: list[str]
    description: str | None
    active: bool
    disabled_reason: str | None = Field(description="Why the worker disabled the endpoint, if it did")
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation: until when the old secret still signs alongside the new one"
    )
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    secret: str = Field(description="The signing secret (`whsec_...`), shown only now")


class WebhookPage(BaseModel):
    data: list[WebhookRead]
    page: int
    limit: int
    total: int
    has_more: bool


class AttemptRead(BaseModel):
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    response_excerpt: str | None
    error: str | None
    next_attempt_at: datetime | None


class DeliveryRead(BaseModel):
    delivery_id: str
    webhook_id: str
    event_id: str = Field(description="The event's id, sent as `webhook-id` on every attempt")
    event_type: str
    incident_id: str | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptRead]


class DeliveryPage(BaseModel):
    data: list[DeliveryRead]
    page: int
    limit: int
    total: int
    has_more: bool
