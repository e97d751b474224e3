"""What a receiver's answer means and when to try again: pure rules, tested without HTTP."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from incidenthub.config import Settings

# Answers worth another attempt: the receiver is busy, down or asked us to slow down.
RETRYABLE_STATUSES = frozenset({408, 425, 429}) | frozenset(range(500, 600))


@dataclass(frozen=True)
class Schedule:
    """Exponential backoff with jitter: `base` doubling up to `cap` between attempts, for `window` seconds."""

    base: float
    cap: float
    window: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Schedule:
        return cls(
            base=settings.webhook_retry_base_seconds,
            cap=settings.webhook_retry_max_seconds,
            window=settings.webhook_retry_window_seconds,
        )

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the `attempts`-th failed attempt ("full jitter" over the upper half), at least
        what a Retry-After asked for."""
        ceiling = min(self.cap, self.base * 2 ** max(attempts - 1, 0))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not a secret
        return float(max(delay, retry_after or 0.0))

    def next_attempt(
        self, attempts: int, first_attempt: datetime, now: datetime, retry_after: float | None = None
    ) -> datetime | None:
        """When to try again, or None when that would fall after the retry window (the delivery has failed)."""
        at = now + timedelta(seconds=self.delay(attempts, retry_after))
        if at > first_attempt + timedelta(seconds=self.window):
            return None
        return at


def retryable(status_code: int | None) -> bool:
    """None (timeout, connection error) and the statuses above are retried; other answers are final."""
    return status_code is None or status_code in RETRYABLE_STATUSES


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds from now; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)
