"""What the access API answers: stored rows as AccessCode, AccessLog and CurrentVisitor, lists and statistics."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from incidenthub.access import rules
from incidenthub.access.repository import AccessRepository, LogFilter
from incidenthub.access.schemas import (
    AccessCodePage,
    AccessCodeRead,
    AccessLogPage,
    AccessLogRead,
    AccessStats,
    CurrentVisitor,
    CurrentVisitorPage,
    DayCount,
    Host,
    HostCount,
    HourCount,
    SitePage,
    SiteRead,
    Visitor,
)
from incidenthub.errors import FieldError, Invalid, NotFound
from incidenthub.models import AccessCode, AccessLog, AccessSite

MAX_STATS_DAYS = 366


def site_or_404(session: Session, tenant_id: str, site_id: str, field: str | None = None) -> AccessSite:
    site = AccessRepository(session).site(tenant_id, site_id)
    if site is None:
        raise NotFound(f"Site {site_id} not found", [FieldError(field, "no such site")] if field else None)
    return site


def site_read(site: AccessSite) -> SiteRead:
    coordinates = [site.longitude, site.latitude] if site.longitude is not None and site.latitude is not None else None
    return SiteRead(
        site_id=site.id,
        name=site.name,
        address=site.address,
        coordinates=coordinates,
        timezone=site.timezone,
        gates=list(site.gates),
        created_at=site.created_at,
        updated_at=site.updated_at,
    )


def list_sites(session: Session, tenant_id: str, page: int, limit: int) -> SitePage:
    rows, total = AccessRepository(session).sites(tenant_id, (page - 1) * limit, limit)
    return SitePage(
        data=[site_read(r) for r in rows], page=page, limit=limit, total=total, has_more=page * limit < total
    )


def state_of(code: AccessCode) -> rules.CodeState:
    return rules.CodeState(
        site_id=code.site_id,
        gates=code.gates,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        max_uses=code.max_uses,
        uses=code.uses,
        revoked=code.revoked_at is not None,
    )


def code_read(code: AccessCode, now: datetime) -> AccessCodeRead:
    return AccessCodeRead(
        access_code_id=code.id,
        site_id=code.site_id,
        code=code.code,
        token=code.token,
        visitor=Visitor(
            name=code.visitor_name, phone=code.visitor_phone, email=code.visitor_email, reference=code.visitor_reference
        ),
        host=Host(name=code.host_name, unit=code.host_unit, phone=code.host_phone),
        purpose=code.purpose,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        max_uses=code.max_uses,
        uses=code.uses,
        uses_left=max(code.max_uses - code.uses, 0),
        gates=list(code.gates),
        metadata=dict(code.extra),
        status=rules.status_of(state_of(code), now),
        revoked_at=code.revoked_at,
        revoke_reason=code.revoke_reason,
        created_at=code.created_at,
        updated_at=code.updated_at,
    )


def _status_condition(status: str, now: datetime) -> ColumnElement[bool]:
    """The SQL twin of `rules.status_of`."""
    revoked = AccessCode.revoked_at.is_not(None)
    used_up = AccessCode.uses >= AccessCode.max_uses
    expired = AccessCode.valid_until <= now
    if status == "revoked":
        return revoked
    if status == "used_up":
        return and_(~revoked, used_up)
    if status == "expired":
        return and_(~revoked, ~used_up, expired)
    if status == "scheduled":
        return and_(~revoked, ~used_up, ~expired, AccessCode.valid_from > now)
    return and_(~revoked, ~used_up, ~expired, AccessCode.valid_from <= now)


def list_codes(
    session: Session,
    tenant_id: str,
    *,
    site_id: str | None,
    status: str | None,
    visitor: str | None,
    page: int,
    limit: int,
    now: datetime,
) -> AccessCodePage:
    rows, total = AccessRepository(session).codes(
        tenant_id,
        site_id=site_id,
        status_condition=_status_condition(status, now) if status else None,
        visitor=visitor,
        offset=(page - 1) * limit,
        limit=limit,
    )
    return AccessCodePage(
        data=[code_read(r, now) for r in rows], page=page, limit=limit, total=total, has_more=page * limit < total
    )


def read_code(session: Session, tenant_id: str, code_id: str, now: datetime) -> AccessCodeRead:
    code = AccessRepository(session).code(tenant_id, code_id)
    if code is None:
        raise NotFound(f"Access code {code_id} not found")
    return code_read(code, now)


def log_read(log: AccessLog, timezone: str) -> AccessLogRead:
    duration = (
        (log.checked_out_at - log.checked_in_at).total_seconds()
        if log.checked_out_at is not None and log.checked_in_at is not None
        else None
    )
    return AccessLogRead(
        access_log_id=log.id,
        site_id=log.site_id,
        site_timezone=timezone,
        status=log.status,
        method=log.method,
        denial_reason=log.denial_reason,
        access_code_id=log.access_code_id,
        presented_code=log.presented_code,
        gate=log.gate,
        visitor=Visitor(
            name=log.visitor_name, phone=log.visitor_phone, email=log.visitor_email, reference=log.visitor_reference
        ),
        host=Host(name=log.host_name, unit=log.host_unit, phone=log.host_phone),
        purpose=log.purpose,
        vehicle_plate=log.vehicle_plate,
        notes=log.notes,
        occurred_at=log.occurred_at,
        occurred_at_local=rules.local_iso(log.occurred_at, timezone) or "",
        checked_in_at=log.checked_in_at,
        checked_in_at_local=rules.local_iso(log.checked_in_at, timezone),
        checked_out_at=log.checked_out_at,
        checked_out_at_local=rules.local_iso(log.checked_out_at, timezone),
        duration_seconds=duration,
        checkout_notes=log.checkout_notes,
        recorded_by=log.recorded_by,
        created_at=log.created_at,
    )


def read_log(session: Session, tenant_id: str, log_id: str) -> AccessLogRead:
    log = AccessRepository(session).log(tenant_id, log_id)
    if log is None:
        raise NotFound(f"Access log {log_id} not found")
    return log_read(log, site_or_404(session, tenant_id, log.site_id).timezone)


def list_logs(session: Session, tenant_id: str, filters: LogFilter, page: int, limit: int) -> AccessLogPage:
    repository = AccessRepository(session)
    if filters.site_id is not None:
        site_or_404(session, tenant_id, filters.site_id)
    rows, total = repository.logs(tenant_id, filters, (page - 1) * limit, limit)
    sites = repository.sites_by_id({r.site_id for r in rows})
    return AccessLogPage(
        data=[log_read(r, sites[r.site_id].timezone) for r in rows],
        page=page,
        limit=limit,
        total=total,
        has_more=page * limit < total,
    )


def current_visitors(
    session: Session, tenant_id: str, site_id: str | None, page: int, limit: int, now: datetime
) -> CurrentVisitorPage:
    repository = AccessRepository(session)
    if site_id is not None:
        site_or_404(session, tenant_id, site_id)
    rows, total = repository.inside(tenant_id, site_id, (page - 1) * limit, limit)
    sites = repository.sites_by_id({r.site_id for r in rows})
    data = []
    for log in rows:
        site = sites[log.site_id]
        checked_in_at = log.checked_in_at or log.occurred_at
        data.append(
            CurrentVisitor(
                access_log_id=log.id,
                site_id=site.id,
                site_name=site.name,
                site_timezone=site.timezone,
                visitor=Visitor(
                    name=log.visitor_name,
                    phone=log.visitor_phone,
                    email=log.visitor_email,
                    reference=log.visitor_reference,
                ),
                host=Host(name=log.host_name, unit=log.host_unit, phone=log.host_phone),
                purpose=log.purpose,
                gate=log.gate,
                vehicle_plate=log.vehicle_plate,
                access_code_id=log.access_code_id,
                checked_in_at=checked_in_at,
                checked_in_at_local=rules.local_iso(checked_in_at, site.timezone) or "",
                inside_seconds=max((now - checked_in_at).total_seconds(), 0.0),
            )
        )
    return CurrentVisitorPage(data=data, page=page, limit=limit, total=total, has_more=page * limit < total)


def _host_label(name: str | None, unit: str | None) -> str | None:
    if name and unit:
        return f"{name} ({unit})"
    return name or unit


def stats(
    session: Session, tenant_id: str, site_id: str, first: date | None, last: date | None, now: datetime
) -> AccessStats:
    """The site's statistics over local days `first`..`last` (default: the last 7 days, today included)."""
    site = site_or_404(session, tenant_id, site_id, "site_id")
    today = now.astimezone(ZoneInfo(site.timezone)).date()
    last = last or (today if first is None else min(first + timedelta(days=6), today))
    first = first or last - timedelta(days=6)
    if first > last:
        raise Invalid("from_date is after to_date", [FieldError("from_date", "must not be after to_date")])
    if (last - first).days + 1 > MAX_STATS_DAYS:
        message = f"at most {MAX_STATS_DAYS} days at once"
        raise Invalid(f"to_date: {message}", [FieldError("to_date", message)])
    start, end = rules.local_day_bounds(first, last, site.timezone)
    repository = AccessRepository(session)
    visits = [
        rules.Visit(
            checked_in_at=row.checked_in_at,
            checked_out_at=row.checked_out_at,
            visitor=rules.visitor_identity(row.visitor_name, row.visitor_phone, row.visitor_email),
            host=_host_label(row.host_name, row.host_unit),
        )
        for row in repository.visits_between(site.id, start, end)
        if row.checked_in_at is not None
    ]
    computed = rules.compute_stats(
        visits, repository.denials_between(site.id, start, end), timezone=site.timezone, first=first, last=last
    )
    return AccessStats(
        site_id=site.id,
        timezone=site.timezone,
        from_date=first,
        to_date=last,
        check_ins=computed.check_ins,
        check_ins_per_day=[DayCount(date=day, check_ins=count) for day, count in computed.per_day],
        check_ins_per_hour=[HourCount(hour=hour, check_ins=count) for hour, count in enumerate(computed.per_hour)],
        unique_visitors=computed.unique_visitors,
        completed_visits=computed.completed_visits,
        average_visit_seconds=computed.average_visit_seconds,
        p90_visit_seconds=computed.p90_visit_seconds,
        peak_hour=computed.peak_hour,
        currently_inside=repository.count_inside(site.id),
        denied_attempts=computed.denied,
        denied_total=sum(computed.denied.values()),
        top_hosts=[HostCount(host=host, check_ins=count) for host, count in computed.top_hosts],
    )
