"""The migration chain has one head and builds exactly the tables the models declare, on both databases."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from incidenthub.db import Database
from incidenthub.migrate import alembic_config
from incidenthub.models import Base


def test_the_chain_has_one_head(database: Database) -> None:
    heads = ScriptDirectory.from_config(alembic_config(database)).get_heads()
    assert len(heads) == 1, f"migrations branch: heads {heads}; chain the newest after the previous head"


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            # SQLite cannot reflect expression indexes; alembic skips and says so.
            warnings.simplefilter("ignore")
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], f"models and migrations disagree (write a migration): {differences}"
