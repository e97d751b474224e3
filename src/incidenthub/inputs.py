"""Checks on decoded JSON that no schema expresses: values no database can store faithfully."""

from __future__ import annotations

import math
from typing import Any


def unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """The path and reason of the first NUL character (in a string or key) or NaN/Infinity, else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "body", "NaN and Infinity are not numbers"
    if isinstance(value, str) and "\x00" in value:
        return path or "body", "must not contain NUL characters"
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return child_path, "names must not contain NUL characters"
            found = unstorable(child, child_path)
            if found:
                return found
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found = unstorable(child, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None
