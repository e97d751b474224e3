"""Every query over units, personnel and assignments."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from incidenthub.models import Assignment, Incident, Personnel, Unit

MAX_IDENT = 2**31 - 1  # ident ids are per-tenant counters; lookups beyond a 32-bit integer find nothing


class UnitRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_call_sign(self, tenant_id: str, call_sign: str) -> Unit | None:
        return self.session.scalar(select(Unit).where(Unit.tenant_id == tenant_id, Unit.call_sign == call_sign))

    def get(self, tenant_id: str, unit_id: str) -> Unit | None:
        return self.session.scalar(select(Unit).where(Unit.tenant_id == tenant_id, Unit.id == unit_id))

    def list(self, tenant_id: str, *, include_offline: bool = True, offset: int = 0, limit: int = 1000) -> list[Unit]:
        query = select(Unit).where(Unit.tenant_id == tenant_id)
        if not include_offline:
            query = query.where(Unit.status != "offline")
        query = query.order_by(Unit.call_sign, Unit.id).offset(offset).limit(limit)
        return list(self.session.scalars(query))

    def _holds_external_id(self, value: str) -> ColumnElement[bool]:
        """`units.external_ids` (a JSON list) contains `value`, in each dialect's own JSON syntax."""
        if self.session.get_bind().dialect.name == "postgresql":
            clause = text("units.external_ids @> CAST(:held AS jsonb)")
            return clause.bindparams(bindparam("held", json.dumps([value])))  # type: ignore[return-value]
        clause = text("EXISTS (SELECT 1 FROM json_each(units.external_ids) WHERE json_each.value = :held)")
        return clause.bindparams(bindparam("held", value))  # type: ignore[return-value]

    def by_external_id(self, tenant_id: str, value: str) -> Unit | None:
        """The unit that lists `value` (a Sonoran API id, an account id) among its external ids."""
        return self.session.scalar(
            select(Unit).where(Unit.tenant_id == tenant_id, self._holds_external_id(value)).limit(1)
        )

    def by_ident(self, tenant_id: str, ident_id: int) -> Unit | None:
        if not 0 < ident_id <= MAX_IDENT:  # never handed out; and PostgreSQL's integer cast would overflow
            return None
        return self.session.scalar(
            select(Unit).where(Unit.tenant_id == tenant_id, Unit.extra["ident_id"].as_integer() == ident_id).limit(1)
        )

    def get_or_create(self, tenant_id: str, call_sign: str) -> tuple[Unit, bool]:
        """The tenant's unit with this call sign, registered on first sight; (unit, created)."""
        unit = self.by_call_sign(tenant_id, call_sign)
        if unit is not None:
            return unit, False
        unit = Unit(tenant_id=tenant_id, call_sign=call_sign, status="available", external_ids=[], extra={})
        try:
            with self.session.begin_nested():
                self.session.add(unit)
                self.session.flush()
        except IntegrityError:  # another writer registered it first
            existing = self.by_call_sign(tenant_id, call_sign)
            assert existing is not None  # noqa: S101
            return existing, False
        return unit, True


class PersonnelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_personnel_id(self, tenant_id: str, personnel_id: str) -> Personnel | None:
        return self.session.scalar(
            select(Personnel).where(Personnel.tenant_id == tenant_id, Personnel.personnel_id == personnel_id)
        )

    def get_or_create(self, tenant_id: str, personnel_id: str, **names: str | None) -> tuple[Personnel, bool]:
        """The tenant's person with this personnel id, created on first sight; names fill in blanks."""
        person = self.by_personnel_id(tenant_id, personnel_id)
        if person is None:
            person = Personnel(tenant_id=tenant_id, personnel_id=personnel_id, **names)
            try:
                with self.session.begin_nested():
                    self.session.add(person)
                    self.session.flush()
            except IntegrityError:
                existing = self.by_personnel_id(tenant_id, personnel_id)
                assert existing is not None  # noqa: S101
                person = existing
            else:
                return person, True
        for field, value in names.items():
            if value and not getattr(person, field):
                setattr(person, field, value)
        return person, False

    def page(self, tenant_id: str, offset: int, limit: int) -> tuple[list[Personnel], int]:
        where = Personnel.tenant_id == tenant_id
        total = self.session.scalar(select(func.count()).select_from(Personnel).where(where)) or 0
        rows = self.session.scalars(
            select(Personnel).where(where).order_by(Personnel.created_at, Personnel.id).offset(offset).limit(limit)
        )
        return list(rows), total

    def find(
        self, tenant_id: str, *, id: str | None = None, email: str | None = None, personnel_id: str | None = None
    ) -> Personnel | None:
        """The first person matching every given criterion."""
        query = select(Personnel).where(Personnel.tenant_id == tenant_id)
        if id is not None:
            query = query.where(Personnel.id == id)
        if email is not None:
            query = query.where(func.lower(Personnel.email) == email.lower())
        if personnel_id is not None:
            query = query.where(Personnel.personnel_id == personnel_id)
        return self.session.scalars(query.order_by(Personnel.created_at).limit(1)).first()


class AssignmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, tenant_id: str, incident_id: str, assignment_id: str) -> Assignment | None:
        return self.session.scalar(
            select(Assignment)
            .where(
                Assignment.tenant_id == tenant_id,
                Assignment.incident_id == incident_id,
                Assignment.id == assignment_id,
            )
            .options(selectinload(Assignment.unit), selectinload(Assignment.personnel))
        )

    def open_of_units(self, tenant_id: str, unit_ids: Sequence[str]) -> list[Assignment]:
        """Assignments of these units that hold them now (not cleared, on an active incident), oldest first."""
        if not unit_ids:
            return []
        return list(
            self.session.scalars(
                select(Assignment)
                .join(Incident, Incident.id == Assignment.incident_id)
                .where(
                    Assignment.tenant_id == tenant_id,
                    Assignment.unit_id.in_(list(unit_ids)),
                    Assignment.cleared_at.is_(None),
                    Incident.status.not_in(("resolved", "cancelled")),  # incidents.changes.FINAL
                )
                .order_by(Assignment.created_at, Assignment.id)
            )
        )
