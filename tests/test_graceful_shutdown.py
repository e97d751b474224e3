"""SIGTERM to `incidenthub serve` (issue 15, item 2): it stops accepting, answers the requests in flight,
commits the writes already queued, and exits within its stated bound, even with a client trickling its body.

Writes are held up by holding the database's write lock from the test (SQLite: the writers' lock file;
PostgreSQL: a table lock), as a long write of another process would.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from incidenthub.db import Database
from incidenthub.models import Incident
from tests.factories import bearer, make_key, make_tenant
from tests.serving import Served, serve, user_env

SEED = json.loads((Path(__file__).parent / "data" / "govworx_seed_example.json").read_text())
SLACK = 3.0  # the process's own exit: interpreter teardown, the supervisor noticing its workers are gone


@contextmanager
def writes_held(database: Database, seconds: float) -> Iterator[threading.Event]:
    """Hold every server write for `seconds` from now (in a thread), or until the event yielded is set."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        if database.dialect == "sqlite":
            with database.writer():
                held.set()
                release.wait(seconds)
        else:
            with database.write_engine.begin() as connection:
                connection.execute(text("LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE"))
                held.set()
                release.wait(seconds)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(10)
    try:
        yield release
    finally:
        thread.join()


class Trickler:
    """A client sending a 10 kB upload one byte every 0.2 s: it would take 30 minutes."""

    def __init__(self, base_url: str, key: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.sock.sendall(
            b"PUT /api/v1/external/incident HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {key}\r\nContent-Length: 10000\r\n\r\n".encode()
            + b'{"sysId": "TRICKLE", "notes": ['
        )
        self.ended = threading.Event()
        self.answer = b""
        threading.Thread(target=self._trickle, daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()

    def _trickle(self) -> None:
        try:
            while not self.ended.is_set():
                self.sock.sendall(b" ")
                time.sleep(0.2)
        except OSError:
            pass

    def _read(self) -> None:
        try:
            while chunk := self.sock.recv(65536):
                self.answer += chunk
        except OSError:
            pass
        self.ended.set()


def _write(http: httpx.Client, headers: dict[str, str], i: int) -> tuple[str, int]:
    """One write through a door: native create or GovWorx upload; (its source id, the status answered)."""
    if i % 2:
        body = {"category": "sos", "idempotency_key": f"graceful-{i}"}
        return f"graceful-{i}", http.post("/v1/incidents", json=body, headers=headers).status_code
    upload = SEED | {"sysId": f"GRACEFUL-{i}"}
    return f"GRACEFUL-{i}", http.put("/api/v1/external/incident", json=upload, headers=headers).status_code


def _stored(database: Database) -> set[str]:
    with database.read_sessions() as session:
        return {str(x) for x in session.scalars(select(Incident.external_id))}


def _in_flight(served: Served, headers: dict[str, str], count: int) -> tuple[ThreadPoolExecutor, list[Future]]:  # type: ignore[type-arg]
    http = httpx.Client(base_url=served.base_url, timeout=60)
    pool = ThreadPoolExecutor(count)
    futures = [pool.submit(_write, http, headers, i) for i in range(count)]
    time.sleep(1.0)  # sent, and queued behind the held lock
    return pool, futures


def _warm(served: Served, headers: dict[str, str]) -> None:
    """A first write through each door (a first request does its lazy imports and caches)."""
    with httpx.Client(base_url=served.base_url, timeout=60) as http:
        assert _write(http, headers, 1001)[1] == 201
        assert _write(http, headers, 1000)[1] in (200, 201)


def _outcomes(futures: list[Future]) -> tuple[set[str], list[str]]:  # type: ignore[type-arg]
    """The source ids answered with success, and what the others got (an exception: no answer)."""
    acknowledged, others = set(), []
    for future in futures:
        try:
            source_id, status = future.result(timeout=60)
        except httpx.HTTPError as error:
            others.append(type(error).__name__)
            continue
        if status in (200, 201):
            acknowledged.add(source_id)
        else:
            others.append(str(status))
    return acknowledged, others


def _sigterm_and_time(served: Served) -> float:
    started = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(timeout=60)
    return time.monotonic() - started


@contextmanager
def _serving(
    database_url: str, database: Database, tmp_path: Path, timeout: int, *args: str
) -> Iterator[tuple[Served, str]]:
    """`incidenthub serve ARGS` with INCIDENTHUB_SHUTDOWN_TIMEOUT_SECONDS=`timeout`, warmed up; and a key of acme."""
    make_tenant(database, "acme")
    key = make_key(database, "acme", ["*"])
    env = user_env(database_url) | {"INCIDENTHUB_SHUTDOWN_TIMEOUT_SECONDS": str(timeout)}
    with serve(env, tmp_path, *args) as served:
        _warm(served, bearer(key))
        yield served, key


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_answers_the_requests_in_flight_and_commits_their_writes_within_the_bound(
    database_url: str, database: Database, tmp_path: Path, workers: str
) -> None:
    timeout = 5
    with _serving(database_url, database, tmp_path, timeout, "--workers", workers) as (served, key):
        with writes_held(database, 3):
            pool, futures = _in_flight(served, bearer(key), 16)
            trickler = Trickler(served.base_url, key)
            elapsed = _sigterm_and_time(served)
        acknowledged, others = _outcomes(futures)
        pool.shutdown()
        # Stopped accepting: a new connection is refused.
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{served.base_url}/v1/health", timeout=5)
    # Every write in flight was answered (the lock went after 3 s, 2 s after SIGTERM, within the 5 s) and is stored.
    assert others == [], served.output
    assert len(acknowledged) == 16
    assert acknowledged <= _stored(database)
    # The trickling client held the server up to the bound, no longer, and was then cut (past the bound).
    assert timeout - 0.5 <= elapsed <= timeout + SLACK, served.output
    assert trickler.ended.wait(5)
    assert "TRICKLE" not in _stored(database)
    assert "timeout graceful shutdown exceeded" in served.output


def test_writes_queued_past_the_request_bound_are_still_committed(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    timeout = 2
    with _serving(database_url, database, tmp_path, timeout) as (served, key):
        with writes_held(database, 4):
            pool, futures = _in_flight(served, bearer(key), 8)
            elapsed = _sigterm_and_time(served)
        acknowledged, others = _outcomes(futures)
        pool.shutdown()
    # The callers were cut 2 s after SIGTERM (past the bound, so no answer), but their queued writes were
    # committed when the lock went 3 s after SIGTERM, within the second 2 s the lifespan gives the queue.
    assert acknowledged == set()
    assert len(others) == 8
    assert {f"graceful-{i}" for i in range(1, 8, 2)} | {f"GRACEFUL-{i}" for i in range(0, 8, 2)} <= _stored(database)
    assert timeout <= elapsed <= 2 * timeout + SLACK, served.output


def test_a_write_held_beyond_both_bounds_does_not_hold_the_process(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    timeout = 1
    with _serving(database_url, database, tmp_path, timeout) as (served, key):
        before = _stored(database)
        with writes_held(database, 60) as release:
            pool, futures = _in_flight(served, bearer(key), 4)
            elapsed = _sigterm_and_time(served)
            acknowledged, _ = _outcomes(futures)
            release.set()  # the process is gone, the write still held: no need to hold it longer
        pool.shutdown()
    assert elapsed <= 2 * timeout + SLACK, served.output
    assert "writes still running" in served.output
    # Nothing was acknowledged, and nothing half-written: the cut transaction was rolled back.
    assert acknowledged == set()
    assert _stored(database) == before
