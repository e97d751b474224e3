"""Crash safety, shown: `python -m bench.crash` (what `make crash` runs).

1. A fresh database (a SQLite file; then a fresh PostgreSQL database when INCIDENTHUB_TEST_POSTGRES_URL or
   INCIDENTHUB_BENCH_POSTGRES_URL is set), a tenant and a key made with the CLI, as an operator does.
2. `incidenthub serve --workers 2`, and client threads writing through every door: GovWorx PUT (new sysIds
   and changed uploads of earlier ones), native `POST /v1/incidents`, Sonoran v1 `new_dispatch`, DevRev
   `incidents.create`, native notes and status changes. Each write and its answer go into a ledger.
3. At a random moment the server's whole process group gets SIGKILL (no shutdown, no flush: a power cut
   of the processes). The database is checked as the kill left it (`PRAGMA integrity_check`, the head
   migration), the server is started again, and every write of the ledger is checked through the native
   API, with the events outbox (bench/harness/crashcheck.py says exactly what is checked).
4. Repeated `--kills` times. When the server has `/v1/webhooks`, a local receiver is subscribed from the
   start and, at the end, every committed event must have reached it at least once.

Any acknowledged write lost or altered, anything half-written, any gap in the events: listed, exit 1.
Writes bench/CRASH.md. Reproduce a run with its `--seed`.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import crashcheck
from bench.harness.crashload import Client, Ledger
from bench.harness.procs import (
    HOST,
    Backend,
    free_port,
    log_problems,
    postgres_admin_url,
    prepare_tenant,
    serve_command,
    server_env,
    stop,
    wait_healthy,
)
from bench.harness.receiver import Receiver, register
from bench.harness.system import BENCH_DIR, machine_facts

DOORS = ("govworx", "govworx_update", "native", "sonoran", "devrev", "note", "status")
DELIVERY_WAIT = 120.0  # s for the delivery worker to catch up at the end


@dataclass
class BackendResult:
    backend: str
    version: str
    seed: int
    kills: int = 0
    seconds: float = 0.0
    loaded: float = 0.0  # s of load, all rounds
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    last: crashcheck.Verified = field(default_factory=crashcheck.Verified)
    verifications: int = 0  # acknowledged writes checked, summed over every round
    problems: list[str] = field(default_factory=list)
    deliveries: str = "not checked: the server has no /v1/webhooks (404)"
    log_problems: list[str] = field(default_factory=list)


def say(line: str) -> None:
    print(line, flush=True)


def start_server(env: dict[str, str], port: int, log: Path, workers: int) -> subprocess.Popen[bytes]:
    """`incidenthub serve --workers N` in its own process group (so one SIGKILL reaches every worker)."""
    argv = [part.replace("{port}", str(port)) for part in serve_command(workers)]
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    wait_healthy(f"http://{HOST}:{port}", process, log, "/v1/health", 120)
    return process


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def load_until_killed(clients: list[Client], base_url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    """The clients write for `seconds`, then the server is killed under them; they stop after their last try."""
    done = threading.Event()
    threads = [threading.Thread(target=client.run, args=(base_url, done)) for client in clients]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    kill_hard(process)
    done.set()
    for thread in threads:
        thread.join()


def run_backend(backend: Backend, args: argparse.Namespace, say: Callable[[str], None]) -> BackendResult:
    result = BackendResult(backend.name, backend.version(), args.seed)
    chance = random.Random(args.seed)
    started = time.monotonic()
    with backend.fresh("crash") as url, Receiver() as receiver:
        env = {**server_env(url), "INCIDENTHUB_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
        key = prepare_tenant(env)
        port, log = free_port(), backend.workdir / f"crash-{backend.name}.log"
        base_url = f"http://{HOST}:{port}"
        ledger = Ledger()
        clients = [Client(n, key, ledger, chance.randrange(2**32)) for n in range(args.clients)]
        process = start_server(env, port, log, args.workers)
        subscribed = register(base_url, key, receiver.url)
        try:
            for kill in range(1, args.kills + 1):
                seconds = chance.uniform(args.min_seconds, args.max_seconds)
                load_until_killed(clients, base_url, process, seconds)
                result.kills, result.loaded = kill, result.loaded + seconds
                verified = crashcheck.Verified()
                crashcheck.check_database(url, verified)  # as the kill left it
                process = start_server(env, port, log, args.workers)
                incidents = crashcheck.read_incidents(base_url, key)
                events = crashcheck.read_events(url)
                verified.incidents = len(incidents)
                crashcheck.check_records(ledger, incidents, verified)
                crashcheck.check_whole(incidents, verified)
                crashcheck.check_events(incidents, events, verified)
                result.last, result.verifications = verified, result.verifications + sum(verified.writes.values())
                result.problems += [f"kill {kill}: {problem}" for problem in verified.problems]
                say(
                    f"  {backend.name} kill {kill}/{args.kills} after {seconds:.1f}s: {len(incidents)} incidents, "
                    f"{sum(verified.writes.values())} acknowledged writes verified, {len(events)} events, "
                    f"integrity {verified.integrity}, problems {len(verified.problems)}"
                )
            if subscribed is not None:
                result.deliveries = deliveries(receiver, url, subscribed, result)
        finally:
            stop(process)
        result.outcomes = ledger.counts()
        result.log_problems = log_problems(log)
    result.seconds = time.monotonic() - started
    return result


def deliveries(receiver: Receiver, url: str, subscribed: str, result: BackendResult) -> str:
    """Every committed event at the receiver at least once (waiting for the worker to catch up)."""
    event_ids = [event["event_id"] for event in crashcheck.read_events(url)]
    deadline = time.monotonic() + DELIVERY_WAIT
    while (missing := receiver.missing(event_ids)) and time.monotonic() < deadline:
        time.sleep(0.5)
    if missing:
        result.problems.append(f"{len(missing)} of {len(event_ids)} committed events never reached the receiver "
                               f"within {DELIVERY_WAIT:.0f}s, e.g. {missing[:5]}")  # fmt: skip
    return (f"{len(event_ids) - len(missing)} of {len(event_ids)} committed events received at least once "
            f"({receiver.posts} POSTs; {subscribed})")  # fmt: skip


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kills", type=int, default=int(env.get("CRASH_KILLS", 20)))
    parser.add_argument("--min-seconds", type=float, default=float(env.get("CRASH_MIN_SECONDS", 1.0)),
                        help="shortest load before a kill")  # fmt: skip
    parser.add_argument("--max-seconds", type=float, default=float(env.get("CRASH_MAX_SECONDS", 6.0)),
                        help="longest load before a kill")  # fmt: skip
    parser.add_argument("--clients", type=int, default=int(env.get("CRASH_CLIENTS", 6)), help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="`incidenthub serve --workers`")
    parser.add_argument("--seed", type=int, default=int(env.get("CRASH_SEED", random.randrange(10**6))))
    parser.add_argument("--backend", choices=("all", "sqlite", "postgresql"), default="all",
                        help="all: SQLite, and PostgreSQL when its URL is set")  # fmt: skip
    parser.add_argument("--report", type=Path, default=BENCH_DIR / "CRASH.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[BackendResult]:
    args = parse_args(argv)
    say(f"crash: {args.kills} kills per database, {args.min_seconds:g}-{args.max_seconds:g}s of load before each, "
        f"{args.clients} clients, seed {args.seed}")  # fmt: skip
    results = []
    with tempfile.TemporaryDirectory(prefix="incidenthub-crash-") as workdir:
        backends = [Backend("sqlite", Path(workdir))] if args.backend != "postgresql" else []
        admin_url = postgres_admin_url()
        if admin_url is not None and args.backend != "sqlite":
            backends.append(Backend("postgresql", Path(workdir), admin_url))
        elif args.backend != "sqlite":
            say("crash: PostgreSQL skipped: INCIDENTHUB_TEST_POSTGRES_URL / INCIDENTHUB_BENCH_POSTGRES_URL not set")
        for backend in backends:
            results.append(run_backend(backend, args, say))
            say(summary(results[-1]))
    args.report.write_text(report(results, args))
    say(f"crash: wrote {args.report}")
    return results


def summary(result: BackendResult) -> str:
    acknowledged = sum(c["ok"] for c in result.outcomes.values())
    lost = sum(1 for p in result.problems if "LOST" in p)
    return (f"crash {result.backend}: {result.kills} kills in {result.seconds:.0f}s, {acknowledged} acknowledged "
            f"writes, all verified after the last kill: {sum(result.last.writes.values())}; lost: {lost}; "
            f"problems: {len(result.problems)}")  # fmt: skip


def report(results: list[BackendResult], args: argparse.Namespace) -> str:
    lines = [
        "# Crash safety (`make crash`)",
        "",
        f"Written by `python -m bench.crash --kills {args.kills} --min-seconds {args.min_seconds:g} "
        f"--max-seconds {args.max_seconds:g} --clients {args.clients} --seed {args.seed}` "
        f"(`incidenthub serve --workers {args.workers}`). What is checked after each kill: the docstring of "
        "`bench/harness/crashcheck.py`; how the clients count an answer: `bench/harness/crashload.py`.",
        "",
        "What is killed is the server (its process group, workers included, with SIGKILL: no shutdown, no flush),",
        "not the database server. An answer counts as: acknowledged (2xx: it must be there, intact, after every",
        "later kill), no answer (the kill cut the request: it may or may not be there, but whole), not sent",
        "(connection refused while the server was down: it must not be there) or refused (4xx: must not be",
        "there). Clients resend a GovWorx PUT or native create that got no answer, as a CAD does (both are",
        "idempotent), so most unanswered writes of those doors end acknowledged later.",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in machine_facts().items() if k != "Load generator"),
        "",
    ]
    for result in results:
        last = result.last
        lines += [
            f"## {result.backend}: {result.version}",
            "",
            f"- kills (SIGKILL to the server's process group): **{result.kills}**, in {result.seconds:.0f} s "
            f"({result.loaded:.0f} s of load)",
            f"- acknowledged writes lost or altered: **{sum(1 for p in result.problems if 'LOST' in p)}**; "
            f"problems of any kind: **{len(result.problems)}**",
            f"- after the last kill: {last.incidents or '?'} incidents read back, "
            f"{sum(last.writes.values())} acknowledged writes verified field by field, {last.absent} records or notes "
            f"whose writes never got through verified absent, {last.events} events verified; "
            f"acknowledged writes checked over all rounds: {result.verifications}",
            f"- `PRAGMA integrity_check` after each kill: {last.integrity}; migration after each kill: "
            f"{last.migration} (the head)",
            f"- webhook deliveries: {result.deliveries}",
            "",
            "| door | acknowledged (2xx) | no answer (killed) | not sent (server down) | refused (4xx) |",
            "|---|---:|---:|---:|---:|",
        ]
        for door in DOORS:
            counts = result.outcomes.get(door, Counter())
            lines.append(f"| {door} | {counts['ok']} | {counts['unknown']} | {counts['not_sent']} | "
                         f"{counts['refused']} |")  # fmt: skip
        lines += ["", "Problems:" if result.problems else "Problems: none.", ""]
        lines += [f"- {problem}" for problem in result.problems[:50]]
        if result.log_problems:
            lines += ["", "Errors in the server's log (the kills cut requests; these are for reading):", ""]
            lines += [f"- {problem}" for problem in result.log_problems[:20]]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(1 if any(result.problems for result in main()) else 0)
