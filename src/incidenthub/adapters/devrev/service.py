"""Rules of the DevRev door: create, get, update and delete incidents. Never imports FastAPI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.orm import Session

from incidenthub.adapters.devrev import customfields, ids
from incidenthub.adapters.devrev.errors import invalid_field, not_found
from incidenthub.adapters.devrev.mapping import (
    BLOCK,
    BLOCK_LISTS,
    DATE_COLUMNS,
    SOURCE,
    ReadContext,
    block_of,
    external_source_block,
    to_devrev,
)
from incidenthub.adapters.devrev.repository import DevRevRepository
from incidenthub.adapters.devrev.schemas import (
    IncidentsCreateRequest,
    IncidentsUpdateRequest,
    SetIds,
    SetTags,
    StageCreate,
    StageUpdate,
    TagWithValue,
)
from incidenthub.adapters.devrev.tenant_settings import DevRevSettings, StageDef, load
from incidenthub.auth.repository import TenantRepository
from incidenthub.clock import utcnow
from incidenthub.incidents import changes, drafts
from incidenthub.incidents import service as incidents_service
from incidenthub.incidents.commands import IncidentFields
from incidenthub.models import Incident, Tenant

COUNTER = "devrev_incident"


@dataclass(frozen=True)
class Caller:
    """Who calls: the tenant (id and slug) and the API key acting."""

    tenant_id: str
    tenant_slug: str
    key_id: str

    @property
    def actor(self) -> str:
        return ids.key_don(self.tenant_slug, self.key_id)


def tenant_settings(session: Session, tenant_id: str) -> DevRevSettings:
    tenant = session.get(Tenant, tenant_id)
    return load(tenant.settings if tenant else None)


# --- reading ---------------------------------------------------------------------------------------


def shape(session: Session, caller: Caller, incidents: Sequence[Incident], settings: DevRevSettings) -> list[Any]:
    """Incidents as DevRev objects, their tags and people looked up in one query each."""
    repository = DevRevRepository(session)
    tag_dons = {t["tag_id"] for i in incidents for t in block_of(i).get("tags") or []}
    user_ids = {u for i in incidents for u in [*(i.owners or []), *(i.stakeholders or [])]}
    context = ReadContext(
        tenant_slug=caller.tenant_slug,
        settings=settings,
        tags=repository.tag_views(caller.tenant_id, caller.tenant_slug, tag_dons),
        people=repository.people(caller.tenant_id, user_ids),
        fragment_dons={
            f.id: ids.fragment_don(caller.tenant_slug, f.id) for f in repository.fragments(caller.tenant_id)
        },
    )
    return [to_devrev(incident, context) for incident in incidents]


def find(
    session: Session, caller: Caller, incident_id: str, *, full: bool = False, for_update: bool = False
) -> Incident:
    """The tenant's DevRev incident named by its DON, `INC-<n>`, or native id; not_found otherwise."""
    repository = DevRevRepository(session)
    number = ids.number_of(incident_id, caller.tenant_slug, "incident", ids.INCIDENT_PREFIX)
    if number is not None:
        incident = repository.by_don(caller.tenant_id, ids.incident_don(caller.tenant_slug, number))
    else:
        incident = repository.by_native_id(caller.tenant_id, incident_id.strip())
    if incident is None:
        raise not_found(f"incident {incident_id!r} does not exist")
    if full or for_update:
        incident = incidents_service.get_incident(
            session, caller.tenant_id, incident.id, full=full, for_update=for_update
        )
    return incident


def get(session: Session, caller: Caller, incident_id: str) -> dict[str, Any]:
    incident = find(session, caller, incident_id)
    return {"incident": shape(session, caller, [incident], tenant_settings(session, caller.tenant_id))[0]}


# --- writing ---------------------------------------------------------------------------------------


def _stage_request(stage: StageCreate | StageUpdate | str | None) -> tuple[str | None, str | None]:
    if stage is None:
        return None, None
    if isinstance(stage, str):
        return stage, None
    return stage.stage, stage.notes


def _tags(session: Session, caller: Caller, tags: Sequence[TagWithValue]) -> tuple[list[dict[str, Any]], list[str]]:
    """The block's `[{tag_id: <DON>, value}]` and the canonical tag names, tags created on first use."""
    repository = DevRevRepository(session)
    refs: list[dict[str, Any]] = []
    names: list[str] = []
    for item in tags:
        tag = repository.resolve_tag(caller.tenant_id, caller.tenant_slug, item.tag_id)
        don = ids.tag_don(caller.tenant_slug, tag.number)
        if any(ref["tag_id"] == don for ref in refs):
            continue
        refs.append({"tag_id": don, "value": item.value})
        names.append(tag.name)
    return refs, names


def _lifecycle(incident: Incident | None, settings: DevRevSettings, stage: str | None) -> dict[str, Any]:
    """Canonical status and close times that follow the stage: a final state closes the incident."""
    now = utcnow()
    closed_at = incident.closed_at if incident else None
    resolved_at = incident.resolved_at if incident else None
    if settings.is_final(stage):
        return {"status": "resolved", "closed_at": closed_at or now, "resolved_at": resolved_at or now}
    if incident is not None and incident.status not in changes.FINAL:
        return {"closed_at": None, "resolved_at": None}  # an open stage keeps the lifecycle where units took it
    return {"status": "created", "closed_at": None, "resolved_at": None}


@dataclass(frozen=True)
class Create:
    """One `incidents.create` request, as the write path queues it (kind CREATE)."""

    caller: Caller
    request: IncidentsCreateRequest
    raw: dict[str, Any]


# The kind the write path applies set-based (registered in app.py).
CREATE = "devrev.create"


def create(session: Session, caller: Caller, request: IncidentsCreateRequest, raw: dict[str, Any]) -> dict[str, Any]:
    """A new incident, numbered `INC-<n>` per tenant; every check passes before anything is written."""
    return create_many(session, [Create(caller, request, raw)])[0]


def create_many(session: Session, items: Sequence[Create]) -> list[dict[str, Any]]:
    """Many creates in a few statements: per tenant one settings read, one fragment read, one block of
    numbers and one shaping of the answers; one multi-row insert of the incidents and of their entries.
    Every check of every item passes before anything is written (one that fails fails the call; the write
    path then runs the others without it)."""
    now = utcnow()
    by_tenant: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        by_tenant.setdefault(item.caller.tenant_id, []).append(index)
    pending: list[drafts.Draft | None] = [None] * len(items)
    settings_of: dict[str, DevRevSettings] = {}
    for tenant_id, indexes in by_tenant.items():
        settings = settings_of[tenant_id] = tenant_settings(session, tenant_id)
        fragments = DevRevRepository(session).fragment_map(tenant_id)
        parts = [_parts(session, items[i], settings, fragments) for i in indexes]
        numbers = TenantRepository(session).next_numbers(tenant_id, COUNTER, len(indexes))
        rules = changes.rules_of(session, tenant_id)
        for index, (block, fields), number in zip(indexes, parts, numbers, strict=True):
            caller = items[index].caller
            don = ids.incident_don(caller.tenant_slug, number)
            fields["number"] = ids.incident_display_id(number)
            fields["extra_metadata"] = {BLOCK: {"number": number, **block}}
            pending[index] = drafts.draft(
                tenant_id,
                SOURCE,
                don,
                fields,
                items[index].raw,
                actor=caller.actor,
                message="Incident created (DevRev)",
                at=now,
                rules=rules,
            )
    made = [d for d in pending if d is not None]
    drafts.insert_drafts(session, made)
    answers: list[dict[str, Any]] = [{} for _ in items]
    for tenant_id, indexes in by_tenant.items():
        incidents = [drafts.as_incident(made[i]) for i in indexes]
        shaped = shape(session, items[indexes[0]].caller, incidents, settings_of[tenant_id])
        for index, body in zip(indexes, shaped, strict=True):
            answers[index] = {"incident": body}
    return answers


def _parts(
    session: Session, item: Create, settings: DevRevSettings, fragments: dict[tuple[str, str], customfields.Fragment]
) -> tuple[dict[str, Any], IncidentFields]:
    """The DevRev block (without its number) and the canonical fields of a create; raises on bad input."""
    caller, request = item.caller, item.request
    severity = settings.severity(request.severity) if request.severity is not None else None
    stage_value, stage_notes = _stage_request(request.stage)
    stage: StageDef = settings.stage(stage_value) if stage_value else settings.start_stage()
    settings.check_start(stage, "allow_non_start" in request.stage_validation_options)
    reported_by = settings.open_enum("reported_by", request.reported_by) if request.reported_by is not None else None
    source = settings.open_enum("source", request.source) if request.source is not None else None
    impact = request.impact
    count = settings.open_enum("impact.count", impact.count) if impact and impact.count is not None else None
    custom = customfields.apply(
        request.custom_fields,
        request.custom_schema_spec,
        fragments,
        customfields.Outcome(custom_fields={}, fragment_ids=[], subtype=None),
    )
    tag_refs, tag_names = _tags(session, caller, request.tags or [])
    customers = list(
        dict.fromkeys([*(impact.customer_ids or [] if impact else []), *(request.impacted_customers or [])])
    )
    block: dict[str, Any] = {
        **{name: list(getattr(request, name) or []) for name in BLOCK_LISTS},
        "impact": {"count": count.id if count else None, "customer_ids": customers},
        "reported_by": reported_by.id if reported_by else None,
        "severity": severity.id if severity else None,
        "source": source.id if source else None,
        "stage_notes": stage_notes,
        "tags": tag_refs,
        "custom_schema_fragments": custom.fragment_ids,
        "subtype": custom.subtype,
        "custom_schema_spec": request.custom_schema_spec.model_dump() if request.custom_schema_spec else None,
        "external_source_data": external_source_block(_dump(request.external_source_data)),
        "staged_info": request.staged_info,
        "sync_metadata": request.sync_metadata,
        "created_by": caller.actor,
        "modified_by": caller.actor,
    }
    fields: IncidentFields = {
        "title": request.title,
        "description": request.body,
        # DevRev's severity is the priority; the Sety severity follows from it (incidents.classification).
        "priority": severity.label if severity else None,
        "stage": stage.name,
        "owners": list(request.owned_by or []),
        "stakeholders": list(request.stakeholders or []),
        "tags": tag_names,
        "custom_fields": custom.custom_fields,
        "source_created_at": request.external_source_data.created_date if request.external_source_data else None,
        # Names from the DATE_COLUMNS table and the stage's lifecycle: checked by drafts.draft.
        **cast(IncidentFields, {column: getattr(request, name) for name, column in DATE_COLUMNS.items()}),
        **cast(IncidentFields, _lifecycle(None, settings, stage.name)),
    }
    return block, fields


def _dump(model: Any) -> dict[str, Any] | None:
    return model.model_dump(exclude_none=True) if model is not None else None


def _set_of(value: SetIds | list[str] | None) -> list[str]:
    if value is None:
        return []
    return list(value.set) if isinstance(value, SetIds) else list(value)


def update(session: Session, caller: Caller, request: IncidentsUpdateRequest, raw: dict[str, Any]) -> dict[str, Any]:
    """Apply the members present in the request; an update that updates nothing writes nothing."""
    incident = find(session, caller, request.id, full=True, for_update=True)
    settings = tenant_settings(session, caller.tenant_id)
    given = request.model_fields_set
    block = block_of(incident)
    updates: dict[str, Any] = {}
    if "title" in given:
        if request.title is None:
            raise invalid_field("title", "title cannot be removed")
        updates["title"] = request.title
    if "body" in given:
        updates["description"] = request.body
    for name, column in DATE_COLUMNS.items():
        if name in given:
            updates[column] = getattr(request, name)
    if "severity" in given:
        severity = settings.severity(request.severity) if request.severity is not None else None
        updates["priority"] = severity.label if severity else None
        block["severity"] = severity.id if severity else None
    for name, field_name in (("reported_by", "reported_by"), ("source", "source")):
        if name in given:
            value = getattr(request, name)
            block[name] = settings.open_enum(field_name, value).id if value is not None else None
    stage_value, stage_notes = _stage_request(request.stage)
    if stage_value is not None:
        target = settings.stage(stage_value)
        settings.check_transition(
            incident.stage, target, "allow_invalid_transition" in request.stage_validation_options
        )
        updates["stage"] = target.name
        updates.update(_lifecycle(incident, settings, target.name))
    if stage_value is not None or stage_notes is not None:
        # The notes belong to the stage they were written for: a new stage without notes has none.
        block["stage_notes"] = stage_notes
    for name in BLOCK_LISTS:
        if name in given:
            block[name] = _set_of(getattr(request, name))
    if "owned_by" in given:
        updates["owners"] = _set_of(request.owned_by)
    if "stakeholders" in given:
        updates["stakeholders"] = _set_of(request.stakeholders)
    if request.impact is not None:
        impact = dict(block.get("impact") or {})
        if request.impact.count is not None:
            impact["count"] = settings.open_enum("impact.count", request.impact.count).id
        if request.impact.customer_ids is not None:
            impact["customer_ids"] = _set_of(request.impact.customer_ids)
        block["impact"] = impact
    if "custom_fields" in given or "custom_schema_spec" in given:
        current = customfields.Outcome(
            custom_fields=dict(incident.custom_fields or {}),
            fragment_ids=list(block.get("custom_schema_fragments") or []),
            subtype=block.get("subtype"),
        )
        spec = request.custom_schema_spec
        fragments = DevRevRepository(session).fragment_map(caller.tenant_id)
        outcome = customfields.apply(request.custom_fields, spec, fragments, current)
        updates["custom_fields"] = outcome.custom_fields
        block["custom_schema_fragments"] = outcome.fragment_ids
        block["subtype"] = outcome.subtype
        if spec is not None:
            block["custom_schema_spec"] = spec.model_dump()
    if request.tags is not None:
        tags = request.tags.set if isinstance(request.tags, SetTags) else request.tags
        block["tags"], updates["tags"] = _tags(session, caller, tags)
    if "external_source_data" in given:
        data = _dump(request.external_source_data)
        block["external_source_data"] = external_source_block(data)
        updates["source_created_at"] = (
            request.external_source_data.created_date if request.external_source_data else None
        )
    for name in ("staged_info", "sync_metadata"):
        if name in given:
            block[name] = getattr(request, name)
    return _commit(session, caller, incident, settings, updates, block, raw)


def _commit(
    session: Session,
    caller: Caller,
    incident: Incident,
    settings: DevRevSettings,
    updates: dict[str, Any],
    block: dict[str, Any],
    raw: dict[str, Any],
) -> dict[str, Any]:
    old_block = block_of(incident)
    differs = block != old_block or any(getattr(incident, k) != v for k, v in updates.items())
    if differs:
        block["modified_by"] = caller.actor
        updates["extra_metadata"] = {**(incident.extra_metadata or {}), BLOCK: block}
        changed = changes.apply(incident, updates, actor=caller.actor, event="updated")
        if changed:
            incident.raw_payload = raw
        session.flush()
    return {"incident": shape(session, caller, [incident], settings)[0]}


def delete(session: Session, caller: Caller, incident_id: str) -> dict[str, Any]:
    """Delete the incident; the deletion is kept on record with the incident as DevRev last showed it."""
    incident = find(session, caller, incident_id, full=True, for_update=True)
    settings = tenant_settings(session, caller.tenant_id)
    snapshot = shape(session, caller, [incident], settings)[0]
    changes.delete(session, incident, actor=caller.actor, snapshot=snapshot)
    session.expunge(incident)
    return {}
