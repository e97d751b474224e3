"""What one server process knows of the shared rate-limit counts, so that most requests need no write.

A process does not count each request in the database: it takes a block of places at once (a lease: one upsert
adds the block to the key's count of the minute and answers the new total, so the block's places are this
process's alone) and hands them out one per request, without a database round trip, until the block is used up.
Places are unique across all processes, and a request is admitted only when its place is within the limit, so
the processes together never admit more than the limit; at worst a place leased by one process goes unused
while another refuses (fewer than a block per process per minute). Once a lease has shown the count at or past
the limit, the process refuses the key's further requests of that minute without asking.

It also remembers the failure buckets (a key id, an address) that it saw throttled, until their windows end, so
that a throttled key or address is refused without a round trip even while a lease of places lasts.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

# Keep at most this many throttled buckets before forgetting the expired ones.
_THROTTLED_SWEEP_AT = 4096


def block_size(limit: int) -> int:
    """How many places a process leases at once: a hundredth of the limit, so that the count stays exact for
    small limits (below 200 a minute every request asks the database) and a process asks once per 1% above."""
    return max(1, limit // 100)


@dataclass
class _Lease:
    minute: datetime
    total: int = 0  # the key's count of the minute when this process last asked
    free: deque[tuple[int, int]] = field(default_factory=deque)  # places leased and not yet handed out


class Leases:
    """The leases of one process (thread-safe: requests are admitted on the event loop and on worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leases: dict[str, _Lease] = {}
        self._throttled: dict[str, datetime] = {}

    def take(self, key_id: str, minute: datetime, limit: int) -> int | None:
        """The key's next place in the minute's count from this process's lease (a place past `limit` when the
        count is known to be past it), or None when the database must be asked."""
        with self._lock:
            lease = self._leases.get(key_id)
            if lease is None or lease.minute != minute:
                return None
            if lease.free:
                first, last = lease.free[0]
                if first == last:
                    lease.free.popleft()
                else:
                    lease.free[0] = (first + 1, last)
                return first
            if lease.total >= limit:
                return lease.total + 1
            return None

    def keep(self, key_id: str, minute: datetime, spare: tuple[int, int] | None, total: int) -> None:
        """Note what the database answered: the key's count of the minute, and places leased and not used yet."""
        with self._lock:
            lease = self._leases.get(key_id)
            if lease is None or lease.minute != minute:
                lease = self._leases[key_id] = _Lease(minute)
            lease.total = max(lease.total, total)
            if spare is not None and spare[0] <= spare[1]:
                lease.free.append(spare)
                if len(lease.free) > 1:
                    lease.free = deque(sorted(lease.free))

    def throttle(self, buckets: frozenset[str], until: datetime, now: datetime) -> None:
        """Remember buckets seen throttled, until their window ends."""
        if not buckets:
            return
        with self._lock:
            if len(self._throttled) >= _THROTTLED_SWEEP_AT:
                self._throttled = {b: u for b, u in self._throttled.items() if u > now}
            for bucket in buckets:
                self._throttled[bucket] = max(until, self._throttled.get(bucket, until))

    def throttled_until(self, buckets: list[str], now: datetime) -> datetime | None:
        """When the latest of these buckets' known throttles ends, or None when none of them is throttled."""
        with self._lock:
            ends = [u for b in buckets if (u := self._throttled.get(b)) is not None and u > now]
        return max(ends) if ends else None
