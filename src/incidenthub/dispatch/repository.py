"""Every query over units, personnel and assignments."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Insert, Table, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from incidenthub.clock import utcnow
from incidenthub.models import Assignment, Incident, Personnel, Unit
from incidenthub.models.base import new_id, unindexed
from incidenthub.rows import chunks

MAX_IDENT = 2**31 - 1  # ident ids are per-tenant counters; lookups beyond a 32-bit integer find nothing
PERSON_NAMES = ("first_name", "last_name", "display_name")


def _insert_ignoring_duplicates(session: Session, table: Any) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` (PostgreSQL) / `INSERT OR IGNORE` (SQLite): a row another writer
    registered first is left alone, and the caller selects it afterwards."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()


class UnitRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_call_sign(self, tenant_id: str, call_sign: str) -> Unit | None:
        return self.session.scalar(select(Unit).where(Unit.tenant_id == tenant_id, Unit.call_sign == call_sign))

    def by_call_signs(self, tenant_id: str, call_signs: Iterable[str]) -> dict[str, Unit]:
        """call sign -> the tenant's unit, for those it has; one query per 500 call signs."""
        wanted = list(dict.fromkeys(call_signs))
        found: dict[str, Unit] = {}
        for chunk in chunks(wanted):
            query = select(Unit).where(Unit.tenant_id == tenant_id, Unit.call_sign.in_(chunk))
            found.update((unit.call_sign, unit) for unit in self.session.scalars(query))
        return found

    def get_many(self, tenant_id: str, unit_ids: Sequence[str]) -> list[Unit]:
        return list(
            self.session.scalars(select(Unit).where(unindexed(Unit.tenant_id) == tenant_id, Unit.id.in_(unit_ids)))
        )

    def get(self, tenant_id: str, unit_id: str) -> Unit | None:
        return self.session.scalar(select(Unit).where(Unit.tenant_id == tenant_id, Unit.id == unit_id))

    def list(self, tenant_id: str, *, include_offline: bool = True, offset: int = 0, limit: int = 1000) -> list[Unit]:
        query = select(Unit).where(Unit.tenant_id == tenant_id)
        if not include_offline:
            query = query.where(Unit.status != "offline")
        query = query.order_by(Unit.call_sign, Unit.id).offset(offset).limit(limit)
        return list(self.session.scalars(query))

    def count(self, tenant_id: str) -> int:
        """How many units the tenant has."""
        return self.session.scalar(select(func.count()).select_from(Unit).where(Unit.tenant_id == tenant_id)) or 0

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

    def by_external_ids(self, tenant_id: str, values: Iterable[str]) -> dict[str, Unit]:
        """external id -> the unit that lists it, for those the tenant has; one query (a JSON scan of the
        tenant's units once, not once per value)."""
        wanted = list(dict.fromkeys(values))
        found: dict[str, Unit] = {}
        for chunk in chunks(wanted):
            query = select(Unit).where(Unit.tenant_id == tenant_id, self._holds_any_external_id(chunk))
            for unit in self.session.scalars(query.order_by(Unit.created_at, Unit.id)):
                for value in unit.external_ids or []:
                    found.setdefault(value, unit)
        return {value: found[value] for value in wanted if value in found}

    def _holds_any_external_id(self, values: Sequence[str]) -> ColumnElement[bool]:
        """`units.external_ids` (a JSON list) holds at least one of `values`."""
        if self.session.get_bind().dialect.name == "postgresql":
            clause = text("units.external_ids ?| CAST(:held AS text[])")
            return clause.bindparams(bindparam("held", list(values)))  # type: ignore[return-value]
        clause = text("EXISTS (SELECT 1 FROM json_each(units.external_ids) WHERE json_each.value IN :held)")
        return clause.bindparams(bindparam("held", list(values), expanding=True))  # type: ignore[return-value]

    def by_ident(self, tenant_id: str, ident_id: int) -> Unit | None:
        return self.by_idents(tenant_id, [ident_id]).get(ident_id)

    def by_idents(self, tenant_id: str, ident_ids: Iterable[int]) -> dict[int, Unit]:
        """ident id -> the tenant's unit, for those it has (an indexed column, one query per 500 ids)."""
        # Never handed out beyond a 32-bit integer (and PostgreSQL's integer cast would overflow).
        wanted = [ident for ident in dict.fromkeys(ident_ids) if 0 < ident <= MAX_IDENT]
        found: dict[int, Unit] = {}
        for chunk in chunks(wanted):
            query = select(Unit).where(Unit.tenant_id == tenant_id, Unit.ident_id.in_(chunk))
            for unit in self.session.scalars(query.order_by(Unit.created_at, Unit.id)):
                if unit.ident_id is not None:
                    found.setdefault(unit.ident_id, unit)
        return found

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

    def get_or_create_many(self, tenant_id: str, call_signs: Iterable[str]) -> dict[str, Unit]:
        """call sign -> the tenant's unit, registering those it lacks: one SELECT, one INSERT of the missing
        (rows another writer registered meanwhile are kept, not duplicated), one SELECT of those."""
        wanted = list(dict.fromkeys(call_signs))
        found = self.by_call_signs(tenant_id, wanted)
        missing = sorted(call_sign for call_sign in wanted if call_sign not in found)  # one order: no deadlocks
        if missing:
            now = utcnow()
            rows = [
                {
                    "id": new_id("unt"),
                    "tenant_id": tenant_id,
                    "call_sign": call_sign,
                    "status": "available",
                    "external_ids": [],
                    "panic": False,
                    "extra": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for call_sign in missing
            ]
            self.session.execute(_insert_ignoring_duplicates(self.session, Unit.__table__), rows)
            found.update(self.by_call_signs(tenant_id, missing))
        return found


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

    def by_personnel_ids(self, tenant_id: str, personnel_ids: Iterable[str]) -> dict[str, Personnel]:
        wanted = list(dict.fromkeys(personnel_ids))
        found: dict[str, Personnel] = {}
        for chunk in chunks(wanted):
            query = select(Personnel).where(Personnel.tenant_id == tenant_id, Personnel.personnel_id.in_(chunk))
            found.update((person.personnel_id, person) for person in self.session.scalars(query))
        return found

    def get_or_create_many(
        self, tenant_id: str, people: Mapping[str, Mapping[str, str | None]]
    ) -> dict[str, Personnel]:
        """personnel id -> the tenant's person, created on first sight; the names sent now are kept (a name
        not sent leaves the stored one). One SELECT, one INSERT of the missing, one SELECT of those."""
        found = self.by_personnel_ids(tenant_id, people)
        missing = sorted(personnel_id for personnel_id in people if personnel_id not in found)  # one lock order
        if missing:
            now = utcnow()
            rows = [
                {
                    "id": new_id("per"),
                    "tenant_id": tenant_id,
                    "personnel_id": personnel_id,
                    **{field: people[personnel_id].get(field) for field in PERSON_NAMES},
                    "email": None,
                    "role": None,
                    "created_at": now,
                    "updated_at": now,
                }
                for personnel_id in missing
            ]
            self.session.execute(_insert_ignoring_duplicates(self.session, Personnel.__table__), rows)
            found.update(self.by_personnel_ids(tenant_id, missing))
        for personnel_id, names in people.items():
            person = found[personnel_id]
            for field in PERSON_NAMES:
                value = names.get(field)
                if value and getattr(person, field) != value:
                    setattr(person, field, value)
        return found

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
                    unindexed(Assignment.tenant_id) == tenant_id,
                    Assignment.unit_id.in_(list(unit_ids)),
                    Assignment.cleared_at.is_(None),
                    Incident.status.not_in(("resolved", "cancelled")),  # incidents.changes.FINAL
                )
                .order_by(Assignment.created_at, Assignment.id)
            )
        )

    def holders_locked(self, tenant_id: str, unit_ids: Sequence[str]) -> list[Any]:
        """(id, unit_id, incident_id, status) of the assignments holding these units now, oldest first, with
        those assignments and their incidents locked (PostgreSQL: rows another writer changed are read again)."""
        found: list[Any] = []
        for chunk in chunks(list(unit_ids)):
            found.extend(
                self.session.execute(
                    select(Assignment.id, Assignment.unit_id, Assignment.incident_id, Incident.status)
                    .join(Incident, Incident.id == Assignment.incident_id)
                    .where(
                        unindexed(Assignment.tenant_id) == tenant_id,
                        Assignment.unit_id.in_(chunk),
                        Assignment.cleared_at.is_(None),
                        Incident.status.not_in(("resolved", "cancelled")),  # incidents.changes.FINAL
                    )
                    .order_by(Assignment.created_at, Assignment.id)
                    .with_for_update()
                )
            )
        return found

    def release(
        self,
        cleared: list[dict[str, Any]],
        bumped: Mapping[str, int],
        at: datetime,
    ) -> None:
        """Clear stored assignments (`b_id`, `b_at`) and add `bumped[incident]` revisions to their incidents:
        one statement each, whatever their number (the caller inserts their timeline rows)."""
        if not cleared:
            return
        assignments = cast(Table, Assignment.__table__)
        self.session.execute(
            update(assignments)
            .where(assignments.c.id == bindparam("b_id"))
            .values(cleared_at=bindparam("b_at"), status="cleared", updated_at=bindparam("b_at")),
            cleared,
        )
        incidents = cast(Table, Incident.__table__)
        self.session.execute(
            update(incidents)
            .where(incidents.c.id == bindparam("b_id"))
            .values(revision=incidents.c.revision + bindparam("b_n"), updated_at=at, content_hash=None),
            [{"b_id": incident_id, "b_n": count} for incident_id, count in bumped.items()],
        )
