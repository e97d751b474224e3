"""The response-time rows the period answers read equal a recomputation from the incidents, after changes
through every door and after the migration that fills them for incidents stored before it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alembic import command
from sqlalchemy import delete

from incidenthub import migrate
from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.incidents import response_times
from incidenthub.incidents.response_times_repository import ResponseTimesRepository
from incidenthub.models import Incident, ResponseTimes, Tenant, UnitResponseTimes
from tests.analytics.figures import DAY, call, iso
from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx


def _tenant_id(database: Database, slug: str) -> str:
    with database.read_sessions() as session:
        tenant = session.query(Tenant).filter_by(slug=slug).one()
        return tenant.id


def _sorted(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: row[key])


def assert_rows_match_a_recomputation(database: Database, tenant_id: str) -> tuple[int, int]:
    """The kept rows equal those made from scratch; (incident rows, assignment rows)."""
    with database.read_sessions() as session:
        incidents, units = ResponseTimesRepository(session).stored(tenant_id)
        want_incidents, want_units = response_times.expected(session, tenant_id)
    assert _sorted(incidents, "incident_id") == _sorted(want_incidents, "incident_id")
    assert _sorted(units, "assignment_id") == _sorted(want_units, "assignment_id")
    return len(incidents), len(units)


def _load_through_every_door(gw: GovWorx, database: Database) -> dict[str, Any]:
    native = bearer(make_key(database, "metro", ["*"]))
    devrev = {"Authorization": make_key(database, "metro", ["*"])}
    # GovWorx: a call with two units, then the same call again with a third unit and a changed pickup time; a
    # call without any time but its receipt.
    units = [{"unit": "M1", "dispatched": 60, "enroute": 90, "arrived": 400, "cleared": 2000}]
    units.append({"unit": "E2", "dispatched": 70, "enroute": 140, "arrived": 380})
    assert gw.put(call("UP-1", units=units)).status_code == 200
    units.append({"unit": "L3", "dispatched": 75})
    assert gw.put(call("UP-1", answer=4, units=units, priority="Priority 2")).status_code == 200
    assert gw.put(call("UP-2", received=DAY + timedelta(days=1), answer=None)).status_code == 200
    # Native: two creates and a drill (a drill has no rows).
    created = gw.client.post("/v1/incidents", json={"category": "medical", "severity": "high"}, headers=native)
    assert created.status_code == 201, created.text
    made = gw.client.post("/v1/incidents", json={"category": "fire", "severity": "high"}, headers=native)
    assert made.status_code == 201, made.text
    drill = gw.client.post("/v1/incidents", json={"category": "fire", "is_drill": True}, headers=native)
    assert drill.status_code == 201, drill.text
    # DevRev: a create and a delete.
    answer = gw.client.post("/incidents.create", json={"title": "Gate alarm"}, headers=devrev)
    assert answer.status_code == 201, answer.text
    assert gw.client.post("/incidents.delete", json={"id": answer.json()["incident"]["id"]}, headers=devrev).is_success
    # Sonoran: a call, a unit attached and its status moved along.
    with database.transaction() as session:
        auth_service.update_tenant(session, "metro", None, None, "COMM-M")
    key = make_key(database, "metro", ["dispatch:read", "dispatch:write"])
    body = {"id": "COMM-M", "key": key, "type": "NEW_DISPATCH", "data": [{"title": "Robbery", "priority": 1}]}
    assert gw.client.post("/emergency/new_dispatch", json=body).text.startswith("NEW DISPATCH CREATED")
    return {"native": native}


def test_changes_through_every_door_leave_rows_equal_to_a_recomputation(gw: GovWorx, database: Database) -> None:
    tenant_id = _tenant_id(database, "metro")
    _load_through_every_door(gw, database)
    incidents, units = assert_rows_match_a_recomputation(database, tenant_id)
    assert (incidents, units) == (5, 3)  # UP-1, UP-2, two native, the Sonoran call; UP-1's three units
    [up1] = gw.by_sys_id("UP-1")
    with database.read_sessions() as session:
        row = session.get(ResponseTimes, up1["incident_id"])
        assert row is not None
        received = response_times.epoch_ms(DAY)
        assert received is not None
        # The second upload's times: picked up after 4 s, first unit dispatched 60 s after the receipt.
        assert (row.received_ms, row.picked_ms, row.first_dispatched_ms) == (
            received,
            received + 4000,
            received + 60000,
        )
        assert (row.first_arrived_ms, row.priority) == (received + 380000, "Priority 2")
        first = [u.first_arriving for u in session.query(UnitResponseTimes).filter_by(incident_id=row.incident_id)]
        assert sorted(first) == [False, False, True]


def test_the_migration_fills_the_rows_of_incidents_stored_before_it(gw: GovWorx, database: Database) -> None:
    tenant_id = _tenant_id(database, "metro")
    _load_through_every_door(gw, database)
    assert gw.put(call("MG-1", received=DAY - timedelta(hours=5), closedAt=iso(DAY))).status_code == 200
    with database.transaction() as session:
        session.execute(delete(UnitResponseTimes))
        session.execute(delete(ResponseTimes))
    config = migrate.alembic_config(database)
    with database.write_engine.begin() as connection:  # the database as it was before the rows were kept
        config.attributes["connection"] = connection
        command.downgrade(config, "0112_safety_cells_latitude")
    migrate.upgrade(database)
    assert assert_rows_match_a_recomputation(database, tenant_id) == (6, 3)
    with database.read_sessions() as session:
        assert session.query(Incident).filter_by(tenant_id=tenant_id).count() == 7  # and the drill: no rows
