"""What a running app holds: settings, the database, its write path and the verified keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.orm import Session

from incidenthub.auth.cache import KeyCache
from incidenthub.auth.leases import Leases
from incidenthub.config import Settings
from incidenthub.db import Database, WritePath


@dataclass
class Runtime:
    settings: Settings
    database: Database
    writes: WritePath
    # The rate-limit and failed-authentication counters' own write path (auth/limits.py).
    counters: WritePath
    # Places in the rate-limit counts this process leased and has not handed out yet (auth/leases.py).
    leases: Leases = field(default_factory=Leases)
    # When this process last queued a last_used_at write for each key (monotonic seconds).
    key_touches: dict[str, float] = field(default_factory=dict)
    # API keys this process verified in the last `key_cache_seconds`.
    keys: KeyCache = field(init=False)

    def __post_init__(self) -> None:
        self.keys = KeyCache(self.settings.key_cache_seconds)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def read_session(request: Request) -> Iterator[Session]:
    """A read-only session for one request."""
    with runtime_of(request).database.read_sessions() as session:
        yield session
