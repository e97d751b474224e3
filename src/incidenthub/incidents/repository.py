"""Every query over incidents and their children."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, literal, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from incidenthub.models import Assignment, Incident, IncidentLink, Note, Tenant, TimelineEvent
from incidenthub.models.base import UTCDateTime, unindexed

# Everything a full read of an incident shows, loaded in one query per relation; its state is that
# without the timeline.
_STATE = (
    selectinload(Incident.notes),
    selectinload(Incident.assignments).selectinload(Assignment.unit),
    selectinload(Incident.assignments).selectinload(Assignment.personnel),
    selectinload(Incident.call_taker),
)
_FULL = (*_STATE, selectinload(Incident.timeline))


@dataclass(frozen=True)
class IncidentFilter:
    status: str | None = None
    category: str | None = None
    severity: str | None = None
    source: str | None = None
    external_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class Link:
    """One relation as seen from a given incident."""

    kind: str
    source: str
    external_id: str | None
    incident_id: str | None


class IncidentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def tenant_settings(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's settings (`tenants.settings`), e.g. its SLA targets."""
        value = self.session.execute(select(Tenant.settings).where(Tenant.id == tenant_id)).scalar_one_or_none()
        return dict(value or {})

    def get(self, tenant_id: str, incident_id: str, *, full: bool = False, for_update: bool = False) -> Incident | None:
        """One incident; `for_update` locks its row until the transaction ends (PostgreSQL; SQLite's
        writers already hold the database's write lock)."""
        query = select(Incident).where(Incident.tenant_id == tenant_id, Incident.id == incident_id)
        if full:
            query = query.options(*_FULL)
        if for_update:
            # populate_existing: an object this session loaded before the lock is refreshed, not reused stale.
            query = query.with_for_update(of=Incident).execution_options(populate_existing=True)
        return self.session.scalar(query)

    def get_many(
        self, tenant_id: str, incident_ids: Sequence[str], *, full: bool = False, for_update: bool = False
    ) -> dict[str, Incident]:
        """id -> incident, for those of the tenant; one query (plus one per relation when `full`);
        `for_update` locks their rows, in id order so that two writers cannot deadlock over them."""
        wanted = sorted(set(incident_ids))
        if not wanted:
            return {}
        query = select(Incident).where(unindexed(Incident.tenant_id) == tenant_id, Incident.id.in_(wanted))
        if full:
            query = query.options(*_FULL)
        if for_update:
            query = query.order_by(Incident.id).with_for_update(of=Incident).execution_options(populate_existing=True)
        return {incident.id: incident for incident in self.session.scalars(query)}

    def states(self, tenant_id: str, incident_ids: Sequence[str]) -> list[Incident]:
        """The incidents with everything but their timelines (those this session holds as it holds them)."""
        query = select(Incident).where(unindexed(Incident.tenant_id) == tenant_id, Incident.id.in_(incident_ids))
        query = query.options(*_STATE)
        return list(self.session.scalars(query))

    def by_source_id(
        self, tenant_id: str, source: str, external_id: str, *, full: bool = False, for_update: bool = False
    ) -> Incident | None:
        """The incident a source knows by this id; `for_update` locks its row until the transaction ends."""
        query = select(Incident).where(
            Incident.tenant_id == tenant_id,
            Incident.source == source,
            Incident.external_id == external_id,
        )
        if full:
            query = query.options(*_FULL)
        if for_update:
            # populate_existing: an object this session loaded before the lock is refreshed, not reused stale.
            query = query.with_for_update(of=Incident).execution_options(populate_existing=True)
        return self.session.scalar(query)

    def export_chunk(
        self,
        tenant_id: str,
        source: str | None,
        start: datetime | None,
        end: datetime | None,
        *,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Incident]:
        """The next `limit` incidents (fully loaded) in (incident date, id) order after `after`: keyset pages."""
        when = func.coalesce(Incident.source_created_at, Incident.created_at)
        query = select(Incident).where(Incident.tenant_id == tenant_id)
        if after is not None:
            after_when, after_id = after
            query = query.where(tuple_(when, Incident.id) > tuple_(literal(after_when, UTCDateTime()), after_id))
        if source is not None:
            query = query.where(Incident.source == source)
        if start is not None:
            query = query.where(Incident.source_created_at >= start)
        if end is not None:
            query = query.where(Incident.source_created_at <= end)
        return list(self.session.scalars(query.order_by(when, Incident.id).limit(limit).options(*_FULL)))

    def outgoing_links_of(self, incident_ids: list[str]) -> dict[str, list[str]]:
        """The external ids each of these incidents names as related."""
        result: dict[str, list[str]] = {}
        rows = self.session.execute(
            select(IncidentLink.incident_id, IncidentLink.related_external_id)
            .where(IncidentLink.incident_id.in_(incident_ids))
            .order_by(IncidentLink.seq)
        )
        for incident_id, external_id in rows:
            result.setdefault(incident_id, []).append(external_id)
        return result

    def outgoing_links(self, incident_id: str) -> list[IncidentLink]:
        return list(
            self.session.scalars(
                select(IncidentLink).where(IncidentLink.incident_id == incident_id).order_by(IncidentLink.seq)
            )
        )

    def insert_unless_exists(self, incident: Incident) -> bool:
        """Insert; False (and nothing written) when its (tenant, source, external_id) already exists.

        Callers look the source id up first in the same transaction. On SQLite that transaction holds the
        database's write lock from its start (BEGIN IMMEDIATE), so nobody can insert it in between and the
        savepoint that catches a collision on PostgreSQL is not needed.
        """
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.add(incident)
            self.session.flush()
            return True
        try:
            with self.session.begin_nested():
                self.session.add(incident)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def delete(self, tenant_id: str, incident_id: str) -> bool:
        """Delete an incident; notes, timeline, assignments and links go with it (ON DELETE CASCADE)."""
        result = self.session.execute(
            delete(Incident).where(Incident.tenant_id == tenant_id, Incident.id == incident_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def add(self, row: Note | TimelineEvent | Assignment | IncidentLink) -> None:
        self.session.add(row)

    def page(self, tenant_id: str, filters: IncidentFilter, offset: int, limit: int) -> tuple[list[Incident], int]:
        """One page, newest first, and the total number matching."""
        conditions = [Incident.tenant_id == tenant_id]
        for column, value in (
            (Incident.status, filters.status),
            (Incident.category, filters.category),
            (Incident.severity, filters.severity),
            (Incident.source, filters.source),
            (Incident.external_id, filters.external_id),
        ):
            if value is not None:
                conditions.append(column == value)
        if filters.created_from is not None:
            conditions.append(Incident.created_at >= filters.created_from)
        if filters.created_to is not None:
            conditions.append(Incident.created_at <= filters.created_to)
        where = and_(*conditions)
        total = self.session.scalar(select(func.count()).select_from(Incident).where(where)) or 0
        query = (
            select(Incident)
            .where(where)
            .order_by(Incident.created_at.desc(), Incident.id.desc())
            .offset(offset)
            .limit(limit)
            .options(*_FULL)
        )
        return list(self.session.scalars(query)), total

    def links_of(self, tenant_id: str, incidents: Sequence[Incident]) -> dict[str, list[Link]]:
        """Every link touching these incidents, in both directions, with the far side resolved."""
        ids = [incident.id for incident in incidents]
        result: dict[str, dict[tuple[str, str, str | None], Link]] = {incident_id: {} for incident_id in ids}
        if not ids:
            return {}
        own_keys = {(i.source, i.external_id): i.id for i in incidents if i.external_id is not None}
        # Each condition on its own index (a row-value IN, or an OR of them, scanned the table on SQLite).
        found = {
            row.seq: row
            for row in self.session.scalars(
                select(IncidentLink).where(
                    unindexed(IncidentLink.tenant_id) == tenant_id, IncidentLink.incident_id.in_(ids)
                )
            )
        }
        for source, external_ids in _by_source(own_keys).items():
            found.update(
                (row.seq, row)
                for row in self.session.scalars(
                    select(IncidentLink).where(
                        IncidentLink.tenant_id == tenant_id,
                        IncidentLink.related_source == source,
                        IncidentLink.related_external_id.in_(external_ids),
                    )
                )
            )
        rows = [found[seq] for seq in sorted(found)]
        if not rows:
            return {incident_id: [] for incident_id in ids}
        named_ids = {row.incident_id for row in rows}
        named_keys = {(row.related_source, row.related_external_id) for row in rows}
        id_by_key: dict[tuple[str, str | None], str] = {}
        key_by_id: dict[str, tuple[str, str | None]] = {}
        columns = (Incident.id, Incident.source, Incident.external_id)
        queries = [select(*columns).where(unindexed(Incident.tenant_id) == tenant_id, Incident.id.in_(named_ids))]
        queries += [
            select(*columns).where(
                Incident.tenant_id == tenant_id, Incident.source == source, Incident.external_id.in_(external_ids)
            )
            for source, external_ids in _by_source(named_keys).items()
        ]
        for query in queries:
            for incident_id, source, external_id in self.session.execute(query):
                id_by_key[(source, external_id)] = incident_id
                key_by_id[incident_id] = (source, external_id)
        for row in rows:
            far = (row.related_source, row.related_external_id)
            if row.incident_id in result:  # outgoing: this incident names the other one
                result[row.incident_id][(row.kind, *far)] = Link(row.kind, *far, id_by_key.get(far))
            target = own_keys.get(far)
            near = key_by_id.get(row.incident_id)
            if target is not None and near is not None and row.incident_id != target:  # incoming
                result[target][(row.kind, *near)] = Link(row.kind, near[0], near[1], row.incident_id)
        return {incident_id: list(links.values()) for incident_id, links in result.items()}


def _by_source(keys: Iterable[tuple[str, str | None]]) -> dict[str, list[str]]:
    """(source, external id) pairs grouped as source -> external ids."""
    grouped: dict[str, list[str]] = {}
    for source, external_id in keys:
        if external_id is not None:
            grouped.setdefault(source, []).append(external_id)
    return grouped
