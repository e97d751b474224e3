"""Every query over units, personnel and assignments."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incidenthub.models import Personnel, Unit


class UnitRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_call_sign(self, tenant_id: str, call_sign: str) -> Unit | None:
        return self.session.scalar(select(Unit).where(Unit.tenant_id == tenant_id, Unit.call_sign == call_sign))

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
