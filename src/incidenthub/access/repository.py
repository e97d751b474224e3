"""Every query over sites, access codes, the access log and the throttle's unknown codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from incidenthub.models import AccessCode, AccessGuess, AccessLog, AccessSite


def _page(session: Session, model: Any, conditions: list[Any], order: list[Any], offset: int, limit: int) -> Any:
    total = session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    rows = list(session.scalars(select(model).where(*conditions).order_by(*order).offset(offset).limit(limit)))
    return rows, total


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def visitor_matches(name: Any, phone: Any, reference: Any, text: str) -> ColumnElement[bool]:
    """A visitor filter: part of the name (any case), or the phone or reference exactly."""
    return or_(func.lower(name).like(_like(text), escape="\\"), phone == text, reference == text)


@dataclass(frozen=True)
class LogFilter:
    site_id: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    status: str | None = None
    visitor: str | None = None
    host: str | None = None


class AccessRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Any) -> None:
        self.session.add(row)
        self.session.flush()

    # Sites

    def site(self, tenant_id: str, site_id: str) -> AccessSite | None:
        return self.session.scalar(
            select(AccessSite).where(AccessSite.tenant_id == tenant_id, AccessSite.id == site_id)
        )

    def sites(self, tenant_id: str, offset: int, limit: int) -> tuple[list[AccessSite], int]:
        order = [AccessSite.created_at.desc(), AccessSite.id]
        result: tuple[list[AccessSite], int] = _page(
            self.session, AccessSite, [AccessSite.tenant_id == tenant_id], order, offset, limit
        )
        return result

    def sites_by_id(self, ids: set[str]) -> dict[str, AccessSite]:
        if not ids:
            return {}
        return {site.id: site for site in self.session.scalars(select(AccessSite).where(AccessSite.id.in_(ids)))}

    # Codes

    def code(self, tenant_id: str, code_id: str) -> AccessCode | None:
        return self.session.scalar(
            select(AccessCode).where(AccessCode.tenant_id == tenant_id, AccessCode.id == code_id)
        )

    def code_by_text(self, tenant_id: str, *, code: str | None = None, token: str | None = None) -> AccessCode | None:
        column, value = (AccessCode.code, code) if code is not None else (AccessCode.token, token)
        # Fresh from the database: an earlier check-in of the same transaction may have taken a use.
        query = select(AccessCode).where(AccessCode.tenant_id == tenant_id, column == value)
        return self.session.scalar(query.execution_options(populate_existing=True))

    def code_taken(self, tenant_id: str, code: str) -> bool:
        return self.code_by_text(tenant_id, code=code) is not None

    def codes(
        self,
        tenant_id: str,
        *,
        site_id: str | None,
        status_condition: ColumnElement[bool] | None,
        visitor: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[AccessCode], int]:
        conditions: list[Any] = [AccessCode.tenant_id == tenant_id]
        if site_id is not None:
            conditions.append(AccessCode.site_id == site_id)
        if status_condition is not None:
            conditions.append(status_condition)
        if visitor is not None:
            conditions.append(
                visitor_matches(
                    AccessCode.visitor_name, AccessCode.visitor_phone, AccessCode.visitor_reference, visitor
                )
            )
        order = [AccessCode.created_at.desc(), AccessCode.id]
        result: tuple[list[AccessCode], int] = _page(self.session, AccessCode, conditions, order, offset, limit)
        return result

    def take_use(self, code_id: str, now: datetime) -> bool:
        """Count one use if one is left and the code is still good: one conditional UPDATE, so concurrent
        check-ins (other transactions, other processes) can never take more uses than `max_uses`."""
        result = self.session.execute(
            update(AccessCode)
            .where(
                AccessCode.id == code_id,
                AccessCode.uses < AccessCode.max_uses,
                AccessCode.revoked_at.is_(None),
            )
            .values(uses=AccessCode.uses + 1, updated_at=now)
            .returning(AccessCode.uses)
            .execution_options(synchronize_session=False)
        )
        taken = result.scalar_one_or_none() is not None
        return taken

    # Log

    def log(self, tenant_id: str, log_id: str, *, for_update: bool = False) -> AccessLog | None:
        query = select(AccessLog).where(AccessLog.tenant_id == tenant_id, AccessLog.id == log_id)
        if for_update:  # PostgreSQL locks the row (SQLite has one writer at a time anyway)
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalar(query)

    def logs(self, tenant_id: str, filters: LogFilter, offset: int, limit: int) -> tuple[list[AccessLog], int]:
        conditions: list[Any] = [AccessLog.tenant_id == tenant_id]
        if filters.site_id is not None:
            conditions.append(AccessLog.site_id == filters.site_id)
        if filters.occurred_from is not None:
            conditions.append(AccessLog.occurred_at >= filters.occurred_from)
        if filters.occurred_to is not None:
            conditions.append(AccessLog.occurred_at <= filters.occurred_to)
        if filters.status is not None:
            conditions.append(AccessLog.status == filters.status)
        if filters.visitor is not None:
            conditions.append(
                visitor_matches(
                    AccessLog.visitor_name, AccessLog.visitor_phone, AccessLog.visitor_reference, filters.visitor
                )
            )
        if filters.host is not None:
            conditions.append(func.lower(AccessLog.host_name).like(_like(filters.host), escape="\\"))
        order = [AccessLog.occurred_at.desc(), AccessLog.id.desc()]
        result: tuple[list[AccessLog], int] = _page(self.session, AccessLog, conditions, order, offset, limit)
        return result

    def inside(self, tenant_id: str, site_id: str | None, offset: int, limit: int) -> tuple[list[AccessLog], int]:
        conditions: list[Any] = [AccessLog.tenant_id == tenant_id, AccessLog.status == "inside"]
        if site_id is not None:
            conditions.append(AccessLog.site_id == site_id)
        order = [AccessLog.occurred_at.desc(), AccessLog.id.desc()]
        result: tuple[list[AccessLog], int] = _page(self.session, AccessLog, conditions, order, offset, limit)
        return result

    def count_inside(self, site_id: str) -> int:
        query = (
            select(func.count())
            .select_from(AccessLog)
            .where(AccessLog.site_id == site_id, AccessLog.status == "inside")
        )
        return self.session.scalar(query) or 0

    def visits_between(self, site_id: str, start: datetime, end: datetime) -> list[Any]:
        """Check-ins at a site in [start, end): the columns the statistics need."""
        return list(
            self.session.execute(
                select(
                    AccessLog.checked_in_at,
                    AccessLog.checked_out_at,
                    AccessLog.visitor_name,
                    AccessLog.visitor_phone,
                    AccessLog.visitor_email,
                    AccessLog.host_name,
                    AccessLog.host_unit,
                ).where(
                    AccessLog.site_id == site_id,
                    AccessLog.status != "denied",
                    and_(AccessLog.occurred_at >= start, AccessLog.occurred_at < end),
                )
            )
        )

    def denials_between(self, site_id: str, start: datetime, end: datetime) -> list[str]:
        query = select(AccessLog.denial_reason).where(
            AccessLog.site_id == site_id,
            AccessLog.status == "denied",
            AccessLog.occurred_at >= start,
            AccessLog.occurred_at < end,
        )
        return [reason for reason in self.session.scalars(query) if reason is not None]

    # Throttle

    def guesses_since(self, site_id: str, key_id: str, since: datetime) -> list[datetime]:
        query = select(AccessGuess.at).where(
            AccessGuess.site_id == site_id, AccessGuess.key_id == key_id, AccessGuess.at > since
        )
        return list(self.session.scalars(query))

    def forget_guesses(self, site_id: str, key_id: str, before: datetime) -> None:
        """A key's unknown codes older than the throttle's window count for nothing: drop them (a bounded table)."""
        self.session.execute(
            delete(AccessGuess).where(
                AccessGuess.site_id == site_id, AccessGuess.key_id == key_id, AccessGuess.at <= before
            )
        )
