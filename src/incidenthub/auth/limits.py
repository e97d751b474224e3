"""Rate limits per API key and the throttle on failed authentications, shared by every server process.

Sety's plans allow 60, 300 or 1,000 requests a minute per key; a tenant's limit is `Tenant.rate_limit_per_minute`
(else the server's `rate_limit_per_minute`). Each UTC minute is a fixed window: every authenticated request adds
one to its key's counter in the database (an atomic upsert-increment, so all processes share the count) and is
answered with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (the ISO 8601 UTC end of the
window, as Sety shows it); past the limit, 429 with `Retry-After` in the door's own error format.

Failed authentications (a wrong, revoked or expired key) are counted per source address and per key id in
windows of `auth_failure_window_seconds`; past `auth_failures_per_window`, every attempt from that address or for
that key id, even with the right secret, gets 429 until the window ends, so that a burst of guesses learns
nothing. Each failure is logged with the key id and the address only.

The counts are written by a small write path of their own (`Runtime.counters`): all requests waiting at one
moment share one short transaction (one statement per key), which never holds the locks of an incident write.
A process leases a block of places at a time (a hundredth of the limit, `leases.py`) and admits that many
requests without asking again: the limit still holds exactly across processes, and a key of 1,000 a minute
costs one counter write per ten requests. A throttle seen by another process reaches this one at its next
lease (within a block of the key's requests).
On SQLite they are kept in a file of their own beside the database (`<file>.limits`, `counters_database`):
SQLite has one write lock per file, and a request's count must not wait behind a long incident write (nor
would a read, which needs no write of its own otherwise).
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from incidenthub.auth.leases import Leases, block_size
from incidenthub.auth.repository import RateCounterRepository
from incidenthub.auth.service import KeyRejected, Principal
from incidenthub.clock import iso_utc, utcnow
from incidenthub.db import Database
from incidenthub.errors import RateLimited, Unauthorized
from incidenthub.runtime import Runtime

log = logging.getLogger("incidenthub.auth")

ADMIT = "auth.admit"
FAIL = "auth.fail"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = 60
# Rows of windows long past are dropped at most this often (by a process recording a failure).
_SWEEP_EVERY = timedelta(hours=1)
_KEEP_AT_LEAST = timedelta(days=1)


@dataclass(frozen=True)
class Quota:
    """A key's standing in the current minute, as the X-RateLimit-* headers tell it."""

    limit: int
    remaining: int
    reset_at: datetime

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": iso_utc(self.reset_at),
        }


@dataclass(frozen=True)
class Admission:
    """A verified key asks to be let in: counted against its limit unless its address or key id is throttled."""

    key_id: str
    address: str | None
    limit: int
    failures_allowed: int
    failure_window: int
    places: int = 1  # how many places to lease in the key's count (the first is this request's)


@dataclass(frozen=True)
class Failure:
    """A failed authentication, from an address, naming a key id when the presented key named a real one."""

    key_id: str | None
    address: str | None
    failures_allowed: int
    failure_window: int


@dataclass(frozen=True)
class Decision:
    """What the counters said: the quota (for the headers) and, when refused, seconds to wait and why."""

    quota: Quota | None = None
    retry_after: int | None = None
    reason: str | None = None  # "rate" or "failures"
    # For the process's leases: the minute counted, the key's count after this batch, places left to hand out,
    # and the failure buckets seen throttled (until `throttled_until`).
    minute: datetime | None = None
    total: int = 0
    spare: tuple[int, int] | None = None
    throttled: frozenset[str] = frozenset()
    throttled_until: datetime | None = None


def counters_database(database_url: str) -> Database:
    """Where the counts are kept: the database itself on PostgreSQL (row locks: a count waits for nothing but
    its own row), a side file `<file>.limits` on SQLite (its own write lock), which every process shares."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return Database(database_url)
    database = Database(url.set(database=url.database + ".limits").render_as_string(hide_password=False))
    RateCounterRepository.create_table(database.write_engine)
    return database


def window_start(now: datetime, seconds: int) -> datetime:
    """The start of the fixed window of `seconds` that `now` falls in (windows are aligned on the epoch)."""
    elapsed = int((now - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _failure_buckets(key_id: str | None, address: str | None) -> list[str]:
    buckets = []
    if key_id:
        buckets.append(f"fail-key:{key_id}")
    if address:
        buckets.append(f"fail-addr:{address[:150]}")
    return buckets


def _handout(
    buckets: Sequence[str | None], sizes: Sequence[int], totals: dict[str, int], amounts: Counter[str]
) -> list[int]:
    """The first of each request's places in its bucket's count, in the order the requests came (the batch added
    them all: `amounts` per bucket, `sizes` per request)."""
    seen: Counter[str] = Counter()
    firsts = []
    for bucket, size in zip(buckets, sizes, strict=True):
        if bucket is None:
            firsts.append(0)
            continue
        firsts.append(totals[bucket] - amounts[bucket] + seen[bucket] + 1)
        seen[bucket] += size
    return firsts


def admit_many(session: Session, payloads: list[Admission]) -> list[Decision]:
    """Count a batch of authenticated requests (one statement per key, one read of the failure counters)."""
    repository = RateCounterRepository(session)
    now = utcnow()
    throttled: dict[int, tuple[frozenset[str], datetime]] = {}
    for seconds in {p.failure_window for p in payloads}:
        start = window_start(now, seconds)
        chosen = [i for i, p in enumerate(payloads) if p.failure_window == seconds]
        counts = repository.counts(
            {b for i in chosen for b in _failure_buckets(payloads[i].key_id, payloads[i].address)}, start
        )
        for i in chosen:
            p = payloads[i]
            over = frozenset(b for b in _failure_buckets(p.key_id, p.address) if counts.get(b, 0) >= p.failures_allowed)
            if over:
                throttled[i] = (over, start + timedelta(seconds=seconds))
    minute = window_start(now, _MINUTE)
    buckets = [None if i in throttled else f"key:{p.key_id}" for i, p in enumerate(payloads)]
    sizes = [p.places for p in payloads]
    amounts: Counter[str] = Counter()
    for bucket, size in zip(buckets, sizes, strict=True):
        if bucket is not None:
            amounts[bucket] += size
    totals = repository.add(dict(amounts), minute)
    firsts = _handout(buckets, sizes, totals, amounts)
    decisions = []
    for i, (p, place) in enumerate(zip(payloads, firsts, strict=True)):
        if i in throttled:
            over, until = throttled[i]
            wait = _seconds_until(until, now)
            decisions.append(Decision(retry_after=wait, reason="failures", throttled=over, throttled_until=until))
            continue
        spare = (place + 1, place + p.places - 1) if p.places > 1 else None
        total = totals[f"key:{p.key_id}"]
        decisions.append(replace(_placed(p.limit, place, minute, now), total=total, spare=spare))
    return decisions


def _placed(limit: int, place: int, minute: datetime, now: datetime) -> Decision:
    """The decision for a request holding `place` in its key's count of `minute`."""
    reset_at = minute + timedelta(seconds=_MINUTE)
    refused = place > limit
    return Decision(
        quota=Quota(limit, max(0, limit - place), reset_at),
        retry_after=_seconds_until(reset_at, now) if refused else None,
        reason="rate" if refused else None,
        minute=minute,
    )


_swept_at: datetime | None = None
_sweep_lock = threading.Lock()


def fail_many(session: Session, payloads: list[Failure]) -> list[Decision]:
    """Count a batch of failed authentications per address and key id; past the allowance each is refused."""
    global _swept_at
    repository = RateCounterRepository(session)
    now = utcnow()
    decisions: dict[int, Decision] = {}
    for seconds in {p.failure_window for p in payloads}:
        start = window_start(now, seconds)
        until = start + timedelta(seconds=seconds)
        chosen = [i for i, p in enumerate(payloads) if p.failure_window == seconds]
        pairs = [(i, b) for i in chosen for b in _failure_buckets(payloads[i].key_id, payloads[i].address)]
        amounts = Counter(b for _, b in pairs)
        places = _handout([b for _, b in pairs], [1] * len(pairs), repository.add(dict(amounts), start), amounts)
        over: dict[int, set[str]] = {}
        for (i, bucket), place in zip(pairs, places, strict=True):
            if place > payloads[i].failures_allowed:
                over.setdefault(i, set()).add(bucket)
        for i in chosen:
            if i in over:
                wait = _seconds_until(until, now)
                decisions[i] = Decision(
                    retry_after=wait, reason="failures", throttled=frozenset(over[i]), throttled_until=until
                )
            else:
                decisions[i] = Decision()
    with _sweep_lock:
        sweep = _swept_at is None or now - _swept_at >= _SWEEP_EVERY
        if sweep:
            _swept_at = now
    if sweep:
        longest = max(p.failure_window for p in payloads)
        repository.forget_before(now - max(_KEEP_AT_LEAST, timedelta(seconds=2 * longest)))
    return [decisions[i] for i in range(len(payloads))]


# What the counters decided for the request being served, for RateLimitHeaders to put on its answer.
@dataclass
class _Notes:
    address: str | None
    quota: Quota | None = None
    retry_after: int | None = None


_notes: ContextVar[_Notes | None] = ContextVar("incidenthub_rate_notes", default=None)


def _address() -> str | None:
    notes = _notes.get()
    return notes.address if notes is not None else None


def _settle(decision: Decision) -> None:
    """Note the decision for the answer's headers; raise the 429 when the request is refused."""
    notes = _notes.get()
    if notes is not None:
        notes.quota = decision.quota
        notes.retry_after = decision.retry_after
    if decision.retry_after is None:
        return
    if decision.reason == "failures":
        message = f"too many failed authentications: retry in {decision.retry_after} s"
    else:
        limit = decision.quota.limit if decision.quota else 0
        message = (
            f"rate limit of {limit} requests per minute exceeded for this API key: retry in {decision.retry_after} s"
        )
    raise RateLimited(message, retry_after=decision.retry_after)


def _admission(runtime: Runtime, principal: Principal) -> Admission:
    settings = runtime.settings
    limit = principal.rate_limit_per_minute or settings.rate_limit_per_minute
    return Admission(
        key_id=principal.key_id,
        address=_address(),
        limit=limit,
        failures_allowed=settings.auth_failures_per_window,
        failure_window=settings.auth_failure_window_seconds,
        places=block_size(limit),
    )


def _from_lease(leases: Leases, admission: Admission) -> Decision | None:
    """The decision this process can make alone (a throttle it saw, a place it leased, a count known past the
    limit), or None when the counters must be asked."""
    now = utcnow()
    until = leases.throttled_until(_failure_buckets(admission.key_id, admission.address), now)
    if until is not None:
        return Decision(retry_after=_seconds_until(until, now), reason="failures")
    minute = window_start(now, _MINUTE)
    place = leases.take(admission.key_id, minute, admission.limit)
    return None if place is None else _placed(admission.limit, place, minute, now)


def _remember(leases: Leases, key_id: str | None, decision: Decision) -> Decision:
    """Keep what the counters answered for this process's later requests."""
    if decision.throttled and decision.throttled_until is not None:
        leases.throttle(decision.throttled, decision.throttled_until, utcnow())
    if key_id is not None and decision.minute is not None:
        leases.keep(key_id, decision.minute, decision.spare, decision.total)
    return decision


def _failure(runtime: Runtime, error: Unauthorized) -> Failure:
    key_id = error.key_id if isinstance(error, KeyRejected) else None
    address = _address()
    # The key id and the address only: never the presented key, which may be a real secret mistyped.
    log.warning("authentication failed key_id=%s address=%s", key_id or "-", address or "-")
    settings = runtime.settings
    return Failure(key_id, address, settings.auth_failures_per_window, settings.auth_failure_window_seconds)


async def admit_async(runtime: Runtime, principal: Principal) -> None:
    """Count an authenticated request; RateLimited when its key is over its limit or it is throttled."""
    admission = _admission(runtime, principal)
    decision = _from_lease(runtime.leases, admission)
    if decision is None:
        decision = _remember(runtime.leases, admission.key_id, await runtime.counters.run_batched(ADMIT, admission))
    _settle(decision)


def admit(runtime: Runtime, principal: Principal) -> None:
    """`admit_async` for callers already off the event loop."""
    admission = _admission(runtime, principal)
    decision = _from_lease(runtime.leases, admission)
    if decision is None:
        answer = runtime.counters.submit_batched(ADMIT, admission).result()
        decision = _remember(runtime.leases, admission.key_id, answer)
    _settle(decision)


async def failed_async(runtime: Runtime, error: Unauthorized) -> None:
    """Count a failed authentication; RateLimited (instead of the 401) once its address or key id is throttled."""
    _settle(_remember(runtime.leases, None, await runtime.counters.run_batched(FAIL, _failure(runtime, error))))


def failed(runtime: Runtime, error: Unauthorized) -> None:
    """`failed_async` for callers already off the event loop."""
    _settle(_remember(runtime.leases, None, runtime.counters.submit_batched(FAIL, _failure(runtime, error)).result()))


class RateLimitHeaders:
    """ASGI middleware: the X-RateLimit-* headers on every authenticated answer, Retry-After on a refusal.

    It notes the caller's address for the counters (the peer address: a proxy in front must be trusted to
    be the client, X-Forwarded-For is not read, since any client can write it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        notes = _Notes(address=str(client[0]) if client else None)
        token = _notes.set(notes)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if notes.quota is not None:
                    for name, value in notes.quota.headers().items():
                        headers[name] = value
                if message["status"] == 429 and notes.retry_after is not None and "retry-after" not in headers:
                    headers["Retry-After"] = str(notes.retry_after)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            _notes.reset(token)
