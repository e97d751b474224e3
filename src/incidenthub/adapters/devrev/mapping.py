"""DevRev incident payloads <-> the canonical incident. Pure: no database, no HTTP.

The canonical columns hold what they can (title, body, dates, severity label, stage name, owners,
stakeholders, tag names, custom fields); everything DevRev-only lives in `metadata["devrev"]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incidenthub.adapters.devrev import ids
from incidenthub.adapters.devrev.tenant_settings import DevRevSettings
from incidenthub.clock import iso_utc
from incidenthub.models import Incident

SOURCE = "devrev"
BLOCK = "devrev"

# Canonical date columns by DevRev date field.
DATE_COLUMNS = {
    "acknowledged_date": "acknowledged_at",
    "identified_date": "identified_at",
    "mitigated_date": "mitigated_at",
    "target_close_date": "target_close_at",
}
# DevRev-only id lists kept in the metadata block.
BLOCK_LISTS = ("applies_to_parts", "artifacts", "pia", "playbooks", "related_docs")

_USER_KINDS = {"devu": "dev_user", "revu": "rev_user", "svcacc": "service_account", "sysu": "sys_user"}
_PART_KINDS = {
    "prod": "product",
    "product": "product",
    "capl": "capability",
    "capability": "capability",
    "feat": "feature",
    "feature": "feature",
    "enh": "enhancement",
    "enhancement": "enhancement",
    "linkable": "linkable",
    "runnable": "runnable",
}
_DISPLAY = re.compile(r"^([A-Za-z]+)-\d+$")


@dataclass(frozen=True)
class Person:
    display_name: str | None = None
    full_name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class TagView:
    don: str
    display_id: str
    name: str


@dataclass
class ReadContext:
    """What shaping an incident needs beyond its row: the tenant, its settings, tags and people."""

    tenant_slug: str
    settings: DevRevSettings
    tags: dict[str, TagView] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    fragment_dons: dict[str, str] = field(default_factory=dict)


def block_of(incident: Incident) -> dict[str, Any]:
    """A copy of the incident's DevRev metadata block."""
    block = (incident.extra_metadata or {}).get(BLOCK)
    return dict(block) if isinstance(block, dict) else {}


def _kind_of(value: str) -> str | None:
    parsed = ids.parse_don(value)
    if parsed is not None:
        return parsed[1].lower()
    match = _DISPLAY.match(value)
    return match[1].lower() if match else None


def _display_id(value: str) -> str | None:
    if _DISPLAY.match(value):
        return value
    parsed = ids.parse_don(value)
    if parsed is not None and parsed[2].isdigit():
        return f"{parsed[1].upper()}-{parsed[2]}"
    return None


def _summary(value: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": value}
    display = _display_id(value)
    if display:
        body["display_id"] = display
    return {**body, **{k: v for k, v in extra.items() if v is not None}}


def user_summary(user_id: str, person: Person | None = None) -> dict[str, Any]:
    """A user-summary: its `type` from the id (`DEVU-`, `REVU-`, `.../svcacc/...`), names when known."""
    person = person or Person()
    display_name = person.display_name or person.full_name or ids.last_segment(user_id)
    return _summary(
        user_id,
        type=_USER_KINDS.get(_kind_of(user_id) or "", "dev_user"),
        display_name=display_name,
        full_name=person.full_name,
        email=person.email,
        state="active",
    )


def part_summary(part_id: str) -> dict[str, Any]:
    return _summary(part_id, type=_PART_KINDS.get(_kind_of(part_id) or "", "product"), name=part_id, owned_by=[])


def _stamp(value: datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


def _stamp_of(value: Any) -> str | None:
    """A stored ISO string or datetime, rendered the one way every date is."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso_utc(value)
    return iso_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def stage_view(ctx: ReadContext, stage_name: str | None) -> dict[str, Any] | None:
    if stage_name is None:
        return None
    stage = next((s for s in ctx.settings.stages if s.name == stage_name), None)
    if stage is None:  # renamed away in the settings since: still show what is stored
        return {"stage": {"id": ids.stage_don(ctx.tenant_slug, stage_name), "name": stage_name}}
    state = ctx.settings.state_of(stage)
    return {
        "stage": {"id": ids.stage_don(ctx.tenant_slug, stage.name), "name": stage.name},
        "state": {"id": ids.state_don(ctx.tenant_slug, state.name), "name": state.name, "is_final": state.is_final},
    }


def enum_view(ctx: ReadContext, field_name: str, value: int | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if field_name == "severity":
        found = next((s for s in ctx.settings.severities if s.id == value), None)
        return found.view() if found else {"id": value, "label": str(value), "ordinal": value}
    try:
        return ctx.settings.open_enum(field_name, value).view()
    except Exception:  # a value the settings no longer list: still shown
        return {"id": value, "label": str(value), "ordinal": value}


def to_devrev(incident: Incident, ctx: ReadContext) -> dict[str, Any]:
    """The incident as DevRev's `incident` object; members without a value are left out."""
    block = block_of(incident)
    impact = block.get("impact") or {}
    impact_view: dict[str, Any] = {}
    if impact.get("count") is not None:
        impact_view["count"] = enum_view(ctx, "impact.count", impact["count"])
    if impact.get("customer_ids"):
        impact_view["customer_ids"] = [_summary(c, display_name=c) for c in impact["customer_ids"]]
    created_by = block.get("created_by")
    modified_by = block.get("modified_by") or created_by
    tags = []
    for item in block.get("tags") or []:
        tag = ctx.tags.get(item["tag_id"])
        tag_body = {"id": tag.don, "display_id": tag.display_id, "name": tag.name} if tag else {"id": item["tag_id"]}
        tags.append({"tag": tag_body, **({"value": item["value"]} if item.get("value") is not None else {})})
    body: dict[str, Any] = {
        "id": incident.external_id,
        "display_id": incident.number,
        "title": incident.title,
        "body": incident.description,
        "created_by": user_summary(created_by) if created_by else None,
        "created_date": _stamp(incident.created_at),
        "modified_by": user_summary(modified_by) if modified_by else None,
        "modified_date": _stamp(incident.updated_at),
        "acknowledged_date": _stamp(incident.acknowledged_at),
        "identified_date": _stamp(incident.identified_at),
        "mitigated_date": _stamp(incident.mitigated_at),
        "target_close_date": _stamp(incident.target_close_at),
        "actual_close_date": _stamp(incident.closed_at),
        "applies_to_parts": [part_summary(p) for p in block.get("applies_to_parts") or []],
        "artifacts": [_summary(a) for a in block.get("artifacts") or []],
        "owned_by": [user_summary(u, ctx.people.get(u)) for u in incident.owners or []],
        "stakeholders": [user_summary(u, ctx.people.get(u)) for u in incident.stakeholders or []],
        "pia": [_summary(a) for a in block.get("pia") or []],
        "playbooks": [_summary(a) for a in block.get("playbooks") or []],
        "related_docs": [_summary(a) for a in block.get("related_docs") or []],
        "custom_fields": dict(incident.custom_fields) if incident.custom_fields else None,
        "custom_schema_fragments": [ctx.fragment_dons.get(f, f) for f in block.get("custom_schema_fragments") or []]
        or None,
        "subtype": block.get("subtype"),
        "impact": impact_view or None,
        "reported_by": enum_view(ctx, "reported_by", block.get("reported_by")),
        "severity": enum_view(ctx, "severity", block.get("severity")),
        "source": enum_view(ctx, "source", block.get("source")),
        "stage": stage_view(ctx, incident.stage),
        "tags": tags,
        "external_source_data": _external_view(incident, block),
        "staged_info": block.get("staged_info"),
        "sync_metadata": block.get("sync_metadata"),
    }
    if body["stage"] is not None and block.get("stage_notes"):
        body["stage"]["notes"] = block["stage_notes"]
    # DevRev leaves out a member without a value: no null, and no empty list either.
    return {key: value for key, value in body.items() if value is not None and value != []}


def _external_view(incident: Incident, block: dict[str, Any]) -> dict[str, Any] | None:
    external = dict(block.get("external_source_data") or {})
    if incident.source_created_at is not None:
        external["created_date"] = incident.source_created_at
    view = {key: _stamp_of(value) for key, value in external.items() if value is not None}
    return view or None


def external_source_block(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """closed/modified dates of the source system as stored in the block (created goes to a column)."""
    if not data:
        return None
    kept = {key: _stamp_of(data.get(key)) for key in ("closed_date", "modified_date") if data.get(key) is not None}
    return kept or None
