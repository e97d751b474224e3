"""GET query strings as DevRev clients send them, and opaque list cursors. Pure."""

from __future__ import annotations

import base64
import binascii
import csv
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from incidenthub.adapters.devrev import wire
from incidenthub.adapters.devrev.errors import invalid_field

# Members of the list/group requests that are arrays (everything else is a scalar).
ARRAY_PARAMS = frozenset(
    {
        "applies_to_parts",
        "created_by",
        "owned_by",
        "pia",
        "playbooks",
        "related_docs",
        "impacted_customers",
        "reported_by",
        "severity",
        "source",
        "stage",
        "subtype",
        "title",
        "sort_by",
        "sync_metadata.external_reference",
        "sync_metadata.origin_system",
        "sync_metadata.last_sync_in.status",
        "sync_metadata.last_sync_in.sync_history",
        "sync_metadata.last_sync_in.sync_unit",
        "sync_metadata.last_sync_out.status",
        "sync_metadata.last_sync_out.sync_history",
        "sync_metadata.last_sync_out.sync_unit",
    }
)
INT_ARRAYS = frozenset({"reported_by", "source"})
INT_SCALARS = frozenset({"limit", "limit_per_group"})
BOOL_SCALARS = frozenset({"staged_info.is_staged"})


def split_values(raw: str) -> list[str]:
    """One query value as a list: the TS SDK's `"a","b"`, a plain `a,b`, or a single value."""
    raw = raw.strip()
    if raw.startswith('"'):
        return [item for item in next(csv.reader([raw], skipinitialspace=True)) if item != ""]
    return [item.strip() for item in raw.split(",") if item.strip()]


def _int(name: str, value: str) -> int:
    number = wire.ascii_int(value)
    if number is None:
        raise invalid_field(name, f"{name} must be a 64-bit integer, got {value!r}")
    return number


def _severity(value: str) -> int | str:
    """A severity id when the value is written in ASCII digits, else a label (`sev1`)."""
    number = wire.ascii_int(value)
    if number is None and wire.looks_like_int(value):
        raise invalid_field("severity", f"severity must be a 64-bit integer or a label, got {value!r}")
    return value if number is None else number


def _nest(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = target
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise invalid_field(dotted, f"{dotted} conflicts with another parameter")
    node[last] = value


# The date filters, as axios writes an object in a query: `created_date[type]=range&created_date[after]=...`.
DATE_FILTERS = (
    "created_date",
    "modified_date",
    "acknowledged_date",
    "actual_close_date",
    "identified_date",
    "mitigated_date",
    "target_close_date",
)
DATE_MEMBERS = ("type", "after", "before", "preset_type", "days")
LIST_PARAMS = frozenset(
    {
        *ARRAY_PARAMS,
        *BOOL_SCALARS,
        "cursor",
        "limit",
        "mode",
        "custom_fields",
        *(f"{name}.{member}" for name in DATE_FILTERS for member in DATE_MEMBERS),
    }
)
GROUP_PARAMS = LIST_PARAMS | {"group_by", "limit_per_group"}
_BRACKETS = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _key_path(key: str) -> tuple[str, list[str]]:
    """`name[a][b][]` as (`name`, [`a`, `b`]): a trailing `[]` or `[<n>]` only marks an array element."""
    match = _BRACKETS.match(key)
    if match is None:
        raise invalid_field(key, f"unknown query parameter {key!r}")
    parts = [part[1:-1] for part in re.findall(r"\[[^\[\]]*\]", match[2])]
    while parts and (parts[-1] == "" or parts[-1].isdigit()):
        parts.pop()
    return match[1], parts


def _typed(value: str) -> list[Any]:
    """A query value of a custom field filter: a query has no types, so `120` matches 120 and "120"."""
    try:
        parsed = wire.loads(value)
    except (ValueError, UnicodeDecodeError):
        return [value]
    if isinstance(parsed, bool) or (isinstance(parsed, float) and math.isfinite(parsed)):
        return [value, parsed]
    if isinstance(parsed, int) and wire.INT64_MIN <= parsed <= wire.INT64_MAX:
        return [value, parsed]
    return [value]


def check_known(items: Iterable[tuple[str, str]], known: frozenset[str]) -> None:
    """invalid_field naming the first query parameter the operation does not take."""
    for key, _value in items:
        if key.removesuffix("[]") not in known:
            raise invalid_field(
                key, f"unknown query parameter {key!r}; this operation takes {', '.join(sorted(known))}"
            )


def query_to_body(items: Iterable[tuple[str, str]], *, group: bool = False) -> dict[str, Any]:
    """A GET query as the equivalent POST body: arrays from repeated keys, commas or quoted lists.

    Objects come as axios writes them (`custom_fields[tnt__region]=us`, `created_date[type]=range`) or dotted
    (`staged_info.is_staged`); a parameter the operation does not take is refused, naming it.
    """
    known = GROUP_PARAMS if group else LIST_PARAMS
    collected: dict[str, list[str]] = {}
    custom: dict[str, list[Any]] = {}
    for key, value in items:
        name, parts = _key_path(key)
        if name == "custom_fields" and parts:
            if len(parts) != 1:
                raise invalid_field(key, f"{key}: filter a custom field by scalar values (custom_fields[<name>]=value)")
            values = custom.setdefault(parts[0], [])
            values.extend(v for v in _typed(value) if v not in values)
            continue
        dotted = ".".join([name, *parts])
        if dotted not in known:
            raise invalid_field(key, f"unknown query parameter {key!r}; this operation does not take it")
        collected.setdefault(dotted, []).append(value)
    body: dict[str, Any] = {}
    for name, values in collected.items():
        if name in ARRAY_PARAMS:
            # A title may hold commas of its own: only the quoted form splits it.
            flat = [v for raw in values for v in (split_values(raw) if name != "title" else _titles(raw))]
            if name in INT_ARRAYS:
                _nest(body, name, [_int(name, v) for v in flat])
            elif name == "severity":
                _nest(body, name, [_severity(v) for v in flat])
            else:
                _nest(body, name, flat)
        elif name in INT_SCALARS:
            _nest(body, name, _int(name, values[-1]))
        elif name in BOOL_SCALARS:
            if values[-1].lower() not in {"true", "false"}:
                raise invalid_field(name, f"{name} must be true or false")
            _nest(body, name, values[-1].lower() == "true")
        elif name == "custom_fields":
            try:
                body[name] = wire.loads(values[-1])
            except ValueError:
                raise invalid_field(
                    name, f"custom_fields must be a JSON object (no NaN, at most {wire.MAX_DEPTH} levels deep)"
                ) from None
        else:
            _nest(body, name, values[-1])
    if custom:
        if not isinstance(body.get("custom_fields", {}), dict):
            raise invalid_field("custom_fields", "custom_fields must be a JSON object")
        body["custom_fields"] = {**body.get("custom_fields", {}), **custom}
    return body


def _titles(raw: str) -> list[str]:
    return split_values(raw) if raw.strip().startswith('"') else [raw]


# --- cursors ---------------------------------------------------------------------------------------


def encode_cursor(position: list[Any], forward: bool, sort: list[str]) -> str:
    """An opaque cursor: where a page ended, which way it went, and the order it belongs to."""
    payload = json.dumps({"p": position, "d": "after" if forward else "before", "s": sort}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: list[str]) -> tuple[list[Any], bool]:
    """(position, forward) of a cursor made for this sort order; invalid_field otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = wire.loads(base64.urlsafe_b64decode(padded.encode()))
        position, direction, order = data["p"], data["d"], data["s"]
        if not isinstance(position, list) or direction not in {"after", "before"}:
            raise ValueError(cursor)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid_field("cursor", "the cursor is not one this server handed out") from None
    if order != sort:
        raise invalid_field("cursor", "the cursor belongs to a different sort_by; start again without a cursor")
    return position, direction == "after"


# No tenant has this many groups; a larger offset is a forged cursor.
MAX_OFFSET = 1_000_000


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_offset(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = wire.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
        if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
            raise ValueError(cursor)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid_field("cursor", "the cursor is not one this server handed out") from None
    return offset


def encode_group_cursor(group_by: str, key: Any, position: list[Any], forward: bool, sort: list[str]) -> str:
    """A cursor inside one group of incidents.group: the group (`group_by` and its key) and a list cursor in it."""
    payload = {"g": group_by, "k": key, "p": position, "d": "after" if forward else "before", "s": sort}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def is_group_cursor(cursor: str) -> bool:
    """Whether a cursor of incidents.group pages inside one group (else it pages the groups)."""
    try:
        data = wire.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "g" in data


def decode_group_cursor(cursor: str, group_by: str, sort: list[str]) -> tuple[Any, list[Any], bool]:
    """(group key, position, forward) of a cursor inside a group made for this group_by and sort order."""
    try:
        data = wire.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        key, grouped = data["k"], data["g"]
        valid_key = key is None or (isinstance(key, str) and "\x00" not in key and len(key) <= 1000)
        if isinstance(key, int) and not isinstance(key, bool):
            valid_key = wire.INT64_MIN <= key <= wire.INT64_MAX
        if not valid_key or not isinstance(grouped, str):
            raise ValueError(cursor)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid_field("cursor", "the cursor is not one this server handed out") from None
    if grouped != group_by:
        raise invalid_field("cursor", f"the cursor pages a group of group_by={grouped!r}, not {group_by!r}")
    position, forward = decode_cursor(cursor, sort)
    return key, position, forward
