"""New events announced to the open streams of one server process, without a query per stream.

One `Hub` per process. A stream takes a `ticket` (an asyncio event) for its tenant *before* it reads the
outbox, then waits on it: an announcement made after the read sets the ticket it holds, so no event is
missed between a read and the wait. Streams hold no database connection while they wait.

Who announces:
- PostgreSQL: the outbox runs `pg_notify('incidenthub_events', tenant_id)` in each transaction that wrote
  events; one LISTEN connection per process (async psycopg, started with the first stream) fans the
  notifications out. After a lost connection it reconnects and wakes every stream, which reads again:
  nothing sent while it was away is missed.
- SQLite: one task per process, while any stream is open, reads the newest sequence number of each tenant
  that has a stream (one indexed query per tick, whatever the number of streams) and wakes the tenants
  whose number moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator

import psycopg
from sqlalchemy.engine import make_url

from incidenthub.db import Database
from incidenthub.events.outbox import CHANNEL
from incidenthub.live.repository import newest_by_tenant

log = logging.getLogger(__name__)

_RECONNECT_SECONDS = 1.0
_READY_SECONDS = 5.0


class Hub:
    """The announcements of new events to this process's streams, by tenant."""

    def __init__(self, database: Database, poll_seconds: float) -> None:
        self._database = database
        self._poll_seconds = poll_seconds
        self._tickets: dict[str, asyncio.Event] = {}
        self._watchers: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()  # PostgreSQL: LISTEN is in force
        self._newest: dict[str, int] = {}  # SQLite: the newest sequence number seen per tenant

    @property
    def streams(self) -> int:
        """How many streams of this process are open."""
        return sum(self._watchers.values())

    def ticket(self, tenant_id: str) -> asyncio.Event:
        """Set by the next announcement for the tenant: take it before reading, wait on it after."""
        ticket = self._tickets.get(tenant_id)
        if ticket is None:
            ticket = self._tickets[tenant_id] = asyncio.Event()
        return ticket

    def announce(self, tenant_id: str) -> None:
        """Wake the tenant's streams (they read what is new)."""
        ticket = self._tickets.pop(tenant_id, None)
        if ticket is not None:
            ticket.set()

    def announce_all(self) -> None:
        for tenant_id in list(self._tickets):
            self.announce(tenant_id)

    @contextlib.asynccontextmanager
    async def watching(self, tenant_id: str) -> AsyncIterator[None]:
        """One open stream of the tenant: announcements reach it from the moment this returns."""
        self._watchers[tenant_id] += 1
        try:
            self._start()
            if self._database.dialect == "postgresql":
                # Not yet listening: the stream still reads everything up to now first, and the listener
                # wakes every stream once it listens, so waiting longer would change nothing.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._listening.wait(), _READY_SECONDS)
            yield
        finally:
            self._watchers[tenant_id] -= 1
            if self._watchers[tenant_id] <= 0:
                del self._watchers[tenant_id]
                self._newest.pop(tenant_id, None)

    def _start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        if self._database.dialect == "postgresql":
            self._task = asyncio.create_task(self._listen(), name="incidenthub-events-listen")
        else:
            self._task = asyncio.create_task(self._poll(), name="incidenthub-events-poll")

    async def close(self) -> None:
        """Stop listening or polling (the app's shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.announce_all()

    # --- PostgreSQL ------------------------------------------------------------------------------------------

    async def _listen(self) -> None:
        conninfo = make_url(self._database.url).set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    # Anything committed while not listening: every stream reads again.
                    self.announce_all()
                    async for note in connection.notifies():
                        self.announce(note.payload)
            except (psycopg.Error, OSError) as error:
                log.warning("event stream listener: %s; reconnecting in %.0f s", error, _RECONNECT_SECONDS)
            finally:
                self._listening.clear()
            await asyncio.sleep(_RECONNECT_SECONDS)

    # --- SQLite ----------------------------------------------------------------------------------------------

    async def _poll(self) -> None:
        while self._watchers:
            tenants = sorted(self._watchers)
            try:
                newest = await asyncio.to_thread(self._newest_of, tenants)
            except Exception:
                log.exception("event stream poll failed; trying again")
                newest = {}
            for tenant_id, seq in newest.items():
                if tenant_id in self._watchers and self._newest.get(tenant_id) != seq:
                    self._newest[tenant_id] = seq
                    self.announce(tenant_id)
            await asyncio.sleep(self._poll_seconds)

    def _newest_of(self, tenants: list[str]) -> dict[str, int]:
        with self._database.read_sessions() as session:
            return newest_by_tenant(session, tenants)
