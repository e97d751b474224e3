"""New dispatch calls queued together are created in one set-based batch: what each caller is answered, and
what the canonical record holds afterwards, is what one call at a time gives (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from incidenthub.adapters.sonoran import intake
from incidenthub.adapters.sonoran import schemas_v1 as v1
from incidenthub.adapters.sonoran.service import UnknownServer
from incidenthub.auth.repository import TenantRepository
from incidenthub.db import Database, WritePath
from tests.sonoran.helpers import Sonoran
from tests.writes import settle


def _calls(*items: dict[str, Any]) -> list[Any]:
    parsed = v1.parse(v1.NewDispatchItem, list(items))
    return [v1.new_call(item, raw) for item, raw in zip(parsed, items, strict=True)]


def _tenant_id(database: Database, slug: str) -> str:
    with database.read_sessions() as session:
        tenant = TenantRepository(session).by_slug(slug)
        assert tenant is not None
        return tenant.id


def _queued(database: Database, *payloads: intake.NewCalls) -> tuple[WritePath, list[Any]]:
    """Queue every payload before the writer starts, so that all of them land in its first batch."""
    writes = WritePath(database)
    writes.register(intake.NEW_CALLS, intake.new_calls)
    futures = [writes.submit_batched(intake.NEW_CALLS, payload) for payload in payloads]
    writes.start()
    settle(database, futures)
    writes.stop()
    return writes, futures


def _timeline(sonoran: Sonoran, call_id: int) -> list[str]:
    return [entry["event"] for entry in sonoran.incident(call_id)["timeline"]]


def test_a_failing_call_in_a_batch_leaves_the_others_committed(sonoran: Sonoran, database: Database) -> None:
    tenant = _tenant_id(database, "community-a")
    first = intake.NewCalls(tenant, None, _calls({"title": "A", "units": ["STEAM:1", "STEAM:2"]}, {"title": "B"}))
    failing = intake.NewCalls(tenant, None, _calls({"title": "C", "serverId": 99, "units": ["STEAM:9"]}))
    last = intake.NewCalls(tenant, None, _calls({"title": "D", "units": ["STEAM:1"]}))

    writes, futures = _queued(database, first, failing, last)

    assert [c.call_id for c in futures[0].result()] == [1, 2]
    with pytest.raises(UnknownServer):
        futures[1].result()
    # The failing call's number went back with it: the counter hands out no gaps.
    assert [c.call_id for c in futures[2].result()] == [3]
    assert writes.batches == 1
    board = sonoran.calls()
    assert sorted(c["callId"] for c in board["activeCalls"]) == [1, 2, 3]
    assert [c["title"] for c in sorted(board["activeCalls"], key=lambda c: c["callId"])] == ["A", "B", "D"]
    # The failing call registered no unit either.
    units = sonoran.ok("get_active_units", [{"includeOffline": True}]).json()
    assert sorted(u["data"]["apiId1"] for u in units) == ["STEAM:1", "STEAM:2"]


def test_a_unit_named_twice_in_one_batch_ends_on_the_later_call(sonoran: Sonoran, database: Database) -> None:
    held = sonoran.new_call(title="Earlier", units=["STEAM:1"])  # committed before: a stored incident holds it
    (ident_1,) = sonoran.call(held)["idents"]
    tenant = _tenant_id(database, "community-a")
    a = intake.NewCalls(tenant, "key-a", _calls({"title": "A", "units": ["STEAM:1", "STEAM:2"], "notes": []}))
    b = intake.NewCalls(tenant, "key-b", _calls({"title": "B", "units": ["STEAM:2", "STEAM:1"]}))

    writes, futures = _queued(database, a, b)

    assert writes.batches == 1
    (call_a,), (call_b,) = futures[0].result(), futures[1].result()
    # Each caller is answered with its call as committed: A's units went on to B in the same batch.
    assert call_a.body["idents"] == []
    ident_2, again = call_b.body["idents"]
    assert again == ident_1
    assert ident_2 != ident_1
    assert call_b.body["primary"] == ident_2
    # Read back: each unit is on one call only, the last to name it.
    assert sonoran.call(held)["idents"] == []
    assert sonoran.call(call_a.call_id)["idents"] == []
    assert sonoran.call(call_b.call_id)["idents"] == [ident_2, ident_1]
    assert _timeline(sonoran, held) == ["created", "unit_assigned", "primary_changed", "assigned", "unit_cleared"]
    assert _timeline(sonoran, call_a.call_id) == [
        "created",
        "unit_assigned",
        "primary_changed",
        "assigned",
        "unit_assigned",
        "unit_cleared",
        "unit_cleared",
    ]
    stored_b = sonoran.incident(call_b.call_id)
    assert stored_b["status"] == "assigned"
    assert stored_b["revision"] == 5  # two assignments, one primary, the advance to assigned
    open_ = [r for r in stored_b["responders"] if r["cleared_at"] is None]
    assert [r["is_primary"] for r in open_] == [True, False]
    stored_held = sonoran.incident(held)
    assert stored_held["revision"] == 5
    assert stored_held["timeline"][-1]["message"] == f"STEAM:1 reassigned to {call_a.call_id}"
