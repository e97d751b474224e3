"""Sety's IncidentAnalytics (GET /v1/analytics/incidents) over many incidents: how long the answer takes.

    python -m bench.sety_analytics [--incidents 1000000] [--rounds 5] [--database-url URL] [--reuse]

A new SQLite file (or `--database-url`; with `--reuse` a database whose tenant `bench` already holds the
incidents) gets `--incidents` GovWorx demo incidents (`incidenthub demo-data`'s generator, through the write
path, with responders and call times over 365 days). Then the answer is computed `--rounds` times in this
process through the service the route calls (`analytics.sety.incident_analytics`, the same SQL), for the whole
year and for the last 30 days; the report is each round's seconds and their median.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from incidenthub import migrate
from incidenthub.adapters.govworx import demo
from incidenthub.analytics import sety
from incidenthub.auth import service as auth_service
from incidenthub.auth.repository import TenantRepository
from incidenthub.db import Database
from incidenthub.models import Incident

UNTIL = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _tenant(database: Database) -> str:
    with database.transaction() as session:
        found = TenantRepository(session).by_slug("bench")
        if found is not None:
            return found.id
        return auth_service.create_tenant(session, "Bench", "bench", "Africa/Lagos", None).id


def _count(database: Database, tenant_id: str) -> int:
    with database.read_sessions() as session:
        return session.scalar(select(func.count()).select_from(Incident).where(Incident.tenant_id == tenant_id)) or 0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'sety.db'}"
    database = Database(url)
    migrate.upgrade(database)
    tenant_id = _tenant(database)
    if not (args.reuse and _count(database, tenant_id) >= args.incidents):
        started = time.perf_counter()
        demo.write(database, "bench", demo.CITIES["lagos"], args.incidents, 365, 1, UNTIL)
        print(f"generated {args.incidents:,} incidents in {time.perf_counter() - started:,.0f} s", flush=True)
    total = _count(database, tenant_id)
    print(f"{database.engine.dialect.name}: {total:,} incidents in tenant `bench`")
    # The demo's incidents are created now (their call times are in the past year): both periods hold them all
    # when generated today; a reused database may hold them in another month.
    for label, from_date in (("whole year", "2025-01-01"), ("last 30 days", None)):
        seconds = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            with database.read_sessions() as session:
                answer = sety.incident_analytics(session, tenant_id, from_date, None)
            seconds.append(time.perf_counter() - started)
        rounds = ", ".join(f"{s:.3f}" for s in seconds)
        p90 = answer["time_to_assign"]["p90_seconds"]
        print(
            f"  {label}: {answer['total']:,} incidents; median {statistics.median(seconds):.3f} s "
            f"(rounds: {rounds}); p90 to assign {p90} s"
        )
    database.dispose()


if __name__ == "__main__":
    main()
