"""`incidents.create` requests queued together are created in one set-based batch; one refused create (its
tag made on first use and its number included) leaves nothing, and the others are committed and answered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incidenthub.adapters.devrev import service
from incidenthub.adapters.devrev.schemas import IncidentsCreateRequest
from incidenthub.db import WritePath
from incidenthub.errors import AppError
from incidenthub.models import Tag, Tenant
from tests.devrev.helpers import DevRev
from tests.writes import settle


def _create(caller: service.Caller, body: dict[str, Any]) -> service.Create:
    return service.Create(caller, IncidentsCreateRequest.model_validate(body), body)


def test_a_refused_create_in_a_batch_leaves_the_others_committed(devrev: DevRev) -> None:
    with devrev.database.read_sessions() as session:
        tenants = {t.slug: t.id for t in session.scalars(select(Tenant))}
    acme = service.Caller(tenants["acme"], "acme", "key_a")
    globex = service.Caller(tenants["globex"], "globex", "key_g")
    writes = WritePath(devrev.database)
    writes.register(service.CREATE, service.create_many)
    payloads = [
        _create(acme, {"title": "first", "severity": 1, "owned_by": ["DEVU-1"], "tags": [{"tag_id": "db"}]}),
        _create(globex, {"title": "other tenant", "stage": {"stage": "acknowledged"}}),
        _create(acme, {"title": "refused", "severity": 7, "tags": [{"tag_id": "never-made"}]}),
        _create(acme, {"title": "last", "custom_fields": {}, "tags": [{"tag_id": "db"}]}),
    ]
    futures = [writes.submit_batched(service.CREATE, payload) for payload in payloads]
    writes.start()  # queued first: all four are the writer's first batch
    settle(devrev.database, futures)
    writes.stop()

    assert writes.batches == 1
    with pytest.raises(AppError):
        futures[2].result()
    first, other, last = (futures[i].result()["incident"] for i in (0, 1, 3))
    # Numbers per tenant, none lost to the refused create.
    assert [first["display_id"], last["display_id"]] == ["INC-1", "INC-2"]
    assert other["display_id"] == "INC-1"
    assert other["stage"]["stage"]["name"] == "acknowledged"
    assert first["owned_by"][0]["id"] == "DEVU-1"
    assert [t["tag"]["name"] for t in first["tags"]] == ["db"] == [t["tag"]["name"] for t in last["tags"]]
    # What each was answered is what is stored.
    for answered in (first, last):
        stored = devrev.get("get", {"id": answered["display_id"]}).json()["incident"]
        assert stored == answered
    titles = [i["title"] for i in devrev.post("list", {}).json()["incidents"]]
    assert sorted(titles) == ["first", "last"]
    # The refused create's tag, made on first use, went with it.
    with devrev.database.read_sessions() as session:
        assert list(session.scalars(select(Tag.name).where(Tag.tenant_id == acme.tenant_id))) == ["db"]
