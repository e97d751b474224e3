"""Two `incidenthub serve` processes on one database, and a way to call them from many threads at once.

Shared by tests/test_two_processes.py, tests/test_concurrency.py (the fixture `servers` is in conftest.py) and
tests/test_rate_limits.py.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from incidenthub.db import Database
from tests.devrev.live import free_port
from tests.factories import bearer, make_key, make_tenant

# One TLS context for every client: a client makes its own otherwise (~40 ms of CPU, under the GIL), 50 at a time.
_TLS = ssl.create_default_context()


def _start(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "INCIDENTHUB_DATABASE_URL": database_url, "INCIDENTHUB_LOG_LEVEL": "warning"}
    command = [sys.executable, "-c", "from incidenthub.cli import main; main()", "serve", "--port", str(port)]
    command += ["--workers", "1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def wait_up(started: list[tuple[subprocess.Popen[bytes], str]], logs: list[Path], timeout: float = 30) -> None:
    """Until every server answers /v1/health with 200; RuntimeError with its log if one exits or takes too long."""
    for (process, url), log in zip(started, logs, strict=True):
        deadline = time.monotonic() + timeout
        # One client for the polling: `httpx.get` makes a client each time, whose TLS context alone costs ~40 ms of
        # CPU, taken from the servers starting.
        with httpx.Client(base_url=url, timeout=1) as http:
            while True:
                try:
                    if http.get("/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {log.read_text()}")
                time.sleep(0.1)


@contextmanager
def running_servers(database_url: str, tmp_path: Path, count: int = 2) -> Iterator[list[str]]:
    """`count` `incidenthub serve` processes on one database (with this process's environment), ready; their
    base URLs. Stopped on the way out."""
    logs = [tmp_path / f"server{i}.log" for i in range(count)]
    started = [_start(database_url, log) for log in logs]
    try:
        wait_up(started, logs)
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            process.wait(timeout=30)


def two_servers(database_url: str, database: Database, tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Two `incidenthub serve` processes on the test's database, and an all-scopes key of tenant acme."""
    make_tenant(database, "acme")
    key = make_key(database, "acme", ["*"])
    with running_servers(database_url, tmp_path) as urls:
        yield urls, bearer(key)


def concurrently(urls: list[str], count: int, call: Callable[[httpx.Client, int], httpx.Response]) -> list[int]:
    """`count` calls spread over both servers at once, each on a connection of its own; their status codes."""
    return [response.status_code for response in concurrent_responses(urls, count, call)]


def concurrent_responses(
    urls: list[str], count: int, call: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """`count` calls spread over both servers at once (each thread waits for all to be ready, then sends)."""

    def one(index: int) -> httpx.Response:
        with httpx.Client(base_url=urls[index % len(urls)], timeout=60, verify=_TLS) as client:
            response = call(client, index)
            response.read()
            return response

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))
