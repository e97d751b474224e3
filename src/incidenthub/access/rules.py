"""The pure rules of access control: codes, validation reasons, local times, the throttle and the statistics.

No database and no web framework here: the service hands these plain values and acts on the answers.
"""

from __future__ import annotations

import math
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from incidenthub.clock import as_utc

# No 0/O and no 1/I: what a visitor reads out or a guard types cannot be mistaken for another code.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
TOKEN_BYTES = 24  # 32 URL-safe characters for a QR code

Reason = Literal["ok", "expired", "not_yet_valid", "used_up", "revoked", "wrong_site", "wrong_gate", "unknown"]
REASONS: tuple[str, ...] = get_args(Reason)
# A refused attempt is kept in the log with one of these (`throttled`: refused before any code was looked up).
DenialReason = Literal[
    "expired", "not_yet_valid", "used_up", "revoked", "wrong_site", "wrong_gate", "unknown", "throttled"
]
DENIAL_REASONS: tuple[str, ...] = get_args(DenialReason)
CodeStatus = Literal["active", "scheduled", "expired", "used_up", "revoked"]
CODE_STATUSES: tuple[str, ...] = get_args(CodeStatus)

MESSAGES: dict[str, str] = {
    "ok": "the code is valid here and now",
    "expired": "the code's validity has ended",
    "not_yet_valid": "the code is not valid yet",
    "used_up": "the code has no uses left",
    "revoked": "the code was revoked",
    "wrong_site": "the code is for another site",
    "wrong_gate": "the code is not valid at this gate",
    "unknown": "no such code",
    "throttled": "too many unknown codes from this key at this site: wait before trying again",
}

_SEPARATORS = re.compile(r"[\s\-]+")


def new_code() -> str:
    """A random short code a person can read out and type: 8 characters of the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_token() -> str:
    """A long random token, for a QR code."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def normalize_code(typed: str) -> str:
    """What a guard typed, as stored: capitals, without spaces or dashes (`abcd-efgh` -> `ABCDEFGH`)."""
    return _SEPARATORS.sub("", typed).upper()


def mask(presented: str) -> str:
    """An unknown code as the log keeps it: its first two characters, the rest hidden."""
    cleaned = normalize_code(presented)[: CODE_LENGTH + 4]
    return cleaned[:2] + "*" * max(len(cleaned) - 2, 0)


@dataclass(frozen=True)
class CodeState:
    """What validation needs to know of a stored code."""

    site_id: str
    gates: Sequence[str]
    valid_from: datetime
    valid_until: datetime
    max_uses: int
    uses: int
    revoked: bool


def reason_for(code: CodeState | None, *, site_id: str, gate: str | None, now: datetime) -> Reason:
    """Why a code would be refused at this site and gate now, or `ok`. First applicable reason wins, in the
    order a guard can act on: unknown, wrong site, revoked, not yet valid, expired, used up, wrong gate."""
    if code is None:
        return "unknown"
    if code.site_id != site_id:
        return "wrong_site"
    if code.revoked:
        return "revoked"
    if now < code.valid_from:
        return "not_yet_valid"
    if now >= code.valid_until:
        return "expired"
    if code.uses >= code.max_uses:
        return "used_up"
    if code.gates and gate not in code.gates:
        return "wrong_gate"
    return "ok"


def status_of(code: CodeState, now: datetime) -> CodeStatus:
    """A code's status as a host sees it in the list."""
    if code.revoked:
        return "revoked"
    if code.uses >= code.max_uses:
        return "used_up"
    if now >= code.valid_until:
        return "expired"
    if now < code.valid_from:
        return "scheduled"
    return "active"


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA timezone name this system knows (from the `tzdata` package), sorted."""
    return tuple(sorted(available_timezones() | {"UTC"}))


def is_timezone(name: str) -> bool:
    """Whether `name` is an IANA timezone this system knows (`Africa/Lagos`, `UTC`)."""
    if name not in timezone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_iso(value: datetime | None, timezone: str) -> str | None:
    """A UTC time as the site's wall clock reads it, ISO 8601 with milliseconds and the offset."""
    if value is None:
        return None
    return as_utc(value).astimezone(ZoneInfo(timezone)).isoformat(timespec="milliseconds")


def retry_after(recent: Sequence[datetime], limit: int, now: datetime, window: timedelta) -> int | None:
    """Seconds to wait when `recent` unknown codes (within `window` of now) reach `limit`; None to go on."""
    inside = sorted(t for t in recent if now - t < window)
    if len(inside) < limit:
        return None
    # Free again when enough of the oldest have left the window to bring the count under the limit.
    frees_at = inside[len(inside) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` in (0, 1]): the smallest value with at least that share at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def visitor_identity(name: str | None, phone: str | None, email: str | None) -> str:
    """Who a visitor is, for counting unique visitors: phone digits, else email, else the name (any case)."""
    digits = re.sub(r"\D", "", phone or "")
    if digits:
        return "phone:" + digits
    if email:
        return "email:" + email.strip().lower()
    return "name:" + " ".join((name or "").lower().split())


@dataclass(frozen=True)
class Visit:
    """A check-in as the statistics see it."""

    checked_in_at: datetime
    checked_out_at: datetime | None
    visitor: str
    host: str | None


@dataclass(frozen=True)
class Stats:
    check_ins: int
    per_day: list[tuple[date, int]]
    per_hour: list[int]
    unique_visitors: int
    average_visit_seconds: float | None
    p90_visit_seconds: float | None
    completed_visits: int
    peak_hour: int | None
    denied: dict[str, int]
    top_hosts: list[tuple[str, int]]


def local_day_bounds(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where the site's day `first` begins and the day after `last` begins."""
    zone = ZoneInfo(timezone)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    after = last + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=zone)
    return as_utc(start), as_utc(end)


def compute_stats(
    visits: Iterable[Visit], denials: Iterable[str], *, timezone: str, first: date, last: date, top: int = 5
) -> Stats:
    """Check-ins per local day and per local hour of day, visitors, visit lengths, peak hour, denials and hosts.

    A visit counts on the day and hour its check-in falls in the site's timezone (one across midnight counts
    once, on its first day); its length is measured in real time, so a DST change neither adds nor loses an
    hour. On the night clocks go back, both 01:xx hours count in hour 1.
    """
    zone = ZoneInfo(timezone)
    days: Counter[date] = Counter()
    hours = [0] * 24
    visitors: set[str] = set()
    lengths: list[float] = []
    hosts: Counter[str] = Counter()
    count = 0
    for visit in visits:
        local = as_utc(visit.checked_in_at).astimezone(zone)
        if not first <= local.date() <= last:
            continue
        count += 1
        days[local.date()] += 1
        hours[local.hour] += 1
        visitors.add(visit.visitor)
        if visit.host:
            hosts[visit.host] += 1
        if visit.checked_out_at is not None:
            lengths.append((visit.checked_out_at - visit.checked_in_at).total_seconds())
    per_day = [(first + timedelta(days=n), days[first + timedelta(days=n)]) for n in range((last - first).days + 1)]
    denied = dict.fromkeys(DENIAL_REASONS, 0)
    for reason in denials:
        denied[reason] = denied.get(reason, 0) + 1
    peak = max(range(24), key=lambda hour: (hours[hour], -hour)) if count else None
    return Stats(
        check_ins=count,
        per_day=per_day,
        per_hour=hours,
        unique_visitors=len(visitors),
        average_visit_seconds=sum(lengths) / len(lengths) if lengths else None,
        p90_visit_seconds=percentile(lengths, 0.9),
        completed_visits=len(lengths),
        peak_hour=peak,
        denied=denied,
        top_hosts=sorted(hosts.items(), key=lambda pair: (-pair[1], pair[0]))[:top],
    )
