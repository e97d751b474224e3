"""The rate limiter under load: one key hammering `incidenthub serve --workers 2` for one whole UTC minute.

Starts `serve` with two worker processes on a fresh database (SQLite, and PostgreSQL when
INCIDENTHUB_TEST_POSTGRES_URL or INCIDENTHUB_BENCH_POSTGRES_URL is set) and a limit of `--limit` requests a minute
(default 1,000, Sety's Pro plan), waits for a minute to begin, and sends `GET /v1/incidents` with one key from
`--clients` connections until the minute ends. Prints and writes to bench/LIMITER.md: requests answered 200 and
429 in that minute (admitted must be at most the limit, and close to it), the answers' latencies, and how many
places in the key's count a process leases at a time.

    .venv/bin/python -m bench.limiter [--limit 1000] [--clients 8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.harness.procs import Backend, postgres_admin_url, prepare_tenant, running, serve_command, server_env
from bench.harness.system import machine_facts
from incidenthub.auth.leases import block_size

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Minute:
    codes: Counter[int] = field(default_factory=Counter)
    latencies: dict[int, list[float]] = field(default_factory=dict)
    other_windows: int = 0  # answers whose X-RateLimit-Reset named another minute (sent at its edge)


def _hammer(base_url: str, key: str, reset: str, until: float, minute: Minute, lock: threading.Lock) -> None:
    with httpx.Client(base_url=base_url, trust_env=False, timeout=30) as client:
        while time.time() < until:
            started = time.perf_counter()
            answer = client.get("/v1/incidents", params={"limit": 1}, headers={"Authorization": f"Bearer {key}"})
            took = time.perf_counter() - started
            with lock:
                if answer.headers.get("X-RateLimit-Reset", reset) != reset:
                    minute.other_windows += 1
                    continue
                minute.codes[answer.status_code] += 1
                minute.latencies.setdefault(answer.status_code, []).append(took)


def _run(backend: Backend, limit: int, clients: int, workdir: Path) -> dict[str, object]:
    with backend.fresh("limiter") as url:
        env = {**server_env(url), "INCIDENTHUB_RATE_LIMIT_PER_MINUTE": str(limit)}
        key = prepare_tenant(env)
        with running(serve_command(2), env, workdir / f"{backend.name}-serve.log", "/v1/health") as server:
            now = time.time()
            start = now - now % 60 + 60  # the next minute's first second
            time.sleep(start - time.time())
            reset = datetime.fromtimestamp(start + 60, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            minute, lock = Minute(), threading.Lock()
            threads = [
                threading.Thread(target=_hammer, args=(server.base_url, key, reset, start + 60, minute, lock))
                for _ in range(clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    answered = sum(minute.codes.values())
    p50 = {code: statistics.median(values) * 1000 for code, values in minute.latencies.items()}
    return {
        "backend": backend.version(),
        "answered": answered,
        "admitted": minute.codes.get(200, 0),
        "refused": minute.codes.get(429, 0),
        "other": {code: n for code, n in minute.codes.items() if code not in (200, 429)},
        "edge": minute.other_windows,
        "p50": p50,
        "block": block_size(limit),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "LIMITER.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        backends = [Backend("sqlite", workdir)]
        admin_url = postgres_admin_url()
        if admin_url:
            backends.append(Backend("postgresql", workdir, admin_url))
        results = []
        for backend in backends:
            print(
                f"limiter: {backend.name}, {args.limit}/min, {args.clients} clients, one whole minute ...", flush=True
            )
            result = _run(backend, args.limit, args.clients, workdir)
            print(f"  {result}", flush=True)
            results.append(result)
    lines = [
        "# The rate limiter under load (`python -m bench.limiter`)",
        "",
        f"Written by `python -m bench.limiter --limit {args.limit} --clients {args.clients}`: one key, "
        f"`incidenthub serve --workers 2`, `GET /v1/incidents?limit=1` from {args.clients} connections for one whole "
        "UTC minute (answers stamped with the next minute, sent at its edge, are left out).",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in machine_facts().items() if k != "Load generator"),
        "",
        "| database | answered in the minute | admitted (200) | refused (429) | other | p50 200 | p50 429 "
        "| places leased at a time |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        p50 = r["p50"]
        assert isinstance(p50, dict)
        lines.append(
            f"| {r['backend']} | {r['answered']:,} | **{r['admitted']:,}** | {r['refused']:,} | {r['other'] or 0} "
            f"| {p50.get(200, 0):.1f} ms | {p50.get(429, 0):.1f} ms | {r['block']} |"
        )
    lines += [
        "",
        f"The limit is {args.limit:,} a minute: admitted must be at most that. Each process takes places in the key's "
        "count a block at a time (`src/incidenthub/auth/leases.py`); a refusal once the count is known to be past "
        "the limit costs no database round trip.",
        "",
    ]
    args.report.write_text("\n".join(lines))
    print(f"limiter: wrote {args.report}")
    for r in results:
        if int(str(r["admitted"])) > args.limit:
            raise SystemExit(f"limiter: {r['backend']} admitted {r['admitted']} requests, over the limit")


if __name__ == "__main__":
    main()
