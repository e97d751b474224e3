"""The delivery worker: fans new outbox events out into deliveries, POSTs the due ones, records every attempt.

Started inside `incidenthub serve` (each server process starts one) or alone with `incidenthub worker`.
PostgreSQL: every worker takes a share, the rows it works on locked with `FOR UPDATE SKIP LOCKED`. SQLite:
one worker runs across all the processes of a database (a lock file beside it); the others wait their turn.

A due delivery is claimed by pushing its `next_attempt_at` past the time a POST can take (a lease), then
POSTed outside any transaction, then its outcome recorded: a worker that dies mid-POST leaves the delivery
due again when the lease ends, so every event reaches its receiver at least once (deduplicate by `webhook-id`).
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.engine import make_url

from incidenthub import __version__
from incidenthub.clock import iso_utc, utcnow
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from incidenthub.webhooks import fanout, policy, service, signing, urls
from incidenthub.webhooks.repository import DeliveryRepository

log = logging.getLogger(__name__)

CLAIM = 32
EXCERPT_BYTES = 1000
_LEASE_MARGIN = 30.0


@dataclass(frozen=True)
class Claimed:
    """What one attempt needs, read in the claiming transaction."""

    delivery_id: str
    endpoint_id: str
    kind: str
    url: str
    message_id: str
    body: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    excerpt: str | None
    error: str | None
    retry_after: str | None = None
    final: bool = False  # refused before sending (e.g. the name now resolves to an internal address)

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Worker:
    """One delivery worker thread (see the module's docstring)."""

    def __init__(self, database: Database, settings: Settings, renderers: Mapping[str, fanout.Renderer]) -> None:
        self.database = database
        self.settings = settings
        self.renderers = dict(renderers)
        self.allowed = urls.allowed_networks(settings.webhook_allowed_networks)
        self.schedule = policy.Schedule.from_settings(settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_file: IO[str] | None = None
        self._client: httpx.Client | None = None
        self._pool: ThreadPoolExecutor | None = None
        url = make_url(database.url)
        self._postgres = url.get_backend_name() == "postgresql"
        sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        self._lock_path = Path(f"{url.database}.webhook-worker-lock") if sqlite_file else None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="incidenthub-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop after the current round; False when it was still running after `timeout` seconds (the process
        may exit anyway: a delivery not recorded is sent again by the next worker, receivers dedupe by id)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return False
            self._thread = None
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock: another process's worker takes over
            self._lock_file = None
        return True

    def request_stop(self) -> None:
        """Ask the worker to stop after its current round (safe from a signal handler)."""
        self._stop.set()

    def run_forever(self) -> None:
        """Run in this thread until stopped (`incidenthub worker`)."""
        try:
            self._run()
        finally:
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    def _turn(self) -> bool:
        """SQLite: whether this process holds the one worker's lock (taken without waiting)."""
        if self._lock_path is None or self._lock_file is not None:
            return True
        handle = self._lock_path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock_file = handle
        log.info("webhook delivery worker running in this process")
        return True

    def _run(self) -> None:
        # The first round waits one interval: a server starting up answers its first requests undisturbed.
        self._stop.wait(self.settings.webhook_poll_seconds)
        try:
            while not self._stop.is_set():
                busy = False
                try:
                    busy = self._turn() and self.tick()
                except Exception:
                    log.exception("webhook worker: a round failed; trying again")
                if not busy:
                    self._stop.wait(self.settings.webhook_poll_seconds)
        finally:
            if self._client is not None:
                self._client.close()
            if self._pool is not None:
                self._pool.shutdown()

    def _sender(self) -> tuple[httpx.Client, ThreadPoolExecutor]:
        """The HTTP client and the threads that POST, made when there is first something to send."""
        if self._client is None or self._pool is None:
            # No redirects and no proxies from the environment: each POST goes to the address that was checked.
            timeout = self.settings.webhook_timeout_seconds
            self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="incidenthub-webhook-post")
        return self._client, self._pool

    def tick(self) -> bool:
        """One round: fan out, claim, post, record. Whether there was work (then the next round starts at once)."""
        with self.database.read_sessions() as session:
            behind = fanout.behind(session)
        taken = 0
        if behind:
            with self.database.transaction() as session:
                taken = fanout.fan_out(session, self.renderers, skip_locked=self._postgres)
        claimed = self._claim()
        if claimed:
            started = [(item, utcnow()) for item in claimed]
            _client, pool = self._sender()
            outcomes = list(pool.map(lambda pair: self._post(pair[0]), started))
            self._record([(item, at, outcome) for (item, at), outcome in zip(started, outcomes, strict=True)])
        return bool(taken or claimed)

    def _claim(self) -> list[Claimed]:
        now = utcnow()
        with self.database.read_sessions() as session:
            if (
                session.scalar(
                    select(WebhookDelivery.id)
                    .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                    .limit(1)
                )
                is None
            ):
                return []
        lease = now + timedelta(seconds=self.settings.webhook_timeout_seconds + _LEASE_MARGIN)
        claimed = []
        with self.database.transaction() as session:
            for delivery in DeliveryRepository(session).due(now, CLAIM, skip_locked=self._postgres):
                endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
                if endpoint is None:
                    continue
                delivery.next_attempt_at = lease
                claimed.append(
                    Claimed(
                        delivery_id=delivery.id,
                        endpoint_id=endpoint.id,
                        kind=endpoint.kind,
                        url=endpoint.url,
                        message_id=delivery.event_id,
                        body=orjson.dumps(delivery.payload).decode(),
                        secrets=tuple(service.signing_secrets(endpoint, now)) if endpoint.kind == "webhook" else (),
                    )
                )
        return claimed

    def _post(self, item: Claimed) -> Outcome:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            target = urls.resolve(item.url, self.allowed)
        except urls.UrlRefused as refused:
            return Outcome(None, took(), None, f"refused: {refused}", final=True)
        headers = {
            "content-type": "application/json",
            "user-agent": f"incidenthub-webhooks/{__version__}",
            "host": httpx.URL(item.url).netloc.decode("ascii"),
            "webhook-id": item.message_id,
        }
        if item.secrets:
            headers.update(signing.headers(item.message_id, utcnow(), item.body, item.secrets))
        extensions = {"sni_hostname": target.hostname} if item.url.startswith("https") else {}
        try:
            client, _pool = self._sender()
            request = client.build_request(
                "POST", urls.pinned(target), content=item.body.encode(), headers=headers, extensions=extensions
            )
            response = client.send(request, stream=True)
            try:
                excerpt = _excerpt(response)
            finally:
                response.close()
            return Outcome(response.status_code, took(), excerpt, None, response.headers.get("retry-after"))
        except httpx.TimeoutException:
            return Outcome(None, took(), None, f"timed out after {self.settings.webhook_timeout_seconds:g} s")
        except httpx.HTTPError as error:
            return Outcome(None, took(), None, f"{type(error).__name__}: {error}"[:1000])

    def _record(self, results: list[tuple[Claimed, datetime, Outcome]]) -> None:
        with self.database.transaction() as session:
            for item, started, outcome in results:
                delivery = session.get(WebhookDelivery, item.delivery_id)
                endpoint = session.get(WebhookEndpoint, item.endpoint_id)
                if delivery is None or endpoint is None:
                    continue  # the endpoint was deleted meanwhile
                self._apply(session, delivery, endpoint, started, outcome)

    def _apply(
        self, session: Any, delivery: WebhookDelivery, endpoint: WebhookEndpoint, started: datetime, outcome: Outcome
    ) -> None:
        now = utcnow()
        delivery.attempts += 1
        delivery.first_attempt_at = delivery.first_attempt_at or started
        delivery.last_attempt_at = started
        delivery.last_status_code = outcome.status_code
        next_at: datetime | None = None
        if outcome.delivered:
            delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
            endpoint.failing_since = None
        else:
            delivery.last_error = outcome.error or f"HTTP {outcome.status_code}"
            if not outcome.final and policy.retryable(outcome.status_code):
                wait = policy.retry_after_seconds(outcome.retry_after, now)
                next_at = self.schedule.next_attempt(delivery.attempts, delivery.first_attempt_at, now, wait)
            delivery.status = "pending" if next_at is not None else "failed"
            endpoint.failing_since = endpoint.failing_since or started
            self._maybe_disable(endpoint, now, delivery.last_error)
        delivery.next_attempt_at = next_at
        DeliveryRepository(session).add_attempt(
            WebhookAttempt(
                delivery_id=delivery.id,
                attempted_at=started,
                status_code=outcome.status_code,
                duration_ms=outcome.duration_ms,
                response_excerpt=outcome.excerpt,
                error=outcome.error,
                next_attempt_at=next_at,
            )
        )

    def _maybe_disable(self, endpoint: WebhookEndpoint, now: datetime, last_error: str) -> None:
        since = endpoint.failing_since
        limit = timedelta(seconds=self.settings.webhook_disable_after_seconds)
        if endpoint.active and since is not None and now - since >= limit:
            endpoint.active = False
            endpoint.updated_at = now
            endpoint.disabled_reason = (
                f"disabled at {iso_utc(now)}: every delivery failed since {iso_utc(since)} (last: {last_error})"
            )[:1000]
            log.warning("webhook %s disabled: failing since %s", endpoint.id, iso_utc(since))


def _excerpt(response: httpx.Response) -> str | None:
    """The start of the receiver's answer, at most EXCERPT_BYTES (the rest is not read)."""
    read = b""
    for chunk in response.iter_bytes():
        read += chunk
        if len(read) >= EXCERPT_BYTES:
            break
    return read[:EXCERPT_BYTES].decode("utf-8", "replace") or None
