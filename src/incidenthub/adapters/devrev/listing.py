"""Rules of incidents.list and incidents.group: filters, sort order, keyset cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from incidenthub.adapters.devrev import query as cursors
from incidenthub.adapters.devrev import wire
from incidenthub.adapters.devrev.errors import invalid_field, value_not_permitted
from incidenthub.adapters.devrev.repository import (
    SORTABLE,
    DevRevRepository,
    SortKey,
    group_expression,
    list_conditions,
    sort_expression,
)
from incidenthub.adapters.devrev.schemas import GROUPABLE, IncidentsGroupRequest, IncidentsListRequest
from incidenthub.adapters.devrev.service import Caller, shape, tenant_settings
from incidenthub.adapters.devrev.tenant_settings import DevRevSettings
from incidenthub.models import Incident

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
DEFAULT_SORT = ["created_date:desc"]
DEFAULT_GROUPS = 10
DEFAULT_PER_GROUP = 50
MAX_CURSOR_STRING = 1000  # the longest string a sort key holds (a title is 500)


def sort_keys(sort_by: list[str] | None) -> tuple[list[SortKey], list[str]]:
    """The keys of a `sort_by` (`field[:asc|:desc]`, asc by default) plus the id as tie-breaker."""
    names = sort_by or DEFAULT_SORT
    keys: list[SortKey] = []
    normalised: list[str] = []
    for item in names:
        name, _, direction = item.strip().partition(":")
        direction = direction.strip().lower() or "asc"
        found = sort_expression(name.strip())
        if found is None or direction not in {"asc", "desc"}:
            raise value_not_permitted(
                "sort_by",
                f"cannot sort by {item!r}",
                [f"{n}:{d}" for n in SORTABLE for d in ("asc", "desc")],
            )
        keys.append(SortKey(found[0], found[1], direction == "desc"))
        normalised.append(f"{name.strip()}:{direction}")
    keys.append(SortKey(Incident.id, "str", keys[-1].descending))
    return keys, normalised


def _limit(value: int | None, default: int, name: str) -> int:
    if value is None:
        return default
    if value < 1:
        raise invalid_field(name, f"{name} must be at least 1")
    return min(value, MAX_LIMIT)


def _encode(values: list[Any]) -> list[Any]:
    return [v.isoformat() if isinstance(v, datetime) else v for v in values]


def _position(value: Any, kind: str) -> Any:
    """One cursor position as its key's kind holds it; ValueError when it cannot be one."""
    if kind == "dt":
        if not isinstance(value, str):
            raise ValueError(value)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(value)
        return wire.utc(parsed, 1, 9999)
    if kind == "str":
        if not isinstance(value, str) or "\x00" in value or len(value) > MAX_CURSOR_STRING:
            raise ValueError(value)
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not wire.INT64_MIN <= value <= wire.INT64_MAX:
        raise ValueError(value)
    return value


def _decode(values: list[Any], keys: list[SortKey]) -> list[Any]:
    if len(values) != len(keys):
        raise invalid_field("cursor", "the cursor is not one this server handed out")
    try:
        return [_position(v, k.kind) for v, k in zip(values, keys, strict=True)]
    except (TypeError, ValueError):
        raise invalid_field("cursor", "the cursor is not one this server handed out") from None


def list_incidents(session: Session, caller: Caller, request: IncidentsListRequest) -> dict[str, Any]:
    settings = tenant_settings(session, caller.tenant_id)
    repository = DevRevRepository(session)
    conditions = list_conditions(caller.tenant_id, request, settings, repository.dialect)
    keys, order = sort_keys(request.sort_by)
    limit = _limit(request.limit, DEFAULT_LIMIT, "limit")
    position: list[Any] | None = None
    forward = request.mode != "before"
    if request.cursor:
        encoded, forward = cursors.decode_cursor(request.cursor, order)
        position = _decode(encoded, keys)
        if request.mode is not None:  # an explicit mode wins over the cursor's own direction
            forward = request.mode == "after"
    rows = repository.page(conditions, keys, position, limit + 1, forward)
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    body: dict[str, Any] = {"incidents": _shape(session, caller, rows, settings)}
    if not rows:
        return body
    first, last = repository.key_values(rows[0], keys), repository.key_values(rows[-1], keys)
    # The page's own direction knows from the extra row; the other side needs one look.
    if forward:
        has_after = more
        has_before = position is not None and repository.exists_beyond(conditions, keys, first, False)
    else:
        has_before = more
        has_after = position is not None and repository.exists_beyond(conditions, keys, last, True)
    if has_after:
        body["next_cursor"] = cursors.encode_cursor(_encode(last), True, order)
    if has_before:
        body["prev_cursor"] = cursors.encode_cursor(_encode(first), False, order)
    return body


def _shape(session: Session, caller: Caller, rows: list[Incident], settings: DevRevSettings) -> list[Any]:
    return shape(session, caller, rows, settings) if rows else []


def _key_view(group_by: str, value: Any, settings: DevRevSettings) -> dict[str, Any]:
    """A group's key as DevRev's field-value object."""
    if value is None:
        return {"type": "string", "value": "", "display_value": "(none)"}
    if group_by == "stage":
        return {"type": "stage", "name": value, "display_value": value}
    if group_by == "subtype":
        return {"type": "string", "value": value, "display_value": value}
    if group_by == "severity":
        severity = next((s for s in settings.severities if s.id == value), None)
        return {"type": "int", "value": value, "display_value": severity.label if severity else str(value)}
    return {"type": "int", "value": value, "display_value": str(value)}


def group_incidents(session: Session, caller: Caller, request: IncidentsGroupRequest) -> dict[str, Any]:
    """Groups of incidents, each with a page of its incidents and cursors to page inside it.

    The request's `cursor` is either a groups cursor (the answer's `next_cursor`/`prev_cursor`: more groups)
    or a group's own (a group's `next_cursor`/`prev_cursor`: that group alone, its next page). `mode: "before"`
    without a cursor starts from the end, as on incidents.list: the last groups, each with its last incidents.
    """
    expression = group_expression(request.group_by)
    if expression is None:
        raise value_not_permitted("group_by", f"cannot group by {request.group_by!r}", list(GROUPABLE))
    settings = tenant_settings(session, caller.tenant_id)
    repository = DevRevRepository(session)
    conditions = list_conditions(caller.tenant_id, request, settings, repository.dialect)
    keys, order = sort_keys(request.sort_by)
    limit = _limit(request.limit, DEFAULT_GROUPS, "limit")
    per_group = _limit(request.limit_per_group, DEFAULT_PER_GROUP, "limit_per_group")
    page = _GroupPage(session, caller, settings, repository, conditions, keys, order, request.group_by, per_group)
    if request.cursor and cursors.is_group_cursor(request.cursor):
        value, encoded, forward = cursors.decode_group_cursor(request.cursor, request.group_by, order)
        if request.mode is not None:
            forward = request.mode == "after"
        member = _member(expression, value)
        total = repository.count([*conditions, member])
        return {"groups": [page.group(expression, value, total, _decode(encoded, keys), forward)]}
    forward = request.mode != "before"
    if request.cursor:
        offset = cursors.decode_offset(request.cursor)
    elif forward:
        offset = 0
    else:  # from the end: the last `limit` groups
        offset = max(0, repository.group_count(conditions, expression) - limit)
    found = repository.groups(conditions, expression, offset, limit + 1)
    groups = [page.group(expression, value, total, None, forward) for value, total in found[:limit]]
    body: dict[str, Any] = {"groups": groups}
    if len(found) > limit:
        body["next_cursor"] = cursors.encode_offset(offset + limit)
    if offset > 0:
        body["prev_cursor"] = cursors.encode_offset(max(0, offset - limit))
    return body


def _member(expression: Any, value: Any) -> Any:
    return expression.is_(None) if value is None else expression == value


@dataclass
class _GroupPage:
    """What paging inside any group of one incidents.group request needs."""

    session: Session
    caller: Caller
    settings: DevRevSettings
    repository: DevRevRepository
    conditions: list[Any]
    keys: list[SortKey]
    order: list[str]
    group_by: str
    per_group: int

    def group(
        self, expression: Any, value: Any, total: int, position: list[Any] | None, forward: bool
    ) -> dict[str, Any]:
        """One group: its key, a page of its incidents from `position` (None: from that end) and its cursors."""
        conditions = [*self.conditions, _member(expression, value)]
        rows = self.repository.page(conditions, self.keys, position, self.per_group + 1, forward)
        more = len(rows) > self.per_group
        rows = rows[: self.per_group]
        if not forward:
            rows.reverse()
        body: dict[str, Any] = {
            "key": _key_view(self.group_by, value, self.settings),
            "incidents": _shape(self.session, self.caller, rows, self.settings),
            "total": total,
            "count": total,
        }
        if not rows:
            return body
        first = self.repository.key_values(rows[0], self.keys)
        last = self.repository.key_values(rows[-1], self.keys)
        if forward:
            has_after = more
            has_before = position is not None and self.repository.exists_beyond(conditions, self.keys, first, False)
        else:
            has_before = more
            has_after = position is not None and self.repository.exists_beyond(conditions, self.keys, last, True)
        if has_after:
            body["next_cursor"] = cursors.encode_group_cursor(self.group_by, value, _encode(last), True, self.order)
        if has_before:
            body["prev_cursor"] = cursors.encode_group_cursor(self.group_by, value, _encode(first), False, self.order)
        return body
