"""Webhook deliveries per second: the delivery worker posting a backlog of events to a real local receiver.

    python -m bench.deliveries [--events 2000] [--endpoints 1] [--database-url URL]

The events are GovWorx uploads of new incidents (one `incident.created` each, the incident in `data.object`),
written through the server's own write functions before the worker starts; then the worker (the one
`incidenthub serve` runs) fans them out and posts them, signed, to a receiver on 127.0.0.1 that answers 204
at once. The figure is events delivered per second, from the worker's first round to the last delivery,
with the time per round for the CPU this machine gives it. Writes `bench/DELIVERIES.md`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.harness.receiver import Receiver
from bench.outbox import _uploads
from incidenthub import migrate
from incidenthub.adapters import push_renderers
from incidenthub.auth import service as auth_service
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.incidents import batch
from incidenthub.models import OutboxEvent
from incidenthub.webhooks import service as webhooks
from incidenthub.webhooks.worker import Worker

REPORT = Path(__file__).parent / "DELIVERIES.md"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=1, help="receivers subscribed to every event")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="ih-deliveries-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    database = Database(url)
    migrate.upgrade(database)
    settings = Settings(database_url=url, webhook_allowed_networks="127.0.0.0/8", webhook_poll_seconds=0.05)
    receivers = [Receiver() for _ in range(args.endpoints)]
    for receiver in receivers:
        receiver.__enter__()
    try:
        with database.transaction() as session:
            tenant_id = auth_service.create_tenant(session, "Bench", f"bench-{int(time.time())}", "UTC", None).id
            for receiver in receivers:
                webhooks.add_endpoint(session, tenant_id, url=receiver.url, events=["*"])
        items = _uploads("d", args.events)
        for item in items:
            item.tenant_id = tenant_id
        for start in range(0, len(items), 64):
            with database.transaction() as session:
                batch.upsert_many(session, items[start : start + 64])
        with database.read_sessions() as session:
            events = int(session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)
        wanted = events * len(receivers)

        worker = Worker(Database(url), settings, push_renderers())
        started = time.perf_counter()
        rounds = 0
        while sum(r.posts for r in receivers) < wanted and time.perf_counter() - started < args.timeout:
            worker.tick()
            rounds += 1
        elapsed = time.perf_counter() - started
        worker.stop()
        delivered = sum(r.posts for r in receivers)
    finally:
        for receiver in receivers:
            receiver.__exit__()
    rate = delivered / elapsed if elapsed else 0.0
    print(f"{delivered:,} of {wanted:,} deliveries in {elapsed:.1f} s ({rounds} worker rounds): {rate:,.0f}/s")
    REPORT.write_text(
        "\n".join(
            [
                "# Webhook deliveries per second",
                "",
                f"`python -m bench.deliveries --events {args.events} --endpoints {args.endpoints}` on "
                f"{database.dialect}: {events:,} events (GovWorx seed incidents, `incident.created` with the "
                f"incident in `data.object`) to {len(receivers)} local receiver(s) answering 204.",
                "",
                "| deliveries | seconds | worker rounds | deliveries per second |",
                "|--:|--:|--:|--:|",
                f"| {delivered:,} of {wanted:,} | {elapsed:.1f} | {rounds} | {rate:,.0f} |",
                "",
            ]
        )
    )
    database.dispose()
    return {"delivered": delivered, "wanted": wanted, "seconds": elapsed, "per_second": rate}


if __name__ == "__main__":
    main()
