"""Response-time analytics over a year of incidents: how long each answer of /v1/analytics takes.

    python -m bench.analytics [--incidents 1000000] [--city nyc] [--runs 3] [--database-url URL]
                              [--postgres-url URL] [--reuse] [--report bench/ANALYTICS.md]

For each database (a new SQLite file; and PostgreSQL when `--postgres-url` or INCIDENTHUB_TEST_POSTGRES_URL is
given, in a new database on that server), `incidenthub demo-data`'s generator writes `--incidents` into tenant
`bench-analytics` through the write path, with their call and unit times (`--reuse`: a `--database-url` whose
tenant already has them is used as it is). Then the real application (create_app, in this process, over
in-process HTTP: no server is left running) answers, over the year the incidents span,
`GET /v1/analytics/intervals` once without group_by and once per group_by, and `GET /v1/analytics/compliance`
once per default standard; each `--runs` times after `--warmup` untimed runs (default 1), the p50 reported
(target 1 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from bench.harness import demodb, procs
from incidenthub import migrate
from incidenthub.adapters.govworx import demo
from incidenthub.analytics import month_counts
from incidenthub.analytics.legs import GROUP_BY
from incidenthub.analytics.standards import DEFAULTS
from incidenthub.app import create_app
from incidenthub.auth import service as auth_service
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.incidents import response_times

REPORT = Path(__file__).parent / "ANALYTICS.md"
# A year of whole local months (summed from the month counts) and a year from a day (its two part months read
# from the rows).
MONTHS = {"from_date": "2025-12-01", "to_date": "2026-11-30"}
PERIOD = {"from_date": "2025-11-26", "to_date": "2026-11-26"}
TENANT = "bench-analytics"
TARGET_MS = 1000.0


@dataclass
class Timing:
    answer: str
    times_ms: list[float] = field(default_factory=list)
    problem: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms) if self.times_ms else float("nan")


@dataclass
class Backend:
    name: str
    incidents: int = 0
    generated: str = ""
    timings: list[Timing] = field(default_factory=list)
    write_on: float = 0.0  # writes per second with the response-time rows kept, and without
    write_off: float = 0.0
    marks: int = 0  # month marks counted before the answers, and how long that took
    recount_seconds: float = 0.0


def answers() -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, query) of every answer timed, over each period."""
    found = []
    for label, period in (("months", MONTHS), ("days", PERIOD)):
        found += [(f"{label}: intervals", "/v1/analytics/intervals", dict(period))]
        found += [
            (f"{label}: intervals group_by={g}", "/v1/analytics/intervals", {**period, "group_by": g}) for g in GROUP_BY
        ]
        found += [
            (f"{label}: compliance {s.id}", "/v1/analytics/compliance", {**period, "standard": s.id, "limit": "20"})
            for s in DEFAULTS
        ]
    return found


def time_answers(url: str, runs: int, warmup: int = 1) -> list[Timing]:
    """Each answer `runs` times after `warmup` untimed ones, through the whole application."""
    database = Database(url)
    with database.transaction() as session:
        key = auth_service.create_key(session, TENANT, ["analytics:read"]).secret
    database.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    timings = []
    # The months are counted before (run_backend); no recount runs beside the answers.
    with TestClient(create_app(Settings(database_url=url, analytics_recount_seconds=0))) as client:
        for name, path, query in answers():
            timing = Timing(name)
            for run in range(runs + warmup):
                started = time.perf_counter()
                response = client.get(path, params=query, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    timing.problem = f"{response.status_code}: {response.text[:200]}"
                    break
                if run >= warmup:
                    timing.times_ms.append(elapsed)
            demodb.say(f"  {name}: p50 {timing.p50:,.0f} ms {timing.problem}")
            timings.append(timing)
    return timings


def run_backend(url: str, args: argparse.Namespace) -> Backend:
    database = Database(url)
    migrate.upgrade(database)
    result = Backend(database.dialect)
    demodb.say(f"{result.name}:")
    result.incidents, result.generated = demodb.populate(
        database, TENANT, demo.CITIES[args.city], args.incidents, args.reuse
    )
    if args.writes:
        result.write_on, result.write_off = demodb.write_cost(
            database,
            demo.CITIES[args.city],
            args.writes,
            args.batch,
            args.rounds,
            response_times._before_commit,
            response_times.rebuild,
        )
    started = time.perf_counter()
    result.marks = month_counts.recount_all(database)
    result.recount_seconds = time.perf_counter() - started
    demodb.say(f"  counted {result.marks} marked month(s) in {result.recount_seconds:,.1f} s")
    database.dispose()
    result.timings = time_answers(url, args.runs, args.warmup)
    return result


def report(backends: list[Backend], args: argparse.Namespace, seconds: float) -> str:
    lines = [
        f"# Response-time analytics over {min(b.incidents for b in backends):,} incidents",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.analytics --incidents "
        f"{args.incidents} --city {args.city} --runs {args.runs} --warmup {args.warmup}"
        f"{' --reuse' if args.reuse else ''}` "
        f"({os.cpu_count()} cores, shared with other work); the whole run took {seconds:,.0f} s.",
        "",
        "Demo incidents (1-3 units each, with call and unit milestones) over a year, written through the write "
        "path, their months then counted (`month_counts.recount_all`, what `serve` and `worker` do every 5 minutes). "
        f"Each answer over a year of whole months (`months`: {MONTHS['from_date']} to {MONTHS['to_date']}, summed "
        f"from the month counts) and over a year from a day (`days`: {PERIOD['from_date']} to {PERIOD['to_date']}, "
        "the eleven whole months from the counts, the two part months from the rows), through the whole "
        f"application in-process, p50 of {args.runs} runs after {args.warmup} untimed; target under "
        f"{TARGET_MS:,.0f} ms.",
        "",
    ]
    for backend in backends:
        lines += [f"## {backend.name}: {backend.incidents:,} incidents ({backend.generated})", ""]
        if backend.write_on:
            lines += [
                "What keeping the response-time rows adds to a write "
                f"({args.writes:,} new demo incidents in batches of {args.batch}, {args.rounds} rounds each way, "
                f"alternating, in-process): {backend.write_on:,.0f}/s with them, {backend.write_off:,.0f}/s without: "
                f"**{backend.write_off / backend.write_on - 1:+.1%}** per write.",
                "",
            ]
        lines += [
            f"Counting the marked months ({backend.marks} mark(s)) took {backend.recount_seconds:,.1f} s.",
            "",
            "| answer | p50 ms | runs (ms) | under target |",
            "|---|---:|---|---|",
        ]
        for timing in backend.timings:
            if timing.problem:
                lines.append(f"| {timing.answer} | - | {timing.problem} | no |")
                continue
            runs = ", ".join(f"{t:,.0f}" for t in timing.times_ms)
            under = "yes" if timing.p50 < TARGET_MS else "no"
            lines.append(f"| {timing.answer} | {timing.p50:,.0f} | {runs} | {under} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[Backend]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--city", choices=sorted(demo.CITIES), default="nyc")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--postgres-url", default=None, help="default: INCIDENTHUB_TEST_POSTGRES_URL; 'none': skip")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each answer first")
    parser.add_argument("--writes", type=int, default=0, help="new incidents per round of the write-cost measure")
    parser.add_argument("--batch", type=int, default=500, help="uploads per transaction in the write-cost measure")
    parser.add_argument("--rounds", type=int, default=3, help="rounds each way of the write-cost measure")
    parser.add_argument("--reuse", action="store_true", help="use the incidents already in --database-url")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ih-analytics-"))
    urls = [args.database_url or f"sqlite:///{workdir / 'bench.db'}"]
    postgres = args.postgres_url or procs.postgres_admin_url()
    if postgres and postgres != "none" and not (args.database_url or "").startswith("postgresql"):
        urls.append(
            postgres if args.reuse and args.postgres_url else demodb.fresh_postgres(postgres, "ih_bench_analytics")
        )
    backends = [run_backend(url, args) for url in urls]
    args.report.write_text(report(backends, args, time.perf_counter() - started))
    demodb.say(f"report: {args.report}")
    return backends


if __name__ == "__main__":
    main()
