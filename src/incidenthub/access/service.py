"""The state changes of access control, each run in one write-path transaction: sites, codes, check-in,
denial and checkout. One function per state change (`check_in`, `deny`, `check_out`), so whoever announces
them (webhooks) hooks in at one place each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from incidenthub.access import reads, rules
from incidenthub.access.repository import AccessRepository
from incidenthub.access.schemas import (
    AccessCodeRead,
    AccessLogCreate,
    AccessLogRead,
    CheckoutRequest,
    CreateAccessCodeRequest,
    RevokeRequest,
    SiteCreate,
    SiteRead,
    SiteUpdate,
    ValidateRequest,
    ValidationResult,
)
from incidenthub.errors import AppError, Conflict, FieldError, Invalid, NotFound
from incidenthub.events import outbox
from incidenthub.models import AccessCode, AccessGuess, AccessLog, AccessSite

DEFAULT_VALIDITY = timedelta(hours=24)
LONGEST_VALIDITY = timedelta(days=366)
# A guard's clock may run a little ahead of ours; a time further ahead is a mistake.
CLOCK_SLACK = timedelta(minutes=5)
THROTTLE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """Who records: the tenant and the API key (the throttle counts per key), and the throttle's limit."""

    tenant_id: str
    key_id: str
    unknown_codes_per_minute: int


@dataclass(frozen=True)
class CheckIn:
    """A check-in's outcome: the log entry; `denied` when it was refused (the entry records why);
    `retry_after` when the throttle refused it."""

    log: AccessLogRead
    denied: str | None = None
    retry_after: int | None = None


@dataclass(frozen=True)
class Validation:
    result: ValidationResult | None
    retry_after: int | None = None


# Sites


def _gates_checked(site: AccessSite, gates: list[str], field: str) -> list[str]:
    unknown = [gate for gate in gates if gate not in site.gates]
    if site.gates and unknown:
        message = f"unknown gate(s) {', '.join(unknown)}; this site's gates: {', '.join(site.gates)}"
        raise Invalid(f"{field}: {message}", [FieldError(field, message)])
    return gates


def create_site(session: Session, tenant_id: str, default_timezone: str, body: SiteCreate, now: datetime) -> SiteRead:
    site = AccessSite(
        tenant_id=tenant_id,
        name=body.name,
        address=body.address,
        longitude=body.coordinates[0] if body.coordinates else None,
        latitude=body.coordinates[1] if body.coordinates else None,
        timezone=body.timezone or default_timezone,
        gates=list(body.gates),
        created_at=now,
        updated_at=now,
    )
    AccessRepository(session).add(site)
    return reads.site_read(site)


def update_site(session: Session, tenant_id: str, site_id: str, body: SiteUpdate, now: datetime) -> SiteRead:
    site = reads.site_or_404(session, tenant_id, site_id)
    sent = body.model_fields_set
    # What every site has (name, timezone, gates) is left as it is when sent null; address and coordinates clear.
    if body.name is not None:
        site.name = body.name
    if "address" in sent:
        site.address = body.address
    if "coordinates" in sent:
        site.longitude, site.latitude = body.coordinates if body.coordinates else (None, None)
    if body.timezone is not None:
        site.timezone = body.timezone
    if body.gates is not None:
        site.gates = list(body.gates)
    site.updated_at = now
    session.flush()
    return reads.site_read(site)


# Access codes


def create_code(session: Session, tenant_id: str, body: CreateAccessCodeRequest, now: datetime) -> AccessCodeRead:
    site = reads.site_or_404(session, tenant_id, body.site_id, "site_id")
    gates = _gates_checked(site, body.gates, "gates")
    valid_from = body.valid_from or now
    valid_until = body.valid_until or valid_from + DEFAULT_VALIDITY
    if valid_until <= valid_from:
        raise Invalid("valid_until is not after valid_from", [FieldError("valid_until", "must be after valid_from")])
    if valid_until - valid_from > LONGEST_VALIDITY:
        message = f"must be at most {LONGEST_VALIDITY.days} days after valid_from"
        raise Invalid(f"valid_until: {message}", [FieldError("valid_until", message)])
    repository = AccessRepository(session)
    code = rules.new_code()
    while repository.code_taken(tenant_id, code):  # one in a trillion per tenant: draw again
        code = rules.new_code()
    host = body.host
    row = AccessCode(
        tenant_id=tenant_id,
        site_id=site.id,
        code=code,
        token=rules.new_token(),
        visitor_name=body.visitor.name,
        visitor_phone=body.visitor.phone,
        visitor_email=body.visitor.email,
        visitor_reference=body.visitor.reference,
        host_name=host.name if host else None,
        host_unit=host.unit if host else None,
        host_phone=host.phone if host else None,
        purpose=body.purpose,
        valid_from=valid_from,
        valid_until=valid_until,
        max_uses=body.max_uses,
        uses=0,
        gates=gates,
        extra=body.metadata,
        created_at=now,
        updated_at=now,
    )
    repository.add(row)
    return reads.code_read(row, now)


def revoke_code(
    session: Session, tenant_id: str, code_id: str, body: RevokeRequest | None, now: datetime
) -> AccessCodeRead:
    code = AccessRepository(session).code(tenant_id, code_id)
    if code is None:
        raise NotFound(f"Access code {code_id} not found")
    if code.revoked_at is not None:
        raise Conflict(f"Access code {code_id} is already revoked")
    code.revoked_at = now
    code.revoke_reason = body.reason if body else None
    code.updated_at = now
    session.flush()
    return reads.code_read(code, now)


# The gate


def _throttled(repository: AccessRepository, site_id: str, caller: Caller, now: datetime) -> int | None:
    """Seconds to wait when this key presented too many unknown codes at this site in the last minute."""
    repository.forget_guesses(site_id, caller.key_id, now - THROTTLE_WINDOW)
    recent = repository.guesses_since(site_id, caller.key_id, now - THROTTLE_WINDOW)
    return rules.retry_after(recent, caller.unknown_codes_per_minute, now, THROTTLE_WINDOW)


def _lookup(repository: AccessRepository, tenant_id: str, code: str | None, token: str | None) -> AccessCode | None:
    if code is not None:
        return repository.code_by_text(tenant_id, code=rules.normalize_code(code))
    return repository.code_by_text(tenant_id, token=token)


def validate(session: Session, caller: Caller, body: ValidateRequest, now: datetime) -> Validation:
    """Whether a code would let its holder in at this site and gate now. Uses nothing; an unknown code counts
    towards the throttle, and a throttled attempt is kept in the log as denied."""
    site = reads.site_or_404(session, caller.tenant_id, body.site_id, "site_id")
    repository = AccessRepository(session)
    wait = _throttled(repository, site.id, caller, now)
    if wait is not None:
        deny(session, caller, site, "throttled", now, code=None, presented=body.code or body.token, gate=body.gate)
        return Validation(None, wait)
    code = _lookup(repository, caller.tenant_id, body.code, body.token)
    if code is None:
        repository.add(AccessGuess(site_id=site.id, key_id=caller.key_id, at=now))
    reason = rules.reason_for(reads.state_of(code) if code else None, site_id=site.id, gate=body.gate, now=now)
    return Validation(
        ValidationResult(
            valid=reason == "ok",
            reason=reason,
            message=rules.MESSAGES[reason],
            access_code=reads.code_read(code, now) if code else None,
            visitor=reads.code_read(code, now).visitor if code else None,
            uses_left=max(code.max_uses - code.uses, 0) if code else None,
            checked_at=now,
            checked_at_local=rules.local_iso(now, site.timezone) or "",
        )
    )


def deny(
    session: Session,
    caller: Caller,
    site: AccessSite,
    reason: str,
    now: datetime,
    *,
    code: AccessCode | None,
    presented: str | None,
    gate: str | None,
    request: AccessLogCreate | None = None,
) -> AccessLogRead:
    """Keep a refused attempt in the log: who (the code's visitor, when known), which code, which gate, why."""
    log = AccessLog(
        tenant_id=caller.tenant_id,
        site_id=site.id,
        access_code_id=code.id if code else None,
        status="denied",
        method="token" if request is not None and request.token is not None else "code",
        denial_reason=reason,
        presented_code=rules.mask(presented) if code is None and presented else None,
        gate=gate,
        visitor_name=code.visitor_name if code else None,
        visitor_phone=code.visitor_phone if code else None,
        visitor_email=code.visitor_email if code else None,
        visitor_reference=code.visitor_reference if code else None,
        host_name=code.host_name if code else None,
        host_unit=code.host_unit if code else None,
        host_phone=code.host_phone if code else None,
        purpose=code.purpose if code else None,
        vehicle_plate=request.vehicle_plate if request else None,
        notes=request.notes if request else None,
        occurred_at=now,
        recorded_by=caller.key_id,
        created_at=now,
    )
    AccessRepository(session).add(log)
    return _announced(session, caller.tenant_id, "access.denied", reads.log_read(log, site.timezone))


def _checked_in_at(body: AccessLogCreate, now: datetime) -> datetime:
    if body.checked_in_at is not None and body.checked_in_at > now + CLOCK_SLACK:
        message = "must not be in the future"
        raise Invalid(f"checked_in_at: {message}", [FieldError("checked_in_at", message)])
    return body.checked_in_at or now


def check_in(session: Session, caller: Caller, body: AccessLogCreate, now: datetime) -> CheckIn:
    """Let a visitor in: a walk-in is recorded as it comes; a code is validated and one use counted atomically,
    or the attempt is kept as denied. The caller answers 409 (or 429) for a denial, after the commit."""
    site = reads.site_or_404(session, caller.tenant_id, body.site_id, "site_id")
    if body.gate is not None:
        _gates_checked(site, [body.gate], "gate")
    at = _checked_in_at(body, now)
    repository = AccessRepository(session)
    code: AccessCode | None = None
    if body.visitor is None:
        wait = _throttled(repository, site.id, caller, now)
        presented = body.code or body.token
        if wait is not None:
            log = deny(
                session, caller, site, "throttled", now, code=None, presented=presented, gate=body.gate, request=body
            )
            return CheckIn(log, "throttled", wait)
        code = _lookup(repository, caller.tenant_id, body.code, body.token)
        if code is None:
            repository.add(AccessGuess(site_id=site.id, key_id=caller.key_id, at=now))
        reason = rules.reason_for(reads.state_of(code) if code else None, site_id=site.id, gate=body.gate, now=now)
        if reason == "ok" and code is not None and not repository.take_use(code.id, now):
            session.refresh(code)
            reason = "revoked" if code.revoked_at is not None else "used_up"
        if reason != "ok":
            log = deny(session, caller, site, reason, now, code=code, presented=presented, gate=body.gate, request=body)
            return CheckIn(log, reason)
    visitor, host = body.visitor, body.host
    entry = AccessLog(
        tenant_id=caller.tenant_id,
        site_id=site.id,
        access_code_id=code.id if code else None,
        status="inside",
        method="walk_in" if code is None else "code" if body.code is not None else "token",
        gate=body.gate,
        visitor_name=code.visitor_name if code else visitor.name if visitor else None,
        visitor_phone=code.visitor_phone if code else visitor.phone if visitor else None,
        visitor_email=code.visitor_email if code else visitor.email if visitor else None,
        visitor_reference=code.visitor_reference if code else visitor.reference if visitor else None,
        host_name=code.host_name if code else host.name if host else None,
        host_unit=code.host_unit if code else host.unit if host else None,
        host_phone=code.host_phone if code else host.phone if host else None,
        purpose=body.purpose or (code.purpose if code else None),
        vehicle_plate=body.vehicle_plate,
        notes=body.notes,
        occurred_at=at,
        checked_in_at=at,
        recorded_by=caller.key_id,
        created_at=now,
    )
    repository.add(entry)
    return CheckIn(_announced(session, caller.tenant_id, "access.checked_in", reads.log_read(entry, site.timezone)))


def check_out(
    session: Session, tenant_id: str, log_id: str, body: CheckoutRequest | None, now: datetime
) -> AccessLogRead:
    """A visitor leaves: the time (default now) and the visit's length are recorded; once only."""
    repository = AccessRepository(session)
    log = repository.log(tenant_id, log_id, for_update=True)  # two guards checking one visitor out: one wins
    if log is None:
        raise NotFound(f"Access log {log_id} not found")
    if log.status == "denied":
        raise Conflict(f"Access log {log_id} is a denied attempt: nobody came in to check out")
    if log.status == "checked_out":
        raise Conflict(f"Access log {log_id} is already checked out")
    at = (body.checkout_at if body else None) or now
    assert log.checked_in_at is not None  # noqa: S101 - every entry that is inside has its check-in time
    if at < log.checked_in_at:
        message = "must not be before checked_in_at"
        raise AppError(f"checkout_at: {message}", [FieldError("checkout_at", message)])
    if at > now + CLOCK_SLACK:
        message = "must not be in the future"
        raise AppError(f"checkout_at: {message}", [FieldError("checkout_at", message)])
    log.status = "checked_out"
    log.checked_out_at = at
    log.checkout_notes = body.notes if body else None
    session.flush()
    read = reads.log_read(log, reads.site_or_404(session, tenant_id, log.site_id).timezone)
    return _announced(session, tenant_id, "access.checked_out", read)


def _announced(session: Session, tenant_id: str, event_type: str, log: AccessLogRead) -> AccessLogRead:
    """Queue the event of an access log's change (its state: the log as the API shows it now)."""
    outbox.emit(
        session,
        tenant_id=tenant_id,
        type=event_type,
        resource_type="access_log",
        resource_id=log.access_log_id,
        incident_id=None,
        at=log.checked_out_at if event_type == "access.checked_out" and log.checked_out_at else log.occurred_at,
        actor=log.recorded_by,
        state=_states_held,
        held=log.model_dump(mode="json"),
    )
    return log


def _states_held(
    _session: Session, _tenant_id: str, ids: Sequence[str], held: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    return {log_id: held[log_id] for log_id in ids if log_id in held}
