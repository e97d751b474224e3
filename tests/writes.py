"""Waiting for writes queued on a WritePath in a test: long enough for a machine loaded by the rest of the suite,
and a failure that says what the database was doing (a lock wait names the session it waits for)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, wait
from typing import Any

from sqlalchemy import make_url, text

from incidenthub.db import Database

# A write takes milliseconds; minutes only when the machine is saturated. A hang still fails the test.
WAIT_SECONDS = 180.0


def settle(database: Database, futures: Sequence[Future[Any]], timeout: float = WAIT_SECONDS) -> None:
    """Wait until every future is answered (a result or an error); fail with the database's sessions if not."""
    _, pending = wait(futures, timeout)
    if pending:
        raise AssertionError(
            f"{len(pending)} of {len(futures)} queued writes unanswered after {timeout:g} s; "
            f"the database's sessions: {sessions(database)}"
        )


def sessions(database: Database) -> str:
    """PostgreSQL: what each session of the test's database is doing and whom it waits for."""
    if make_url(database.url).get_backend_name() != "postgresql":
        return "(SQLite: one writer at a time, nothing to list)"
    with database.read_engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid) AS blocked_by, "
                "now() - xact_start AS in_transaction, left(query, 160) AS query FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).mappings()
        return "; ".join(str(dict(row)) for row in rows) or "(none)"
