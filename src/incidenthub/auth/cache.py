"""Verified API keys, remembered by one server process for a few seconds.

Each process keeps its own cache: a hit costs a SHA-256 and a dict lookup instead of a database query.
An entry lives `ttl` seconds from the moment the key was verified against the database and is never
extended by use, so a key revoked (or changed) in the database stops working on every process at most
`ttl` seconds later. The key's own `expires_at` is checked on every hit, so expiry is exact.

Failures are not cached: a wrong, revoked or unknown key goes to the database each time. Only keys that
verified are stored, so the cache holds at most one entry per live key and cannot be filled by guessing.
"""

from __future__ import annotations

import hashlib
import threading
import time

from incidenthub.auth.service import Principal
from incidenthub.clock import utcnow
from incidenthub.errors import Unauthorized

# Past this many entries, a put first drops the outdated ones (and everything, if none were outdated).
_SWEEP_AT = 10_000


def digest(raw_key: str) -> bytes:
    """What the cache is keyed by: the presented key is not kept in memory as such."""
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).digest()


class KeyCache:
    """Principal by key digest, each until `ttl` seconds after it was verified."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[bytes, tuple[Principal, float]] = {}
        self._lock = threading.Lock()  # puts come from the event loop and from worker threads
        self.hits = 0
        self.misses = 0

    def get(self, raw_key: str) -> Principal | None:
        """The cached principal of a key, None when it must be verified again.

        Raises Unauthorized when the cached key has passed its own `expires_at`."""
        if self.ttl <= 0:
            return None
        key = digest(raw_key)
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        principal, until = entry
        if time.monotonic() >= until:
            self._entries.pop(key, None)
            self.misses += 1
            return None
        if principal.expires_at is not None and principal.expires_at <= utcnow():
            self._entries.pop(key, None)
            raise Unauthorized("missing or invalid API key")
        self.hits += 1
        return principal

    def put(self, raw_key: str, principal: Principal, verified_at: float) -> None:
        """Remember a key verified against the database at `verified_at` (time.monotonic())."""
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= _SWEEP_AT:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
                if len(self._entries) >= _SWEEP_AT:
                    self._entries = {}
            self._entries[digest(raw_key)] = (principal, verified_at + self.ttl)

    def forget(self, key_id: str) -> None:
        """Drop every entry of a key (revoked through this process: it stops here at once, elsewhere within ttl)."""
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if v[0].key_id != key_id}

    def __len__(self) -> int:
        return len(self._entries)
