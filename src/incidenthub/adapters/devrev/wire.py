"""What a client may send at all, checked before any model or database sees it. Pure.

JSON is parsed refusing NaN/Infinity (and numbers that overflow to them) and nesting deeper than
`MAX_DEPTH`; every string must be free of NUL characters and every integer must fit in an int64, so
the database never refuses a value and the error names the field that holds it. The limits every door
keeps (`incidenthub.inputs`) hold here too: at most `MAX_ITEMS` items in an array or object (refused before
its items are read), `MAX_TEXT` characters in a string, `MAX_NAME` in a member name.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from incidenthub.inputs import MAX_DEPTH as MAX_DEPTH
from incidenthub.inputs import MAX_ITEMS, MAX_NAME, MAX_TEXT, NAME_TOO_LONG, TOO_LONG, TOO_MANY
from incidenthub.inputs import check_depth as check_depth

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
# Years a stored date may have: wide enough for any real incident, far from datetime's edges.
FIRST_YEAR, LAST_YEAR = 1900, 2200
# A custom field key as stored: `[<fragment prefix>__]<name>` (see customfields); nothing else reaches a JSON path.
CUSTOM_KEY = re.compile(r"^(?:[a-z][a-z0-9_-]{0,63}__)?[a-z][a-z0-9_]{0,63}$")
_ASCII_INT = re.compile(r"-?[0-9]+")


class InputError(ValueError):
    """A value no request may carry; `path` is the dotted field that holds it ('' for the whole body)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} does not fit in a double")
    return value


def loads(raw: str | bytes) -> Any:
    """JSON without NaN/Infinity and at most `MAX_DEPTH` deep; ValueError otherwise."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    check_depth(data)
    return data


def _join(path: str, part: str | int) -> str:
    return f"{path}.{part}" if path else str(part)


def check_values(data: Any, path: str = "") -> None:
    """InputError at the first NUL in a string or key, integer outside int64, non-finite float, string longer than
    `MAX_TEXT`, member name longer than `MAX_NAME`, or array or object of more than `MAX_ITEMS`."""
    # A node's path is spelt only when needed (a container's children, an error): a filter of 100,000 values
    # is checked without building 100,000 strings.
    stack: list[tuple[Any, str, str | int | None, int]] = [(data, path, None, 0)]
    while stack:
        node, parent, part, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(_at(parent, part), f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, str):
            if len(node) > MAX_TEXT:
                raise InputError(_at(parent, part), TOO_LONG)
            if "\x00" in node:
                raise InputError(_at(parent, part), "must not contain a NUL character")
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if not INT64_MIN <= node <= INT64_MAX:
                raise InputError(_at(parent, part), "must fit in a 64-bit signed integer")
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise InputError(_at(parent, part), "must be a finite number")
        elif isinstance(node, dict):
            where = _at(parent, part)
            if len(node) > MAX_ITEMS:
                raise InputError(where, TOO_MANY)
            for key, value in node.items():
                if isinstance(key, str) and "\x00" in key:
                    raise InputError(where, "a member name must not contain a NUL character")
                if len(str(key)) > MAX_NAME:
                    raise InputError(where, NAME_TOO_LONG)
                stack.append((value, where, key, depth + 1))
        elif isinstance(node, list):
            where = _at(parent, part)
            if len(node) > MAX_ITEMS:
                raise InputError(where, TOO_MANY)
            stack.extend((value, where, index, depth + 1) for index, value in enumerate(node))


def _at(parent: str, part: str | int | None) -> str:
    return parent if part is None else _join(parent, part)


def looks_like_int(text: str) -> bool:
    return _ASCII_INT.fullmatch(text.strip()) is not None


def ascii_int(text: str) -> int | None:
    """The integer an ASCII-digit string (optionally `-`) spells, within int64; None otherwise."""
    text = text.strip()
    if not _ASCII_INT.fullmatch(text):
        return None
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else None


def utc(value: datetime, first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> datetime:
    """An aware UTC datetime (naive taken as UTC) within the years; ValueError otherwise."""
    try:
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date-time is out of range") from None
    if not first_year <= aware.year <= last_year:
        raise ValueError(f"the year must be between {first_year} and {last_year}")
    return aware
