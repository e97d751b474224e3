"""`incidenthub serve --workers 2` as real server processes: one key cache per process with a stated bound
on revocation, and idempotency that holds when the same write reaches both processes at once.

Each connection is matched to the worker process that accepted it (through /proc), so the concurrent
requests of a test provably reach both workers.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import BACKENDS, POSTGRES_URL

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="maps connections to processes via /proc")

CACHE_SECONDS = 2.0
INCIDENTHUB = str(Path(sys.executable).parent / "incidenthub")
SEED = json.loads((Path(__file__).parent / "data" / "govworx_seed_example.json").read_text())


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running `incidenthub serve --workers 2`, its output, its worker processes and the first key."""

    process: subprocess.Popen[str]
    port: int
    env: dict[str, str]
    output: list[str] = field(default_factory=list)
    pump: threading.Thread | None = None

    def text(self) -> str:
        return "".join(self.output)

    def key(self) -> str:
        """An all-scopes key of tenant `default`, which the first start made (its output is not a terminal, so
        it made no key and said how to make one: as that hint says)."""
        assert "key create --tenant default" in self.text(), self.text()
        return str(self.cli("key", "create", "--tenant", "default", "--scope", "*", "--name", "admin")["key"])

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [
            int(pid)
            for pid in children
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        ]

    def cli(self, *args: str) -> dict[str, Any]:
        done = subprocess.run([INCIDENTHUB, *args], env=self.env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        return result


def _start(database_url: str) -> Server:
    port = _free_port()
    env = {
        **os.environ,
        "INCIDENTHUB_DATABASE_URL": database_url,
        "INCIDENTHUB_KEY_CACHE_SECONDS": str(CACHE_SECONDS),
        "INCIDENTHUB_LOG_LEVEL": "info",
    }
    command = [INCIDENTHUB, "serve", "--workers", "2", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = Server(process, port, env)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line)

    server.pump = threading.Thread(target=pump, daemon=True)
    server.pump.start()
    deadline = time.monotonic() + 90  # two interpreters importing the app on a busy 2-core machine
    while server.text().count("Application startup complete") < 2:
        assert process.poll() is None, f"server exited:\n{server.text()}"
        assert time.monotonic() < deadline, f"workers did not start:\n{server.text()}"
        time.sleep(0.1)
    assert len(server.workers()) == 2, server.text()
    return server


def _stop(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
    if server.pump is not None:
        server.pump.join(timeout=10)  # the rest of the output


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh database (migrated and bootstrapped by `serve` itself) behind two worker processes."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('workers') / 'incidenthub.db'}"
        drop = None
    else:
        assert POSTGRES_URL is not None
        name = f"incidenthub_workers_{secrets.token_hex(4)}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    started = _start(url)
    try:
        yield started
    finally:
        _stop(started)
        if drop is not None:
            drop()
    # Ctrl-C or SIGTERM to the parent stops every worker, each finishing its shutdown.
    assert started.text().count("Application shutdown complete") == 2, started.text()


class Connection:
    """One keep-alive connection, and the worker process that accepted it."""

    def __init__(self, server: Server) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        assert self.request("GET", "/v1/health")[0] == 200  # accepted by now
        self.worker = _owner(server, self.http.sock.getsockname()[1])

    def request(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        self.http.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = self.http.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def close(self) -> None:
        self.http.close()


def _owner(server: Server, client_port: int) -> int:
    """The worker holding the server side of the connection from `client_port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == server.port and int(remote.split(":")[1], 16) == client_port:
            inodes.add(f"socket:[{inode}]")
    for pid in server.workers():
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def _connections(server: Server, per_worker: int) -> list[Connection]:
    """`per_worker` connections accepted by each of the two workers."""
    by_worker: dict[int, list[Connection]] = {pid: [] for pid in server.workers()}
    spare: list[Connection] = []
    for _ in range(40 * per_worker):
        if all(len(held) >= per_worker for held in by_worker.values()):
            break
        connection = Connection(server)
        held = by_worker[connection.worker]
        (held if len(held) < per_worker else spare).append(connection)
    for connection in spare:
        connection.close()
    assert all(len(held) >= per_worker for held in by_worker.values()), "the kernel gave one worker everything"
    return [connection for held in by_worker.values() for connection in held]


def _concurrently(connections: list[Connection], send: Any) -> list[tuple[int, Any]]:
    """`send(connection)` on every connection at the same moment, each from its own thread."""
    barrier = threading.Barrier(len(connections))
    results: list[tuple[int, Any]] = [(0, None)] * len(connections)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = send(connections[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(connections))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_revoked_key_stops_working_on_every_worker_within_the_cache_bound(server: Server) -> None:
    made = server.cli("key", "create", "--tenant", "default", "--scope", "incidents:read", "--name", "revoke-me")
    key = made["key"]
    connections = _connections(server, per_worker=1)
    # Both workers verify the key and now serve it from their caches.
    for connection in connections:
        assert all(connection.request("GET", "/v1/incidents?limit=1", key=key)[0] == 200 for _ in range(10))

    # Each worker is polled without pause while the CLI (another process) revokes the key.
    stop = threading.Event()
    answers: dict[int, list[tuple[float, float, int]]] = {c.worker: [] for c in connections}

    def poll(connection: Connection) -> None:
        while not stop.is_set():
            started, wall = time.monotonic(), time.time()
            status = connection.request("GET", "/v1/incidents?limit=1", key=key)[0]
            answers[connection.worker].append((started, wall, status))
            time.sleep(0.01)

    pollers = [threading.Thread(target=poll, args=(c,)) for c in connections]
    for poller in pollers:
        poller.start()
    time.sleep(0.3)
    revoking = time.monotonic()
    revoked = server.cli("key", "revoke", made["id"])
    committed = time.monotonic()  # the revocation was committed before the CLI returned
    time.sleep(CACHE_SECONDS + 1.5)
    stop.set()
    for poller in pollers:
        poller.join(timeout=60)
    for connection in connections:
        connection.close()

    revoked_wall = datetime.fromisoformat(revoked["revoked_at"].replace("Z", "+00:00")).timestamp()
    accepted_after_revocation = False
    for worker, seen in answers.items():
        assert [s for started, _, s in seen if started < revoking] and all(
            status == 200 for started, _, status in seen if started < revoking
        ), f"worker {worker} did not accept the key before it was revoked"
        # The bound: a request started later than key_cache_seconds after the commit is refused.
        late = [status for started, _, status in seen if started > committed + CACHE_SECONDS]
        last_accepted = max((started for started, _, status in seen if status == 200), default=revoking)
        assert late and set(late) == {401}, (
            f"worker {worker} accepted the key {last_accepted - committed:.2f} s after its revocation committed"
        )
        # Once refused, refused for good.
        statuses = [status for _, _, status in seen]
        first_refusal = statuses.index(401)
        assert set(statuses[first_refusal:]) == {401}
        # Served from the cache: accepted after the revocation was in the database.
        accepted_after_revocation |= any(s == 200 and wall > revoked_wall + 0.1 for _, wall, s in seen)
    assert accepted_after_revocation, "no worker used its cached key after the revocation: is there a cache?"


def test_one_govworx_incident_from_twenty_concurrent_uploads_across_workers(server: Server) -> None:
    key = server.key()
    body = {**SEED, "sysId": f"WORKERS-{secrets.token_hex(4)}"}
    connections = _connections(server, per_worker=10)
    try:
        results = _concurrently(
            connections, lambda c: c.request("PUT", "/api/v1/external/incident", body=body, key=key)
        )
        assert all(200 <= status < 300 for status, _ in results), results
        assert len({answer["id"] for _, answer in results}) == 1
        assert sum(answer["created"] for _, answer in results) == 1
        assert {answer["revision"] for _, answer in results} == {1}
        status, page = connections[0].request(
            "GET", f"/v1/incidents?source=govworx&external_id={body['sysId']}", key=key
        )
        assert status == 200 and page["total"] == 1
    finally:
        for connection in connections:
            connection.close()


def test_one_native_incident_from_twenty_concurrent_creates_across_workers(server: Server) -> None:
    key = server.key()
    body = {"category": "sos", "severity": "critical", "idempotency_key": f"trip-{secrets.token_hex(4)}"}
    connections = _connections(server, per_worker=10)
    try:
        results = _concurrently(connections, lambda c: c.request("POST", "/v1/incidents", body=body, key=key))
        statuses = sorted(status for status, _ in results)
        assert statuses == [200] * 19 + [201], results
        assert len({answer["incident"]["incident_id"] for _, answer in results}) == 1
        assert sorted(answer["idempotent"] for _, answer in results) == [False] + [True] * 19
        status, page = connections[0].request(
            "GET", f"/v1/incidents?source=native&external_id={body['idempotency_key']}", key=key
        )
        assert status == 200 and page["total"] == 1
    finally:
        for connection in connections:
            connection.close()
