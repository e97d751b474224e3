"""The scopes an API key can carry."""

from __future__ import annotations

from typing import Literal, get_args

ALL = "*"
# The one list: the API's schemas take a scope as this type (its values are the `enum` of /openapi.json).
Scope = Literal[
    "*",
    "incidents:read",
    "incidents:write",
    "events:manage",
    "dispatch:read",
    "dispatch:write",
    "access:read",
    "access:write",
    "intel:read",
    "intel:write",
    "analytics:read",
    "webhooks:manage",
    "keys:manage",
]
SCOPES: tuple[str, ...] = tuple(scope for scope in get_args(Scope) if scope != ALL)
KNOWN = frozenset(get_args(Scope))


def grants(held: list[str] | tuple[str, ...], wanted: str) -> bool:
    """Whether a key holding `held` may do what needs `wanted`."""
    return ALL in held or wanted in held
