"""Load from wrk (Debian's package): keep-alive connections, a Lua script that makes every body unique."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness.scenarios import Scenario
from bench.harness.system import machine_cpu_seconds, tree_cpu_seconds

LUA = Path(__file__).with_name("wrk.lua")
CONNECTIONS = 32
THREADS = 2


@dataclass
class LoadResult:
    """One timed wrk run against one server."""

    scenario: str
    backend: str
    seconds: float
    answered: int  # responses wrk read
    non_2xx: int  # answered, but with a status >= 400 (wrk counts 4xx and 5xx)
    socket_errors: dict[str, int]  # connect / read / write / timeout
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float | None
    wrk_cpu_s: float
    machine_busy_s: float | None
    stored: int | None = None  # new rows found afterwards (creates), or rows changed (repeats)
    unchanged_ok: bool | None = None  # repeats: no row added, every record still at its first revision
    max_revision: int | None = None  # repeats: the highest revision among the repeated records

    @property
    def acknowledged(self) -> int:
        return self.answered - self.non_2xx

    @property
    def rate(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())

    @property
    def missing(self) -> int | None:
        """Acknowledged creates not found in the database (must be 0)."""
        if self.stored is None or self.unchanged_ok is not None:
            return None
        return max(self.acknowledged - self.stored, 0)

    def cores(self, cpu_s: float | None) -> float | None:
        return cpu_s / self.seconds if cpu_s is not None and self.seconds else None

    @property
    def other_cpu_s(self) -> float | None:
        """CPU used by neither the server nor wrk (PostgreSQL, anything else on the machine)."""
        if self.machine_busy_s is None or self.server_cpu_s is None:
            return None
        return max(self.machine_busy_s - self.server_cpu_s - self.wrk_cpu_s, 0.0)


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("bench: wrk is not installed (Debian/Ubuntu: `apt-get install wrk`)")
    return path


def run_wrk(
    scenario: Scenario,
    backend: str,
    base_url: str,
    key: str,
    server_pid: int,
    seconds: float,
    prefix: str,
    workdir: Path,
    connections: int = CONNECTIONS,
) -> LoadResult:
    """`wrk -t2 -c32 -d<seconds>` with the scenario's bodies; the CPU of wrk, the server and the machine."""
    template = workdir / f"{scenario.name}.json"
    template.write_text(scenario.body_text(key))
    mode = "cycle" if scenario.cycle else "unique"
    auth = "" if scenario.key_in_body else f"Bearer {key}"
    argv = [
        wrk_path(),
        f"-t{min(THREADS, connections)}",
        f"-c{connections}",
        f"-d{max(seconds, 1):.0f}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        base_url + scenario.path,
        "--",
        str(template),
        scenario.method,
        scenario.path,
        mode,
        prefix,
        str(scenario.cycle or 1),
        auth,
    ]
    server_before, machine_before = tree_cpu_seconds(server_pid), machine_cpu_seconds()
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    server_after, machine_after = tree_cpu_seconds(server_pid), machine_cpu_seconds()
    stdout = process.stdout.read() if process.stdout else ""
    stderr = process.stderr.read() if process.stderr else ""
    line = next((line for line in stdout.splitlines() if line.startswith("BENCH-RESULT ")), None)
    if process.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed ({process.returncode}):\n{stdout}\n{stderr}")
    figures = json.loads(line.removeprefix("BENCH-RESULT "))
    return LoadResult(
        scenario=scenario.name,
        backend=backend,
        seconds=figures["duration_us"] / 1e6 or elapsed,
        answered=figures["requests"],
        non_2xx=figures["status"],
        socket_errors={name: figures[name] for name in ("connect", "read", "write", "timeout") if figures[name]},
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        server_cpu_s=None if server_before is None or server_after is None else server_after - server_before,
        wrk_cpu_s=usage.ru_utime + usage.ru_stime,
        machine_busy_s=None
        if machine_before is None or machine_after is None
        else machine_after[0] - machine_before[0],
    )


def describe(load: LoadResult) -> str:
    def cores(value: float | None) -> str:
        return "?" if value is None else f"{value:.2f}"

    missing = "?" if load.missing is None else str(load.missing)
    if load.unchanged_ok is not None:
        missing = (
            f"n/a, unchanged {'yes' if load.unchanged_ok else 'NO'} (+{load.stored} rows, rev {load.max_revision})"
        )
    return (
        f"{load.backend:>10} {load.scenario:<15} {load.rate:8.0f}/s  p50 {load.p50_ms:6.1f} ms  "
        f"p99 {load.p99_ms:6.1f} ms  errors {load.errors}  missing {missing}  cores: server "
        f"{cores(load.cores(load.server_cpu_s))}, wrk {cores(load.cores(load.wrk_cpu_s))}, "
        f"other {cores(load.cores(load.other_cpu_s))}"
    )
