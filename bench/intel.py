"""Threat intelligence over a million incidents: what the safety aggregates add to a write, and how fast the
heat map, danger zones, score and a 20-waypoint route answer.

    python -m bench.intel [--incidents 1000000] [--city lagos] [--writes 6000] [--batch 500] [--single 300] [--rounds 3]
                          [--requests 200] [--database-url URL] [--postgres-url URL] [--reuse]

For each database (a new SQLite file; and PostgreSQL when `--postgres-url` or INCIDENTHUB_TEST_POSTGRES_URL
is given, in a new database on that server), `incidenthub demo-data`'s generator writes `--incidents` into
tenant `bench` through the write path (`--reuse`: a `--database-url` whose tenant `bench` already has them is
used as it is). Then:

(a) Writes: more of the same GovWorx uploads (another seed, tenant `bench-writes`, so `bench`'s aggregates
    stay whole), `--batch` per transaction through `batch.upsert_many`, in this process, with the safety
    upkeep on (as served) and off (its `before_commit` listener removed with `sqlalchemy.event.remove`, in
    this process only), alternating rounds so drift hits both alike; then `--single` more, one per
    transaction (as one `PUT` writes them). The report is the extra time per write.
(b) Reads: a real `incidenthub serve` (one worker) on the database; `--requests` sequential GETs of each of
    `/v1/safety/heatmap` (a 0.1-degree district and the whole city box, resolution 8),
    `/v1/safety/danger-zones` (radius 5 km), `/v1/safety/score` and `/v1/safety/route` (20 waypoints across
    the city), at random points in the city's box; p50 and p99 of the time to the whole answer, after 10 of
    each to warm up. An endpoint the server does not have (404) is reported as such.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.harness import demodb, procs
from incidenthub import migrate
from incidenthub.adapters.govworx import demo
from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.incidents import safety

REPORT = Path(__file__).parent / "INTEL.md"
TARGET_MS = 100.0
TARGET_EXTRA = 0.10
WARMUP = 10


@dataclass
class Latency:
    endpoint: str
    example: str
    times_ms: list[float] = field(default_factory=list)
    problem: str = ""

    def quantile(self, q: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Backend:
    name: str
    incidents: int = 0
    generated: str = ""
    write_on: float = 0.0  # writes per second, median of rounds, `--batch` per transaction
    write_off: float = 0.0
    single_on: float = 0.0  # the same, one write per transaction
    single_off: float = 0.0
    reads: list[Latency] = field(default_factory=list)

    @property
    def extra(self) -> float:
        return extra(self.write_on, self.write_off)

    @property
    def single_extra(self) -> float:
        return extra(self.single_on, self.single_off)


def extra(on: float, off: float) -> float:
    """The extra time per write with the upkeep on, as a share of the time without it."""
    return off / on - 1 if on else float("nan")


def writes(database: Database, city: demo.City, count: int, size: int, rounds: int) -> tuple[float, float]:
    """Writes per second with the safety upkeep on and off (median of `rounds` each, alternating)."""
    return demodb.write_cost(database, city, count, size, rounds, safety._before_commit, safety.rebuild)


def _route(rng: random.Random, box: tuple[float, float, float, float]) -> str:
    """20 waypoints from one side of the city to the other, a little off the straight line."""
    min_lon, min_lat, max_lon, max_lat = box
    a = (rng.uniform(min_lat, max_lat), min_lon + 0.1 * (max_lon - min_lon))
    b = (rng.uniform(min_lat, max_lat), max_lon - 0.1 * (max_lon - min_lon))
    points = []
    for i in range(20):
        t = i / 19
        lat = a[0] + t * (b[0] - a[0]) + (rng.gauss(0, 0.003) if 0 < i < 19 else 0)
        points.append(f"{lat:.5f},{a[1] + t * (b[1] - a[1]):.5f}")
    return ";".join(points)


def requests_for(city: demo.City, rng: random.Random) -> dict[str, tuple[str, Callable[[], dict[str, Any]]]]:
    """label -> (path, a function giving the next request's query)."""
    min_lon, min_lat, max_lon, max_lat = city.box

    def point() -> dict[str, Any]:
        return {"lat": round(rng.uniform(min_lat, max_lat), 5), "lon": round(rng.uniform(min_lon, max_lon), 5)}

    def district() -> dict[str, Any]:
        # A map on a phone or a dispatcher's screen: about 11 km across, somewhere in the city.
        lon, lat = rng.uniform(min_lon, max_lon - 0.1), rng.uniform(min_lat, max_lat - 0.1)
        return {"bbox": f"{lon:.4f},{lat:.4f},{lon + 0.1:.4f},{lat + 0.1:.4f}", "resolution": 8}

    heatmap = "/v1/safety/heatmap"
    return {
        "/v1/safety/heatmap (district, 0.1 degree)": (heatmap, district),
        "/v1/safety/heatmap (whole city)": (
            heatmap,
            lambda: {"bbox": f"{min_lon},{min_lat},{max_lon},{max_lat}", "resolution": 8},
        ),
        "/v1/safety/danger-zones": ("/v1/safety/danger-zones", lambda: {**point(), "radius_m": 5000}),
        "/v1/safety/score": ("/v1/safety/score", point),
        "/v1/safety/route": ("/v1/safety/route", lambda: {"waypoints": _route(rng, city.box)}),
    }


def reads(url: str, city: demo.City, count: int, workdir: Path) -> list[Latency]:
    """p50/p99 of each endpoint over HTTP against `incidenthub serve`."""
    database = Database(url)
    with database.transaction() as session:
        key = auth_service.create_key(session, "bench", ["intel:read"], "bench-intel", None).secret
    database.dispose()
    rng = random.Random(7)  # reproducible points
    out: list[Latency] = []
    env = procs.server_env(url)
    with (
        procs.running(procs.serve_command(1), env, workdir / f"serve-{uuid.uuid4().hex[:6]}.log", "/v1/health") as srv,
        httpx.Client(base_url=srv.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client,
    ):
        for label, (path, params) in requests_for(city, rng).items():
            example = params()
            latency = Latency(label, str(httpx.URL(path, params=example)))
            first = client.get(path, params=example)
            if first.status_code != 200:
                latency.problem = f"{first.status_code}: {first.text[:200]}"
                demodb.say(f"  {label}: {latency.problem}")
                out.append(latency)
                continue
            for n in range(WARMUP + count):
                query = params()
                started = time.perf_counter()
                response = client.get(path, params=query)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    latency.problem = f"{response.status_code} for {query}: {response.text[:200]}"
                    break
                if n >= WARMUP:
                    latency.times_ms.append(elapsed)
            if latency.times_ms:
                demodb.say(f"  {label}: p50 {latency.quantile(0.5):.1f} ms, p99 {latency.quantile(0.99):.1f} ms")
            out.append(latency)
    return out


def run_backend(url: str, args: argparse.Namespace, workdir: Path) -> Backend:
    database = Database(url)
    migrate.upgrade(database)
    result = Backend(database.dialect)
    demodb.say(f"{result.name}:")
    city = demo.CITIES[args.city]
    result.incidents, result.generated = demodb.populate(database, "bench", city, args.incidents, args.reuse)
    if args.writes:
        result.write_on, result.write_off = writes(database, city, args.writes, args.batch, args.rounds)
    if args.single:
        result.single_on, result.single_off = writes(database, city, args.single, 1, args.rounds)
    database.dispose()
    if args.requests:
        result.reads = reads(url, city, args.requests, workdir)
    return result


def report(backends: list[Backend], args: argparse.Namespace, seconds: float) -> str:
    lines = [
        f"# Threat intelligence over {min(b.incidents for b in backends):,} incidents",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.intel --incidents {args.incidents} "
        f"--city {args.city} --writes {args.writes} --batch {args.batch} --single {args.single} --rounds {args.rounds} "
        f"--requests {args.requests}{' --reuse' if args.reuse else ''}` ({os.cpu_count()} cores, shared); "
        f"the whole run took {seconds:,.0f} s.",
        "",
        "## What the safety aggregates add to a write (target: under 10%)",
        "",
        f"New GovWorx uploads through `batch.upsert_many`, in-process, {args.batch} per transaction (as the bulk "
        "import writes them) and one per transaction (as one `PUT` writes one), into a database already holding "
        "the incidents below; the safety upkeep on (as served) and off (its `before_commit` listener removed in "
        f"the bench process only), median of {args.rounds} rounds of {args.writes:,} (batched) and "
        f"{args.single:,} (single) writes per mode, modes alternating. No HTTP: its cost would hide the difference.",
        "",
        "| database | incidents | writes per transaction | per second, aggregates on | per second, off "
        "| extra time per write | target |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for b in backends:
        for size, on, off in ((args.batch, b.write_on, b.write_off), (1, b.single_on, b.single_off)):
            if on:
                share = extra(on, off)
                met = "met" if share < TARGET_EXTRA else "**not met**"
                lines.append(f"| {b.name} | {b.incidents:,} | {size} | {on:,.0f} | {off:,.0f} | {share:+.1%} | {met} |")
    lines += [
        "",
        "## Read latency over HTTP (target: each under 100 ms)",
        "",
        f"`incidenthub serve --workers 1` on the same database; {args.requests} sequential requests per endpoint "
        f"after {WARMUP} to warm up, each at a new random point of the city's box (the heat map: a random "
        "0.1-degree district, and the whole box).",
        "",
        "| database | endpoint | p50 ms | p99 ms | target | example |",
        "|---|---|--:|--:|---|---|",
    ]
    for b in backends:
        for r in b.reads:
            if r.problem and not r.times_ms:
                why = "this server has no such endpoint (404)" if r.problem.startswith("404") else r.problem[:80]
                lines.append(f"| {b.name} | `{r.endpoint}` | - | - | not measured: {why} | |")
                continue
            p50, p99 = r.quantile(0.5), r.quantile(0.99)
            met = "met" if p99 < TARGET_MS else ("p50 met, p99 not" if p50 < TARGET_MS else "**not met**")
            example = r.example if len(r.example) < 90 else r.example[:87] + "..."
            lines.append(f"| {b.name} | `{r.endpoint}` | {p50:.1f} | {p99:.1f} | {met} | `{example}` |")
    lines += ["", "## Data", ""]
    for b in backends:
        lines.append(f"- {b.name}: {b.incidents:,} incidents in tenant `bench` ({args.city}), {b.generated}.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> list[Backend]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--city", choices=sorted(demo.CITIES), default="lagos")
    parser.add_argument("--writes", type=int, default=6000, help="writes per round and mode (0: skip part a)")
    parser.add_argument("--batch", type=int, default=500, help="writes per transaction")
    parser.add_argument("--single", type=int, default=300, help="writes one per transaction, per round and mode")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint (0: skip part b)")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--postgres-url", default=None, help="default: INCIDENTHUB_TEST_POSTGRES_URL; 'none': skip")
    parser.add_argument("--reuse", action="store_true", help="use the incidents already in --database-url")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ih-intel-"))
    urls = [args.database_url or f"sqlite:///{workdir / 'bench.db'}"]
    postgres = args.postgres_url or procs.postgres_admin_url()
    if postgres and postgres != "none" and not (args.database_url or "").startswith("postgresql"):
        urls.append(postgres if args.reuse and args.postgres_url else demodb.fresh_postgres(postgres, "ih_bench_intel"))
    backends = [run_backend(url, args, workdir) for url in urls]
    args.report.write_text(report(backends, args, time.perf_counter() - started))
    demodb.say(f"report: {args.report}")
    return backends


if __name__ == "__main__":
    main()
