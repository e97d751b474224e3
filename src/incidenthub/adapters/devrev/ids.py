"""DevRev-style ids: DONs (`don:core:incidenthub:devo/<tenant>:incident/<n>`) and display ids (`INC-<n>`)."""

from __future__ import annotations

import re

from incidenthub.adapters.devrev.wire import ascii_int

PARTITION = "incidenthub"
INCIDENT_PREFIX = "INC"
TAG_PREFIX = "TAG"

_DON = re.compile(r"^don:(?P<service>[a-z]+):(?P<partition>[^:]+):devo/(?P<org>[^:]+):(?P<kind>[a-z_]+)/(?P<key>.+)$")
_DISPLAY = re.compile(r"^(?P<prefix>[A-Za-z]+)-(?P<number>[0-9]+)$")


def don(tenant_slug: str, kind: str, key: str | int, service: str = "core") -> str:
    return f"don:{service}:{PARTITION}:devo/{tenant_slug}:{kind}/{key}"


def incident_don(tenant_slug: str, number: int) -> str:
    return don(tenant_slug, "incident", number)


def incident_display_id(number: int) -> str:
    return f"{INCIDENT_PREFIX}-{number}"


def tag_don(tenant_slug: str, number: int) -> str:
    return don(tenant_slug, "tag", number)


def stage_don(tenant_slug: str, name: str) -> str:
    return don(tenant_slug, "custom_stage", name)


def state_don(tenant_slug: str, name: str) -> str:
    return don(tenant_slug, "custom_state", name)


def fragment_don(tenant_slug: str, fragment_id: str) -> str:
    return don(tenant_slug, "custom_type_fragment", fragment_id)


def key_don(tenant_slug: str, key_id: str) -> str:
    """The service account a request's API key stands for."""
    return don(tenant_slug, "svcacc", key_id, service="identity")


def parse_don(value: str) -> tuple[str, str, str] | None:
    """(org, kind, key) of a DON, or None when the value is not one."""
    match = _DON.match(value)
    if match is None:
        return None
    return match["org"], match["kind"], match["key"]


def number_of(value: str, tenant_slug: str, kind: str, prefix: str) -> int | None:
    """The per-tenant number named by a DON of this tenant or a display id (`INC-12`); None otherwise."""
    parsed = parse_don(value)
    if parsed is not None:
        org, found_kind, key = parsed
        if org == tenant_slug and found_kind == kind and key.isascii() and key.isdigit():
            return ascii_int(key)
        return None
    match = _DISPLAY.match(value.strip())
    if match is not None and match["prefix"].upper() == prefix:
        return ascii_int(match["number"])
    return None


def is_id_of(value: str, kind: str, prefix: str) -> bool:
    """Whether a value is written as an id (any DON: of any tenant or kind; or `<PREFIX>-<n>`), not as a name."""
    if parse_don(value.strip()) is not None:
        return True
    match = _DISPLAY.match(value.strip())
    return match is not None and match["prefix"].upper() == prefix


def last_segment(value: str) -> str:
    """`custom_stage/mitigated` -> `mitigated`; a plain name stays as it is."""
    parsed = parse_don(value)
    return parsed[2] if parsed is not None else value
