"""Upgrading keeps every unit's Sonoran ident: the migration copies it from `extra` into the indexed column."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from incidenthub.db import Database
from incidenthub.dispatch.repository import UnitRepository
from incidenthub.migrate import upgrade


def test_existing_idents_are_found_after_the_upgrade(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(database, "0004_devrev")
    with database.transaction() as session:
        session.execute(
            text(
                "INSERT INTO tenants (id, name, slug, timezone, settings, created_at) "
                "VALUES ('ten_1', 'T', 't', 'UTC', '{}', '2026-01-01 00:00:00')"
            )
        )
        for unit_id, extra in (
            ("unt_1", '{"ident_id": 7}'),
            ("unt_2", '{"account": "x"}'),
            ("unt_3", '{"ident_id": "8"}'),
        ):
            session.execute(
                text(
                    "INSERT INTO units (id, tenant_id, call_sign, external_ids, status, panic, extra, created_at, "
                    "updated_at) VALUES (:id, 'ten_1', :id, '[]', 'available', 0, :extra, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"id": unit_id, "extra": extra},
            )
    upgrade(database)
    with database.transaction() as session:
        units = UnitRepository(session)
        assert {ident: unit.id for ident, unit in units.by_idents("ten_1", [7, 8]).items()} == {7: "unt_1"}
        assert units.by_call_sign("ten_1", "unt_1").extra == {"ident_id": 7}  # type: ignore[union-attr]
    database.dispose()
