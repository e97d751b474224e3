"""Checks on decoded JSON that no schema expresses: what no database can store, and how deep it may nest.

Shared by the doors: a body nested deeper than `MAX_DEPTH` could not be echoed back (serialisers stop
at a depth of their own) and has no use in an incident, so it is refused before anything is stored.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 32


def check_depth(data: Any) -> None:
    """ValueError when `data` nests deeper than `MAX_DEPTH`."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _storable(value: Any) -> bool:
    """The quick answer for the usual case, without building paths: no NUL, NaN/Infinity or deep nesting."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        kind = type(node)
        if kind is str:
            if "\x00" in node:
                return False
        elif kind is dict:
            for key, child in node.items():
                if "\x00" in str(key):
                    return False
                stack.append((child, depth + 1))
        elif kind is list:
            stack.extend((child, depth + 1) for child in node)
        elif kind is float and not math.isfinite(node):
            return False
        elif isinstance(node, str | dict | list | float):
            return False  # a subclass of a JSON type: the full check below looks at it properly
    return True


def unstorable(value: Any) -> tuple[str, str] | None:
    """The path and reason of the first NUL character (in a string or key), NaN/Infinity, or nesting
    deeper than `MAX_DEPTH`; None when the value can be stored as it is."""
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
        if isinstance(node, str) and "\x00" in node:
            return where, "must not contain NUL characters"
        if isinstance(node, dict):
            children = []
            for key, child in node.items():
                child_path = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    return child_path, "names must not contain NUL characters"
                children.append((child, child_path, depth + 1))
            stack.extend(reversed(children))  # reversed: the first problem in document order is reported
        elif isinstance(node, list):
            items = [(child, f"{path}.{i}" if path else str(i), depth + 1) for i, child in enumerate(node)]
            stack.extend(reversed(items))
    return None
