"""A Sonoran unit call's work does not grow with the units it names nor with the tenant's units."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.sonoran.helpers import Sonoran
from tests.statements import counted


def _api_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}:{index}" for index in range(count)]


def _statements(sonoran: Sonoran, name: str, item: dict[str, Any]) -> int:
    with counted(sonoran.client) as statements:
        sonoran.ok(name, [item])
    return statements.count


def test_detach_of_unknown_units_costs_the_same_whatever_their_number(sonoran: Sonoran) -> None:
    call_id = sonoran.new_call(units=["STEAM:kept"])
    few = _statements(sonoran, "detach_unit", {"units": _api_ids("X", 5), "identIds": list(range(900, 905))})
    many = _statements(sonoran, "detach_unit", {"units": _api_ids("Y", 100), "identIds": list(range(1000, 1100))})
    assert many == few, (few, many)
    # Nothing was registered and the unit on the call is still on it.
    units = sonoran.ok("get_active_units", [{"includeOffline": True}]).json()
    assert [u["data"]["apiId1"] for u in units] == ["STEAM:kept"]
    assert len(sonoran.call(call_id)["idents"]) == 1


def test_status_of_new_units_costs_the_same_whatever_their_number(sonoran: Sonoran) -> None:
    few = _statements(sonoran, "unit_status", {"units": _api_ids("A", 5), "status": 3})
    many = _statements(sonoran, "unit_status", {"units": _api_ids("B", 100), "status": 3})
    assert many == few, (few, many)
    units = sonoran.ok("get_active_units", [{"includeOffline": True, "limit": 100}]).json()
    assert len(units) == 100 and {u["status"] for u in units} == {3}
    assert len({u["id"] for u in units}) == 100  # each registered unit got its own ident


def test_detach_and_status_of_known_units_cost_the_same_whatever_their_number(sonoran: Sonoran) -> None:
    sonoran.ok("unit_status", [{"units": _api_ids("A", 100), "status": 2}])
    few = _statements(sonoran, "unit_status", {"units": _api_ids("A", 5), "status": 3})
    many = _statements(sonoran, "unit_status", {"units": _api_ids("A", 100), "status": 4})
    assert many == few, (few, many)
    few = _statements(sonoran, "detach_unit", {"units": _api_ids("A", 5)})
    many = _statements(sonoran, "detach_unit", {"units": _api_ids("A", 100)})
    assert many == few, (few, many)


@contextmanager
def _sqlite_steps(sonoran: Sonoran) -> Iterator[list[int]]:
    """SQLite virtual-machine steps (in thousands) run while the block runs: the rows a query touches."""
    engine = sonoran.client.app.state.runtime.database.write_engine  # type: ignore[attr-defined]
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    def watch(connection: Any, *_: Any) -> None:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.set_progress_handler(tick, 1000)

    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield steps
    finally:
        event.remove(engine, "before_cursor_execute", watch)
        with engine.connect() as connection:  # the pool's connections stop counting
            connection.connection.dbapi_connection.set_progress_handler(None, 1000)  # type: ignore[union-attr]


def _grow(sonoran: Sonoran, units: int) -> None:
    """The tenant gains `units` units (100 per call), each with an API id and an ident."""
    for batch in range(units // 100):
        sonoran.ok("unit_status", [{"units": _api_ids(f"G{batch}", 100), "status": 2}])


def test_detach_by_ident_does_not_grow_with_the_tenants_units(sonoran: Sonoran, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("counts SQLite's own steps; the statement counts above hold on PostgreSQL too")
    detach = {"identIds": list(range(5000, 5100))}
    with _sqlite_steps(sonoran) as small:
        sonoran.ok("detach_unit", [detach])
    _grow(sonoran, 1000)
    with _sqlite_steps(sonoran) as large:
        sonoran.ok("detach_unit", [detach])
    # An indexed lookup: the same few thousand steps with 1 unit or 1,000 (scanning them was 2,300,000).
    assert large[0] <= small[0] + 5, (small[0], large[0])


def test_detach_by_api_id_reads_the_tenants_units_once_not_once_per_unit(sonoran: Sonoran, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("counts SQLite's own steps; the statement counts above hold on PostgreSQL too")
    _grow(sonoran, 1000)
    with _sqlite_steps(sonoran) as few:
        sonoran.ok("detach_unit", [{"units": _api_ids("Z", 5)}])
    with _sqlite_steps(sonoran) as many:
        sonoran.ok("detach_unit", [{"units": _api_ids("Z", 100)}])
    assert many[0] <= 2 * few[0] + 5, (few[0], many[0])
