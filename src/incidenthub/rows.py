"""Multi-row inserts of plain dicts, with SQLite's values converted once per row instead of per bind.

SQLAlchemy's Core `insert(table), rows` runs a bind processor for every value of every row (our UTC
datetime type, then SQLite's DATETIME formatter, then JSON): over half of a bulk import's insert time in
profiles. On SQLite this module converts each value itself, to exactly what those processors store, and
hands the tuples to the driver's `executemany` through `exec_driver_sql` (statement events still fire).
Other databases keep the Core insert, whose driver takes datetimes and JSON natively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import JSON, Table, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from incidenthub.db import _json_text
from incidenthub.models.base import UTCDateTime

Convert = Callable[[Any], Any]
_SQLITE = sqlite.dialect()


def sqlite_time(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy's SQLite DATETIME stores our UTC type: naive UTC, microseconds always."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: every time inside incidenthub must carry its offset")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff+00:00" without its offset (years before 1000 are zero-padded too).
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_json(value: Any) -> str | None:
    return None if value is None else _json_text(value)


@cache
def _plan(table: Table, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...], tuple[Convert | None, ...]] | None:
    """The INSERT and per-column converters for rows with these keys; None when a column the rows leave
    out has a default SQLAlchemy would fill in (those go through the Core insert)."""
    columns = table.c
    if any(key not in columns for key in keys):
        return None
    for column in columns:
        if column.key not in keys and column.default is not None:
            return None
    compiled = insert(table).compile(dialect=_SQLITE, column_keys=list(keys))
    order = tuple(compiled.positiontup or ())
    if sorted(order) != sorted(keys):
        return None
    converters: list[Convert | None] = []
    for key in order:
        kind = columns[key].type
        if isinstance(kind, UTCDateTime):
            converters.append(sqlite_time)
        elif isinstance(kind, JSON):
            converters.append(_sqlite_json)
        else:
            converters.append(None)
    return compiled.string, order, tuple(converters)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (all with the same keys) into `table` in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    plan = _plan(table, tuple(rows[0])) if connection.dialect.name == "sqlite" else None
    if plan is None:
        session.execute(insert(table), list(rows))
        return
    statement, order, converters = plan
    pairs = list(zip(order, converters, strict=True))
    params = [tuple(row[key] if convert is None else convert(row[key]) for key, convert in pairs) for row in rows]
    connection.exec_driver_sql(statement, params)


T = TypeVar("T")
CHUNK = 500  # values per IN (...) list: far below SQLite's and PostgreSQL's bind parameter limits


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size` (for IN lists)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
