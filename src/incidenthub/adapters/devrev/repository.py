"""Every query of the DevRev door: tags, schema fragments, people, and incident lists and groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incidenthub.adapters.devrev import ids
from incidenthub.adapters.devrev.customfields import FieldDef, Fragment
from incidenthub.adapters.devrev.errors import invalid_field
from incidenthub.adapters.devrev.mapping import BLOCK, SOURCE, Person, TagView
from incidenthub.adapters.devrev.schemas import MAX_FILTER_VALUES, DateRange, IncidentsListRequest
from incidenthub.adapters.devrev.tenant_settings import DevRevSettings
from incidenthub.adapters.devrev.wire import CUSTOM_KEY
from incidenthub.auth.repository import TenantRepository
from incidenthub.models import CustomSchemaFragment, Incident, Personnel, Tag
from incidenthub.models.base import UTCDateTime

Kind = Literal["dt", "str", "int"]


def meta(*path: str) -> Any:
    """An element of the incident's DevRev metadata block (a JSON path expression)."""
    return Incident.extra_metadata[(BLOCK, *path)]


def has_any(column: Any, path: tuple[str, ...], values: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """Whether the JSON array at `path` of `column` holds any of `values`."""
    if not values:
        return false()
    if dialect == "postgresql":
        target: Any = type_coerce(column, postgresql.JSONB)
        if path:
            target = target[path]
        return target.has_any(postgresql.array([literal(v) for v in values]))  # type: ignore[no-any-return]
    json_path = "$" + "".join(f".{part}" for part in path)
    elements = func.json_each(column, json_path).table_valued("value")
    return exists(select(1).select_from(elements).where(elements.c.value.in_(list(values))))


def as_int64(element: Any) -> Any:
    """A JSON element holding an integer we stored, as a 64-bit integer (`as_integer()` is 32-bit on PostgreSQL)."""
    return cast(element.as_string(), BigInteger)


def custom_equals(key: str, value: Any, dialect: str) -> ColumnElement[bool]:
    """Whether custom field `key` equals the JSON scalar `value` (any of a list)."""
    if dialect == "postgresql":
        # Containment compares JSON values as they are: no cast can fail on a field of another type.
        return type_coerce(Incident.custom_fields, postgresql.JSONB).contains({key: value})
    return json_equals(Incident.custom_fields[(key,)], value)


def json_equals(element: Any, value: Any) -> ColumnElement[bool]:
    """A JSON element compared with a plain value of the element's own JSON type (SQLite: 64-bit integers)."""
    if isinstance(value, bool):
        return element.as_boolean() == value  # type: ignore[no-any-return]
    if isinstance(value, int):
        return element.as_integer() == value  # type: ignore[no-any-return]
    if isinstance(value, float):
        return element.as_float() == value  # type: ignore[no-any-return]
    return element.as_string() == str(value)  # type: ignore[no-any-return]


_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_DATE_COLUMNS: dict[str, Any] = {
    "created_date": Incident.created_at,
    "modified_date": Incident.updated_at,
    "acknowledged_date": Incident.acknowledged_at,
    "identified_date": Incident.identified_at,
    "mitigated_date": Incident.mitigated_at,
    "target_close_date": Incident.target_close_at,
    "actual_close_date": Incident.closed_at,
}


def date_column(name: str) -> Any:
    return _DATE_COLUMNS[name]


def sort_expression(name: str) -> tuple[Any, Kind] | None:
    """The expression a `sort_by` field orders by (NULLs coalesced so keyset comparisons hold)."""
    if name in _DATE_COLUMNS:
        column = _DATE_COLUMNS[name]
        if name in {"created_date", "modified_date"}:
            return column, "dt"
        return func.coalesce(column, literal(_EPOCH, UTCDateTime())), "dt"
    if name == "title":
        return func.coalesce(Incident.title, ""), "str"
    if name == "stage":
        return func.coalesce(Incident.stage, ""), "str"
    if name == "display_id":
        return as_int64(meta("number")), "int"
    if name in {"severity", "reported_by", "source"}:
        return func.coalesce(as_int64(meta(name)), -1), "int"
    return None


SORTABLE = (
    "created_date",
    "modified_date",
    "display_id",
    "title",
    "severity",
    "stage",
    "reported_by",
    "source",
    "acknowledged_date",
    "identified_date",
    "mitigated_date",
    "target_close_date",
    "actual_close_date",
)


@dataclass(frozen=True)
class SortKey:
    expression: Any
    kind: Kind
    descending: bool


def _keyset(keys: list[SortKey], values: list[Any], forward: bool) -> ColumnElement[bool]:
    """Rows strictly after (forward) or before the position `values` in the order `keys`."""
    alternatives = []
    for index, key in enumerate(keys):
        equal = [keys[i].expression == values[i] for i in range(index)]
        greater = key.descending != forward  # asc going forward, or desc going back
        step = key.expression > values[index] if greater else key.expression < values[index]
        alternatives.append(and_(*equal, step))
    return or_(*alternatives)


class DevRevRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # --- incidents -------------------------------------------------------------------------------

    def by_don(self, tenant_id: str, don: str) -> Incident | None:
        return self.session.scalar(
            select(Incident).where(
                Incident.tenant_id == tenant_id, Incident.source == SOURCE, Incident.external_id == don
            )
        )

    def by_native_id(self, tenant_id: str, incident_id: str) -> Incident | None:
        return self.session.scalar(
            select(Incident).where(
                Incident.tenant_id == tenant_id, Incident.source == SOURCE, Incident.id == incident_id
            )
        )

    def page(
        self,
        conditions: list[ColumnElement[bool]],
        keys: list[SortKey],
        after: list[Any] | None,
        limit: int,
        forward: bool,
    ) -> list[Incident]:
        """Up to `limit` incidents walking the key order from a position (None: from that end), nearest first."""
        query = select(Incident).where(*conditions)
        if after is not None:
            query = query.where(_keyset(keys, after, forward))
        ordering = [k.expression.desc() if k.descending == forward else k.expression.asc() for k in keys]
        return list(self.session.scalars(query.order_by(*ordering).limit(limit)))

    def exists_beyond(
        self, conditions: list[ColumnElement[bool]], keys: list[SortKey], position: list[Any], forward: bool
    ) -> bool:
        query = select(Incident.id).where(*conditions, _keyset(keys, position, forward)).limit(1)
        return self.session.scalar(query) is not None

    def key_values(self, incident: Incident, keys: list[SortKey]) -> list[Any]:
        """The sort values of one incident, as the database computes them."""
        row = self.session.execute(select(*[k.expression for k in keys]).where(Incident.id == incident.id)).one()
        return list(row)

    def groups(
        self, conditions: list[ColumnElement[bool]], expression: Any, offset: int, limit: int
    ) -> list[tuple[Any, int]]:
        query = (
            select(expression, func.count())
            .where(*conditions)
            .group_by(expression)
            .order_by(expression.asc().nulls_last())
            .offset(offset)
            .limit(limit)
        )
        return [(row[0], int(row[1])) for row in self.session.execute(query)]

    def group_count(self, conditions: list[ColumnElement[bool]], expression: Any) -> int:
        groups = select(expression).where(*conditions).group_by(expression).subquery()
        return int(self.session.scalar(select(func.count()).select_from(groups)) or 0)

    def count(self, conditions: list[ColumnElement[bool]]) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Incident).where(*conditions)) or 0)

    # --- tags ------------------------------------------------------------------------------------

    def tag_by_number(self, tenant_id: str, number: int) -> Tag | None:
        return self.session.scalar(select(Tag).where(Tag.tenant_id == tenant_id, Tag.number == number))

    def tag_by_name(self, tenant_id: str, name: str) -> Tag | None:
        return self.session.scalar(select(Tag).where(Tag.tenant_id == tenant_id, Tag.name == name))

    def resolve_tag(self, tenant_id: str, tenant_slug: str, tag_id: str) -> Tag:
        """The tag a `tag_id` names: its DON or `TAG-<n>`, which must exist here, else its name, made on first use."""
        if ids.is_id_of(tag_id, "tag", ids.TAG_PREFIX):
            number = ids.number_of(tag_id, tenant_slug, "tag", ids.TAG_PREFIX)
            tag = self.tag_by_number(tenant_id, number) if number is not None else None
            if tag is None:
                raise invalid_field("tags", f"tag {tag_id!r} does not exist in this organisation")
            return tag
        name = tag_id.strip()
        existing = self.tag_by_name(tenant_id, name)
        if existing is not None:
            return existing
        tag = Tag(tenant_id=tenant_id, name=name, number=TenantRepository(self.session).next_number(tenant_id, "tag"))
        try:
            with self.session.begin_nested():
                self.session.add(tag)
                self.session.flush()
        except IntegrityError:  # another writer created it first
            found = self.tag_by_name(tenant_id, name)
            assert found is not None  # noqa: S101
            return found
        return tag

    def tag_views(self, tenant_id: str, tenant_slug: str, dons: set[str]) -> dict[str, TagView]:
        numbers = {n for d in dons if (n := ids.number_of(d, tenant_slug, "tag", ids.TAG_PREFIX)) is not None}
        if not numbers:
            return {}
        rows = self.session.scalars(select(Tag).where(Tag.tenant_id == tenant_id, Tag.number.in_(numbers)))
        views = {}
        for tag in rows:
            don = ids.tag_don(tenant_slug, tag.number)
            views[don] = TagView(don=don, display_id=f"{ids.TAG_PREFIX}-{tag.number}", name=tag.name)
        return views

    # --- people ----------------------------------------------------------------------------------

    def people(self, tenant_id: str, user_ids: set[str]) -> dict[str, Person]:
        if not user_ids:
            return {}
        rows = self.session.scalars(
            select(Personnel).where(Personnel.tenant_id == tenant_id, Personnel.personnel_id.in_(user_ids))
        )
        return {p.personnel_id: Person(display_name=p.display_name, full_name=p.full_name, email=p.email) for p in rows}

    # --- schema fragments ------------------------------------------------------------------------

    def fragments(self, tenant_id: str) -> list[CustomSchemaFragment]:
        query = select(CustomSchemaFragment).where(CustomSchemaFragment.tenant_id == tenant_id)
        return list(self.session.scalars(query.order_by(CustomSchemaFragment.kind, CustomSchemaFragment.name)))

    def fragment(self, tenant_id: str, fragment_id: str) -> CustomSchemaFragment | None:
        return self.session.scalar(
            select(CustomSchemaFragment).where(
                CustomSchemaFragment.tenant_id == tenant_id, CustomSchemaFragment.id == fragment_id
            )
        )

    def add_fragment(self, fragment: CustomSchemaFragment) -> bool:
        """Insert; False when the tenant already has a fragment of that kind and name."""
        try:
            with self.session.begin_nested():
                self.session.add(fragment)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def delete_fragment(self, fragment: CustomSchemaFragment) -> None:
        self.session.delete(fragment)
        self.session.flush()

    def fragment_map(self, tenant_id: str) -> dict[tuple[str, str], Fragment]:
        return {
            (row.kind, row.name): Fragment(
                id=row.id, kind=row.kind, name=row.name, fields=[FieldDef.model_validate(f) for f in row.fields]
            )
            for row in self.fragments(tenant_id)
        }


def _range(column: Any, spec: DateRange, name: str, now: datetime) -> list[ColumnElement[bool]]:
    if spec.type == "range":
        return [
            *([column >= spec.after] if spec.after else []),
            *([column <= spec.before] if spec.before else []),
        ]
    if spec.preset_type is None or spec.days is None:
        raise invalid_field(name, f"{name}: a preset needs preset_type and days")
    if spec.preset_type == "last_n_days":
        return [column >= _shift(now, -spec.days), column <= now]
    return [column >= now, column <= _shift(now, spec.days)]


def _shift(now: datetime, days: int) -> datetime:
    """`now` moved by `days`, clamped to the first and last instants a datetime holds."""
    try:
        return now + timedelta(days=days)
    except OverflowError:
        return _EPOCH if days < 0 else datetime.max.replace(tzinfo=UTC)


def list_conditions(
    tenant_id: str, request: IncidentsListRequest, settings: DevRevSettings, dialect: str
) -> list[ColumnElement[bool]]:
    """The WHERE of an incidents.list/group request: every filter is an any-of over its values."""
    conditions: list[ColumnElement[bool]] = [Incident.tenant_id == tenant_id, Incident.source == SOURCE]
    for name in ("applies_to_parts", "pia", "playbooks", "related_docs"):
        values = getattr(request, name)
        if values:
            conditions.append(has_any(Incident.extra_metadata, (BLOCK, name), values, dialect))
    if request.owned_by:
        conditions.append(has_any(Incident.owners, (), request.owned_by, dialect))
    if request.impacted_customers:
        path = (BLOCK, "impact", "customer_ids")
        conditions.append(has_any(Incident.extra_metadata, path, request.impacted_customers, dialect))
    if request.created_by:
        conditions.append(meta("created_by").as_string().in_(request.created_by))
    for name in ("reported_by", "source"):
        values = getattr(request, name)
        if values:
            conditions.append(as_int64(meta(name)).in_(values))
    if request.severity:
        conditions.append(as_int64(meta("severity")).in_([settings.severity(v).id for v in request.severity]))
    if request.stage:
        conditions.append(Incident.stage.in_([settings.stage(v).name for v in request.stage]))
    if request.subtype:
        conditions.append(meta("subtype").as_string().in_(request.subtype))
    if request.title:
        conditions.append(Incident.title.in_(request.title))
    custom_terms = 0
    for key, wanted in (request.custom_fields or {}).items():
        if not CUSTOM_KEY.match(key):
            raise invalid_field("custom_fields", f"custom_fields: {key!r} is not a custom field key")
        values = wanted if isinstance(wanted, list) else [wanted]
        if any(isinstance(v, dict | list) for v in values):
            raise invalid_field("custom_fields", f"custom_fields.{key}: filter by scalar values or a list of them")
        # Each value once (1, 1.0 and true are different JSON values); all of them bounded like any filter's.
        values = list({(type(v), v): v for v in values}.values())
        custom_terms += len(values)
        if custom_terms > MAX_FILTER_VALUES:
            detail = f"custom_fields: at most {MAX_FILTER_VALUES} values in all (distinct values, over every key)"
            raise invalid_field("custom_fields", detail)
        conditions.append(or_(*[custom_equals(key, v, dialect) for v in values]) if values else false())
    if request.staged_info is not None and request.staged_info.is_staged is not None:
        staged = func.coalesce(meta("staged_info", "is_staged").as_boolean(), False)
        conditions.append(staged == request.staged_info.is_staged)
    sync = request.sync_metadata
    if sync is not None:
        for name in ("external_reference", "origin_system"):
            if getattr(sync, name):
                conditions.append(meta("sync_metadata", name).as_string().in_(getattr(sync, name)))
        for side in ("last_sync_in", "last_sync_out"):
            part = getattr(sync, side)
            for name in ("status", "sync_history", "sync_unit") if part is not None else ():
                if getattr(part, name):
                    conditions.append(meta("sync_metadata", side, name).as_string().in_(getattr(part, name)))
    now = datetime.now(UTC)
    for name in _DATE_COLUMNS:
        spec = getattr(request, name)
        if spec is not None:
            conditions.extend(_range(_DATE_COLUMNS[name], spec, name, now))
    return conditions


def group_expression(group_by: str) -> Any | None:
    """What `incidents.group` groups by, per supported `group_by`."""
    if group_by == "stage":
        return Incident.stage
    if group_by in {"severity", "reported_by", "source"}:
        return as_int64(meta(group_by))
    if group_by == "subtype":
        return meta("subtype").as_string()
    return None
