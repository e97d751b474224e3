"""Checks on decoded JSON that no schema expresses: what no database can store, how deep it may nest, how many
items an array may hold, how long a string or member name may be.

Shared by the doors: a body nested deeper than `MAX_DEPTH` could not be echoed back (serialisers stop
at a depth of their own) and has no use in an incident, so it is refused before anything is stored.

JSON lets a string spell a lone UTF-16 surrogate (`"\\ud800"`); Python decodes it into a `str` that is not
Unicode text, which no database, log or JSON encoder can write. It is refused here with the NUL character.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

MAX_DEPTH = 32
# No array (and no object) in a body holds more: far above every field's own limit (the largest is 2,000), it
# stops a 100,000-item array in free-form JSON (metadata, unknown members kept raw) before anything walks it.
MAX_ITEMS = 10_000
# The years a stored time may have (the text's own year: a schema's `pattern` for date-time members).
YEARS_1900_2200 = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-"
# No string in a body is longer (the longest field of any door, GovWorx's `additionalContext`, takes as many):
# it bounds free-form JSON (metadata, custom fields, unknown members kept raw), which no model limits.
MAX_TEXT = 100_000
# No member name is longer: names of free-form objects are keys, not text.
MAX_NAME = 1_000
TOO_MANY = f"must hold at most {MAX_ITEMS:,} items"
TOO_LONG = f"must have at most {MAX_TEXT} characters"
NAME_TOO_LONG = f"holds a member name longer than {MAX_NAME} characters"
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UNICODE = "must be Unicode text: a lone surrogate (such as \\ud800) is not a character"


def _text_ok(text: str) -> bool:
    # isascii() is O(1) in CPython: the search only runs on text with characters outside ASCII.
    return "\x00" not in text and (text.isascii() or _SURROGATE.search(text) is None)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain NUL characters"
    if not text.isascii() and _SURROGATE.search(text):
        return NOT_UNICODE
    return None


def _name(key: Any) -> str:
    """A member name as it can be written in an error: a lone surrogate spelt as its escape."""
    text = str(key)
    return text if _text_ok(text.replace("\x00", "")) else text.encode("utf-8", "backslashreplace").decode()


def check_depth(data: Any) -> None:
    """ValueError when `data` nests deeper than `MAX_DEPTH`. An array or object of more than `MAX_ITEMS` is not
    looked into: every caller refuses it next, naming it, without reading its items."""
    if not isinstance(data, dict | list):
        return
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if not node or len(node) > MAX_ITEMS:
            continue
        if depth >= MAX_DEPTH:  # its items (scalars too) are deeper than the limit
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((v, depth + 1) for v in children if isinstance(v, dict | list))


def _storable(value: Any) -> bool:
    """The quick answer for the usual case, without building paths: no NUL, surrogate, NaN/Infinity or deep
    nesting."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        kind = type(node)
        if kind is str:
            if len(node) > MAX_TEXT or not _text_ok(node):
                return False
        elif kind is dict:
            if len(node) > MAX_ITEMS:
                return False
            for key, child in node.items():
                text = str(key)
                if len(text) > MAX_NAME or not _text_ok(text):
                    return False
                stack.append((child, depth + 1))
        elif kind is list:
            if len(node) > MAX_ITEMS:
                return False
            stack.extend((child, depth + 1) for child in node)
        elif kind is float and not math.isfinite(node):
            return False
        elif isinstance(node, str | dict | list | float):
            return False  # a subclass of a JSON type: the full check below looks at it properly
    return True


def unstorable(value: Any) -> tuple[str, str] | None:
    """The path and reason of the first NUL character or lone surrogate (in a string or key), NaN/Infinity,
    nesting deeper than `MAX_DEPTH`, an array or object of more than `MAX_ITEMS`, a string longer than `MAX_TEXT`
    or a member name longer than `MAX_NAME` (named at its object); None when the value can be stored as it is."""
    if _storable(value):
        return None
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        where = path or "body"
        if depth > MAX_DEPTH:
            return where, f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(node, float) and not math.isfinite(node):
            return where, "NaN and Infinity are not numbers"
        if isinstance(node, str) and len(node) > MAX_TEXT:
            return where, TOO_LONG
        if isinstance(node, str) and (problem := _text_problem(node)):
            return where, problem
        if isinstance(node, dict | list) and len(node) > MAX_ITEMS:
            return where, TOO_MANY
        if isinstance(node, dict):
            children = []
            for key, child in node.items():
                if len(str(key)) > MAX_NAME:
                    return where, NAME_TOO_LONG
                child_path = f"{path}.{_name(key)}" if path else _name(key)
                if problem := _text_problem(str(key)):
                    return child_path, f"names {problem}"
                children.append((child, child_path, depth + 1))
            stack.extend(reversed(children))  # reversed: the first problem in document order is reported
        elif isinstance(node, list):
            items = [(child, f"{path}.{i}" if path else str(i), depth + 1) for i, child in enumerate(node)]
            stack.extend(reversed(items))
    return None


def at_most(limit: int) -> Any:
    """A before-validator: a list of more than `limit` items is refused before any item is validated (pydantic's
    own `max_length` counts after validating every item: a second for 100,000 of them, and an error each)."""

    def check(value: Any) -> Any:
        if isinstance(value, list) and len(value) > limit:
            raise PydanticCustomError(
                "too_long", "List should have at most {limit} items, not {count}", {"limit": limit, "count": len(value)}
            )
        return value

    return BeforeValidator(check)
