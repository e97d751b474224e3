"""Rules for tenants and API keys: creation, hashing, verification, scopes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incidenthub.audit import trail
from incidenthub.auth import scopes as scope_names
from incidenthub.auth.repository import ApiKeyRepository, TenantRepository
from incidenthub.clock import iso_utc, utcnow
from incidenthub.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, Unauthorized
from incidenthub.models import ApiKey, Tenant

KEY_PREFIX = "ih_"
_KEY_ALPHABET = string.ascii_letters + string.digits
_LOOKUP_LENGTH = 12
_SECRET_LENGTH = 32  # 32 base62 characters: about 190 bits
_COMMUNITY_ID_MAX = 128  # tenants.sonoran_community_id
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant a verified key belongs to and what it may do."""

    tenant_id: str
    tenant_slug: str
    tenant_timezone: str
    key_id: str
    scopes: tuple[str, ...]
    last_used_at: datetime | None
    # The key's own expiry, checked again whenever a cached principal is used.
    expires_at: datetime | None = None
    # The tenant's Sonoran community id: a Sonoran v1 call names it beside the key.
    sonoran_community_id: str | None = None
    # The key's name (never its secret): the audit trail names the key by it beside its id.
    key_name: str | None = None
    # Requests per minute the tenant's keys may make; None: the server's default.
    rate_limit_per_minute: int | None = None

    def may(self, scope: str) -> bool:
        """Whether the key holds `scope` (or `*`)."""
        return scope_names.grants(self.scopes, scope)

    def require(self, scope: str, *alternatives: str) -> None:
        """Forbidden unless the key holds `scope` (or one of the alternatives)."""
        wanted = (scope, *alternatives)
        if not any(scope_names.grants(self.scopes, one) for one in wanted):
            raise Forbidden(f"this API key lacks the scope {' or '.join(repr(one) for one in wanted)}")


def slugify(name: str) -> str:
    """A URL-safe slug from a display name: `Metro 911 (North)` -> `metro-911-north`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")


def check_timezone(name: str) -> str:
    """The IANA zone name if it exists; otherwise an error that says so."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"unknown timezone {name!r}: use an IANA name such as 'America/Chicago' or 'UTC'",
            [FieldError("timezone", "unknown IANA timezone")],
        ) from None
    if name not in available_timezones() and name != "UTC":
        raise Invalid(f"unknown timezone {name!r}", [FieldError("timezone", "unknown IANA timezone")])
    return name


def check_community_id(value: str) -> str | None:
    """A Sonoran community id as stored: trimmed, None when empty; an error when it cannot be one."""
    community = value.strip() or None
    if community is not None and (len(community) > _COMMUNITY_ID_MAX or "\x00" in community):
        raise Invalid(
            f"a Sonoran community id has 1 to {_COMMUNITY_ID_MAX} characters (no NUL)",
            [FieldError("sonoran_community_id", f"1 to {_COMMUNITY_ID_MAX} characters")],
        )
    return community


def tenant_view(tenant: Tenant) -> dict[str, Any]:
    """The tenant as the CLI prints it."""
    return {
        "id": tenant.id,
        "slug": tenant.slug,
        "name": tenant.name,
        "timezone": tenant.timezone,
        "sonoran_community_id": tenant.sonoran_community_id,
        # None: the server's default (INCIDENTHUB_RATE_LIMIT_PER_MINUTE).
        "rate_limit_per_minute": tenant.rate_limit_per_minute,
        "created_at": iso_utc(tenant.created_at),
    }


def create_tenant(
    session: Session,
    name: str,
    slug: str | None = None,
    timezone: str = "UTC",
    sonoran_community_id: str | None = None,
) -> Tenant:
    """A new tenant; the slug defaults to the slugified name."""
    if not name.strip() or len(name) > 200:
        raise Invalid("name must have 1 to 200 characters", [FieldError("name", "1 to 200 characters")])
    slug = slug if slug is not None else slugify(name)
    if not _SLUG_RE.match(slug):
        raise Invalid(
            f"invalid slug {slug!r}: lowercase letters, digits and dashes, at most 64",
            [FieldError("slug", "invalid slug")],
        )
    check_timezone(timezone)
    sonoran_community_id = check_community_id(sonoran_community_id or "")
    tenants = TenantRepository(session)
    if tenants.by_slug(slug) is not None:
        raise Conflict(f"a tenant with slug {slug!r} already exists")
    if sonoran_community_id and tenants.by_sonoran_community_id(sonoran_community_id) is not None:
        raise Conflict(f"Sonoran community id {sonoran_community_id!r} already belongs to another tenant")
    tenant = Tenant(name=name.strip(), slug=slug, timezone=timezone, sonoran_community_id=sonoran_community_id)
    try:
        with session.begin_nested():
            tenants.add(tenant)
    except IntegrityError:
        raise Conflict(f"a tenant with slug {slug!r} already exists") from None
    return tenant


def update_tenant(
    session: Session,
    slug: str,
    name: str | None = None,
    timezone: str | None = None,
    sonoran_community_id: str | None = None,
) -> Tenant:
    """Change a tenant's name, timezone or Sonoran community id (an empty id removes it); None keeps a value."""
    tenants = TenantRepository(session)
    tenant = tenants.by_slug(slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {slug!r}")
    if name is None and timezone is None and sonoran_community_id is None:
        raise Invalid(
            "nothing to change: give --name, --timezone or --sonoran-community-id",
            [FieldError("tenant", "nothing to change")],
        )
    if name is not None:
        if not name.strip() or len(name) > 200:
            raise Invalid("name must have 1 to 200 characters", [FieldError("name", "1 to 200 characters")])
        tenant.name = name.strip()
    if timezone is not None:
        tenant.timezone = check_timezone(timezone)
    if sonoran_community_id is not None:
        community = check_community_id(sonoran_community_id)
        if community is not None:
            holder = tenants.by_sonoran_community_id(community)
            if holder is not None and holder.id != tenant.id:
                raise Conflict(f"Sonoran community id {community!r} already belongs to tenant {holder.slug!r}")
        tenant.sonoran_community_id = community
    try:
        session.flush()
    except IntegrityError:  # another writer took the community id between the check and the flush
        raise Conflict(f"Sonoran community id {sonoran_community_id!r} already belongs to another tenant") from None
    return tenant


RATE_LIMIT_MAX = 1_000_000


def set_rate_limit(tenant: Tenant, per_minute: int) -> None:
    """The requests per minute each of the tenant's keys may make; 0 returns to the server's default.

    Servers apply a change within `key_cache_seconds` (the limit travels with a verified key)."""
    if not 0 <= per_minute <= RATE_LIMIT_MAX:
        message = f"a rate limit is 1 to {RATE_LIMIT_MAX:,} requests per minute (0: the server's default)"
        raise Invalid(f"--rate-limit: {message}", [FieldError("rate_limit", message)])
    tenant.rate_limit_per_minute = per_minute or None


def hash_secret(raw_key: str) -> str:
    # Keys are ~190 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw_key.encode()).hexdigest()


# A key names its environment after `ih_`, as Sety's do (`sety_live_...`, `sety_test_...`). The environment
# is a label the key carries and lists with; it does not separate data (a tenant's keys see the same records).
ENVIRONMENTS: tuple[str, ...] = ("live", "test")


def key_parts(raw_key: str) -> tuple[str | None, str, str] | None:
    """(environment, lookup, secret) of a key as presented: `ih_live_<lookup>_<secret>`, `ih_test_...`, or
    a key made before environments, `ih_<lookup>_<secret>` (environment None); None when it is neither."""
    if not raw_key.startswith(KEY_PREFIX) or "\x00" in raw_key:
        return None
    rest = raw_key[len(KEY_PREFIX) :]
    head, _, after = rest.partition("_")
    # A lookup is 12 letters and digits, so it is never taken for an environment.
    environment = head if head in ENVIRONMENTS else None
    lookup, _, secret = (after if environment else rest).partition("_")
    if len(lookup) != _LOOKUP_LENGTH:
        return None
    return environment, lookup, secret


def public_prefix(key: ApiKey) -> str:
    """The start of a key that may be shown (`ih_live_<lookup>`): it identifies the key, the secret follows."""
    return KEY_PREFIX + (f"{key.environment}_" if key.environment else "") + key.prefix


def key_view(key: ApiKey) -> dict[str, Any]:
    """A key as lists show it: never the secret, never its hash."""
    return {
        "key_id": key.id,
        "name": key.name,
        "prefix": public_prefix(key),
        "environment": key.environment,
        "scopes": list(key.scopes),
        "created_at": iso_utc(key.created_at),
        "expires_at": iso_utc(key.expires_at) if key.expires_at else None,
        "revoked_at": iso_utc(key.revoked_at) if key.revoked_at else None,
        "last_used_at": iso_utc(key.last_used_at) if key.last_used_at else None,
    }


@dataclass(frozen=True)
class IssuedKey:
    """A freshly made key; `secret` exists only here and is never stored."""

    key: ApiKey
    tenant: Tenant
    secret: str

    def view(self) -> dict[str, Any]:
        return {
            "id": self.key.id,
            "key": self.secret,
            "name": self.key.name,
            "scopes": list(self.key.scopes),
            "environment": self.key.environment,
            "tenant": self.tenant.slug,
            "expires_at": iso_utc(self.key.expires_at) if self.key.expires_at else None,
        }


def create_key(
    session: Session,
    tenant_slug: str,
    scopes: list[str],
    name: str | None = None,
    expires_at: datetime | None = None,
    environment: str = "live",
) -> IssuedKey:
    """A new API key for a tenant with the given scopes: `ih_<environment>_<lookup>_<secret>`."""
    tenant = TenantRepository(session).by_slug(tenant_slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {tenant_slug!r}")
    if not scopes:
        raise Invalid("at least one scope is needed", [FieldError("scopes", "at least one scope")])
    unknown = sorted(set(scopes) - scope_names.KNOWN)
    if unknown:
        raise Invalid(
            f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(sorted(scope_names.KNOWN))}",
            [FieldError("scopes", "unknown scope")],
        )
    if environment not in ENVIRONMENTS:
        raise Invalid(
            f"unknown environment {environment!r}: live or test",
            [FieldError("environment", "live or test")],
        )
    if name is not None and (not name.strip() or len(name) > 200):
        raise Invalid("name must have 1 to 200 characters", [FieldError("name", "1 to 200 characters")])
    if expires_at is not None and expires_at.tzinfo is None:
        raise Invalid("expires_at needs a UTC offset", [FieldError("expires_at", "needs a UTC offset")])
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid("expires_at is in the past", [FieldError("expires_at", "must be in the future")])
    lookup = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(_LOOKUP_LENGTH))
    random_part = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(_SECRET_LENGTH))
    secret = f"{KEY_PREFIX}{environment}_{lookup}_{random_part}"
    key = ApiKey(
        tenant_id=tenant.id,
        name=name.strip() if name is not None else None,
        prefix=lookup,
        secret_hash=hash_secret(secret),
        environment=environment,
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    ApiKeyRepository(session).add(key)
    return IssuedKey(key=key, tenant=tenant, secret=secret)


def issue_key(
    session: Session,
    caller: Principal,
    scopes: list[str],
    name: str,
    expires_at: datetime | None,
    environment: str,
) -> IssuedKey:
    """A new key of the caller's tenant, made over the API: it may hold only scopes the caller's key holds."""
    beyond = sorted(
        one
        for one in set(scopes)
        if (scope_names.ALL not in caller.scopes if one == scope_names.ALL else not caller.may(one))
    )
    if beyond:
        raise Forbidden(
            f"this API key cannot grant the scope {', '.join(repr(one) for one in beyond)}: it does not hold it"
        )
    issued = create_key(session, caller.tenant_slug, scopes, name, expires_at, environment)
    trail.collect(session, None, record_id=issued.key.id, event="api_key_created", fields=["scopes"])
    return issued


def list_keys(session: Session, tenant_id: str) -> list[ApiKey]:
    """Every key of a tenant, revoked ones too, newest first."""
    return ApiKeyRepository(session).of_tenant(tenant_id)


def revoke_key(session: Session, key_id: str, tenant_id: str | None = None) -> ApiKey:
    """Revoke a key (of `tenant_id`, when given: another tenant's key is not found); servers stop accepting it
    within `key_cache_seconds`. Revoking twice is harmless: the first revocation's time stays."""
    key = ApiKeyRepository(session).get(key_id)
    if key is None or (tenant_id is not None and key.tenant_id != tenant_id):
        raise NotFound(f"no API key with id {key_id!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        trail.collect(session, None, record_id=key.id, event="api_key_revoked", fields=["revoked_at"])
    return key


def current_key(session: Session, key_id: str) -> dict[str, Any]:
    """The calling key as it sees itself (never the secret) and its tenant's slug and name."""
    found = ApiKeyRepository(session).with_tenant(key_id)
    if found is None:  # deleted since this process verified it (within key_cache_seconds)
        raise KeyRejected(key_id)
    key, tenant = found
    return {**key_view(key), "tenant": {"slug": tenant.slug, "name": tenant.name, "timezone": tenant.timezone}}


class KeyRejected(Unauthorized):
    """A presented key failed; `key_id` names the real key it claimed to be (wrong secret, revoked, expired)."""

    def __init__(self, key_id: str | None = None) -> None:
        super().__init__("missing or invalid API key")
        self.key_id = key_id


def authenticate(session: Session, raw_key: str) -> Principal:
    """The principal of a presented key; any failure is the same 401, whatever the reason."""
    rejected = KeyRejected()
    parts = key_parts(raw_key)
    if parts is None:
        raise rejected
    found = ApiKeyRepository(session).by_prefix(parts[1])
    if found is None:
        raise rejected
    key, tenant = found
    rejected = KeyRejected(key.id)
    # The hash covers the whole key, environment included: `ih_test_` in front of a live key's lookup fails.
    if not hmac.compare_digest(key.secret_hash, hash_secret(raw_key)):
        raise rejected
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise rejected
    return Principal(
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        tenant_timezone=tenant.timezone,
        key_id=key.id,
        scopes=tuple(key.scopes),
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        sonoran_community_id=tenant.sonoran_community_id,
        key_name=key.name,
        rate_limit_per_minute=tenant.rate_limit_per_minute,
    )


def touch_key(session: Session, key_id: str) -> None:
    """Record that a key was just used."""
    ApiKeyRepository(session).touch(key_id, utcnow())


def bootstrap_tenant(session: Session) -> bool:
    """On an empty database: tenant `default` (UTC), and True. Otherwise nothing, and False."""
    if TenantRepository(session).count() > 0:
        return False
    create_tenant(session, name="default", slug="default", timezone="UTC")
    return True


def first_key(session: Session) -> IssuedKey:
    """The first start's key of tenant `default`, with every scope."""
    return create_key(session, "default", [scope_names.ALL], name="bootstrap")


def tenant_needing_a_key(session: Session) -> str | None:
    """When tenants exist but no key works (all revoked or expired): the slug to make one for; else None."""
    if ApiKeyRepository(session).any_usable(utcnow()):
        return None
    tenants = TenantRepository(session)
    default = tenants.by_slug("default")
    if default is not None:
        return default.slug
    every = tenants.all()
    return every[0].slug if every else None
