"""The scopes an API key can carry."""

from __future__ import annotations

ALL = "*"
SCOPES: tuple[str, ...] = (
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
)
KNOWN = frozenset((*SCOPES, ALL))


def grants(held: list[str] | tuple[str, ...], wanted: str) -> bool:
    """Whether a key holding `held` may do what needs `wanted`."""
    return ALL in held or wanted in held
