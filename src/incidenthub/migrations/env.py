"""Alembic environment: runs against the URL (or connection) handed over by incidenthub.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from incidenthub.models import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `incidenthub migrate`, which provides the connection")
_run(connection)
