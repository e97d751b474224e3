"""Processes as a user starts them: fresh databases, `incidenthub` CLI commands, `incidenthub serve`."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.harness.system import tree_cpu_seconds

HOST = "127.0.0.1"
POSTGRES_ENV = ("INCIDENTHUB_BENCH_POSTGRES_URL", "INCIDENTHUB_TEST_POSTGRES_URL")
SONORAN_COMMUNITY = "BENCH"
TENANT = "bench"


@dataclass(frozen=True)
class Backend:
    """Where fresh, empty databases come from: files in `workdir`, or databases on a PostgreSQL server."""

    name: str
    workdir: Path
    admin_url: str | None = None

    @contextmanager
    def fresh(self, label: str) -> Iterator[str]:
        """The URL of a new, empty database, removed afterwards."""
        if self.admin_url is None:
            path = self.workdir / f"{label}-{secrets.token_hex(3)}.db"
            yield f"sqlite:///{path}"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        name = f"incidenthub_bench_{label}_{secrets.token_hex(4)}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                yield make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()

    def version(self) -> str:
        if self.admin_url is None:
            return f"SQLite {sqlite3.sqlite_version}"
        engine = create_engine(self.admin_url)
        try:
            with engine.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar()
                fsync = connection.execute(text("SHOW fsync")).scalar()
                sync_commit = connection.execute(text("SHOW synchronous_commit")).scalar()
        finally:
            engine.dispose()
        return f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={sync_commit})"


def postgres_admin_url() -> str | None:
    """The configured PostgreSQL server (any database on it), with the psycopg 3 driver."""
    for name in POSTGRES_ENV:
        value = os.environ.get(name)
        if value:
            url = make_url(value)
            if url.drivername == "postgresql":
                url = url.set(drivername="postgresql+psycopg")
            return url.render_as_string(hide_password=False)
    return None


def cli_path() -> Path:
    """The `incidenthub` console script installed next to this interpreter."""
    path = Path(sys.executable).with_name("incidenthub")
    if not path.exists():
        raise SystemExit(f"bench: {path} not found; install the project first (`make .venv/.installed`)")
    return path


def server_env(url: str) -> dict[str, str]:
    # The load comes from one key at thousands of requests a second: a limit far above it keeps every request
    # counted (the limiter's cost is measured) without refusing any (unless the environment sets one).
    limits = {"INCIDENTHUB_RATE_LIMIT_PER_MINUTE": "1000000000", "INCIDENTHUB_AUTH_FAILURES_PER_WINDOW": "1000000000"}
    return {**limits, **os.environ, "INCIDENTHUB_DATABASE_URL": url, "INCIDENTHUB_LOG_LEVEL": "warning"}


def run_cli(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run one `incidenthub` command; its stdout, or SystemExit with its stderr."""
    done = subprocess.run([str(cli_path()), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"bench: `incidenthub {shlex.join(args)}` failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def prepare_tenant(env: dict[str, str]) -> str:
    """As an operator does: migrate, create tenant `bench` (with a Sonoran community id) and a key; its secret."""
    run_cli(env, "migrate")
    run_cli(env, "tenant", "create", "--name", TENANT, "--sonoran-community-id", SONORAN_COMMUNITY)
    issued: dict[str, Any] = json.loads(run_cli(env, "key", "create", "--tenant", TENANT, "--scope", "*"))
    return str(issued["key"])


@cache
def serve_supports_workers() -> bool:
    """Whether this version of `incidenthub serve` takes `--workers` (its --help lists it)."""
    done = subprocess.run(
        [str(cli_path()), "serve", "--help"], capture_output=True, text=True, timeout=60, env={**os.environ}
    )
    return "--workers" in done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def log_problems(path: Path) -> list[str]:
    """What went wrong in a server log: each distinct exception (the last line of a traceback), counted."""
    lines = tail(path, 1_000_000).splitlines()
    found: Counter[str] = Counter()
    in_traceback = False
    for line in lines:
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line.startswith((" ", "\t")):
            if not line.startswith(("The above exception", "During handling")):
                found[line[:300]] += 1
                in_traceback = False
        elif not in_traceback and any(marker in line for marker in (" ERROR ", " CRITICAL ")):
            found[line.split(" ", 2)[-1][:300]] += 1  # without the timestamp
    return [f"{count} x {text}" for text, count in found.most_common()]


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path, path: str, timeout: float) -> None:
    """Poll `path` until it answers 200; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, trust_env=False, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"bench: the server exited with {process.returncode}:\n{tail(log)}")
            try:
                if client.get(path).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise SystemExit(f"bench: the server did not answer {path} within {timeout:.0f}s:\n{tail(log)}")


def wait_idle(pid: int, timeout: float = 15.0) -> None:
    """Until the server's processes stop using CPU: requests a load generator abandoned have finished."""
    deadline = time.monotonic() + timeout
    before = tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        after = tree_cpu_seconds(pid)
        if before is None or after is None or after - before < 0.03:
            return
        before = after


@dataclass
class Server:
    base_url: str
    pid: int
    log: Path
    command: str


def stop(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGINT (what Ctrl-C sends: uvicorn and py-spy both finish cleanly on it), then SIGKILL if it hangs."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)  # the whole group, as a terminal does: uvicorn's workers too
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    try:  # workers left behind by a killed parent
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def running(
    command: Sequence[str], env: dict[str, str], log: Path, health: str, timeout: float = 90.0
) -> Iterator[Server]:
    """Any HTTP server command on a free port (`{port}` in the command); stopped on the way out."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base_url = f"http://{HOST}:{port}"
        wait_healthy(base_url, process, log, health, timeout)
        yield Server(base_url, process.pid, log, shlex.join(argv))
    finally:
        stop(process)


def serve_command(workers: int | None, prefix: Sequence[str] = ()) -> list[str]:
    """`incidenthub serve` as a user types it; `--workers` only where this version has it."""
    command = [*prefix, str(cli_path()), "serve", "--host", HOST, "--port", "{port}"]
    if workers is not None and serve_supports_workers():
        command += ["--workers", str(workers)]
    return command
