"""Request and response models of the API keys API (Sety's CreateApiKeyRequest and ApiKey)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from incidenthub.auth import scopes as scope_names
from incidenthub.auth.scopes import Scope

Environment = Literal["live", "test"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ApiKeyCreate(BaseModel):
    """Sety's CreateApiKeyRequest."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="What the key is for (1 to 200 characters)")
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=len(scope_names.KNOWN),
        description="Scopes the key holds; `*` grants all. Only scopes the calling key holds itself can be granted",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the key stops working (ISO 8601 with offset, in the future); null: never"
    )
    environment: Environment = Field(
        default="live", description="`live` or `test`: the key starts `ih_live_` or `ih_test_` (a label only)"
    )


class ApiKeyRead(BaseModel):
    """Sety's ApiKey: never the secret, never its hash."""

    key_id: str
    name: str | None
    prefix: str = Field(description="The key's public start (`ih_live_<lookup>`), to recognise it; not a secret")
    environment: Environment | None = Field(
        description="null for a key made before environments (`ih_<lookup>_...`), which works as before"
    )
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = Field(description="Set once the key is revoked; it then answers 401")
    last_used_at: datetime | None = Field(description="Updated at most once a minute per server process")


class ApiKeyWithSecret(ApiKeyRead):
    key: str = Field(description="The whole key (`ih_live_...`), shown only now: only a hash of it is kept")


class ApiKeyList(BaseModel):
    data: list[ApiKeyRead] = Field(description="Every key of the tenant, revoked ones too, newest first")


class KeyTenant(BaseModel):
    slug: str
    name: str
    timezone: str = Field(description="IANA name of the tenant's zone")


class CurrentApiKey(ApiKeyRead):
    """The calling key as it sees itself, and its tenant: what a client (the board) shows and allows."""

    tenant: KeyTenant
