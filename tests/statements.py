"""Count the SQL statements the running app sends while a block runs (work per request, not time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event


class Statements:
    def __init__(self) -> None:
        self.count = 0
        self.sql: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.count += 1
        self.sql.append(statement)


@contextmanager
def counted(client: TestClient) -> Iterator[Statements]:
    """Statements sent on the app's engines (writes and reads) while the block runs."""
    database = client.app.state.runtime.database  # type: ignore[attr-defined]
    engines = list({id(engine): engine for engine in (database.write_engine, database.read_engine)}.values())
    statements = Statements()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", statements)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", statements)
