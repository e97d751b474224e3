"""SQL statements per write, counted in-process: the real app under TestClient, a listener on every Engine.

The server runs in another process, so its SQL cannot be seen from here; the same app in this process, on
a fresh migrated database, sends the same statements. The listener is on the `Engine` class, so it sees
every engine the app makes (read, write, whatever the write path grows), without knowing their names.
`COMMIT`/`ROLLBACK` are driver calls, not cursor executes: counted apart.
"""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event

from bench.harness.procs import SONORAN_COMMUNITY, TENANT
from bench.harness.scenarios import Scenario
from incidenthub.app import create_app
from incidenthub.auth import service as auth_service
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.migrate import upgrade

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

WARMUP = 20


@dataclass
class StatementResult:
    scenario: str
    backend: str
    clients: int
    requests: int
    kinds: Counter[str]
    commits: int
    rollbacks: int
    failed: Counter[str]

    @property
    def per_write(self) -> float:
        return sum(self.kinds.values()) / self.requests if self.requests else 0.0

    def breakdown(self) -> str:
        return ", ".join(f"{kind} {count / self.requests:.2f}" for kind, count in self.kinds.most_common())


class StatementCounter:
    """Cursor executes by first keyword, and driver-level commits and rollbacks, on every engine."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.commits = 0
        self.rollbacks = 0
        self._lock = threading.Lock()

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        kind = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
        with self._lock:
            self.kinds[kind] += 1

    def _on_commit(self, _conn: Any) -> None:
        with self._lock:
            self.commits += 1

    def _on_rollback(self, _conn: Any) -> None:
        with self._lock:
            self.rollbacks += 1

    def reset(self) -> None:
        with self._lock:
            self.kinds.clear()
            self.commits = self.rollbacks = 0

    @contextmanager
    def attached(self) -> Iterator[StatementCounter]:
        listeners: list[tuple[str, Callable[..., None]]] = [
            ("before_cursor_execute", self._on_execute),
            ("commit", self._on_commit),
            ("rollback", self._on_rollback),
        ]
        for name, listener in listeners:
            event.listen(Engine, name, listener)
        try:
            yield self
        finally:
            for name, listener in listeners:
                event.remove(Engine, name, listener)


@contextmanager
def app_client(url: str) -> Iterator[tuple[TestClient, str]]:
    """The real app in-process on a migrated database with the bench tenant: (client, key secret)."""
    with warnings.catch_warnings():  # Starlette's TestClient warns about its httpx version; it works
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    database = Database(url)
    try:
        upgrade(database)
        with database.transaction() as session:
            auth_service.create_tenant(session, TENANT, TENANT, "UTC", SONORAN_COMMUNITY)
            key = auth_service.create_key(session, TENANT, ["*"], name="bench").secret
    finally:
        database.dispose()
    with TestClient(create_app(Settings(database_url=url))) as client:
        yield client, key


def send(client: TestClient, scenario: Scenario, key: str, uids: list[str], threads: int) -> Counter[str]:
    """One request per id, from `threads` threads; the statuses other than the scenario's."""
    headers = {} if scenario.key_in_body else {"Authorization": f"Bearer {key}"}

    def one(item: tuple[int, str]) -> int:
        counter, uid = item
        body = scenario.body(key, uid, counter)
        status: int = client.request(scenario.method, scenario.path, json=body, headers=headers).status_code
        return status

    items = list(enumerate(uids))
    if threads == 1:
        statuses = [one(item) for item in items]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            statuses = list(pool.map(one, items))
    return Counter(str(status) for status in statuses if status != scenario.status)


def prime(client: TestClient, scenario: Scenario, key: str, prefix: str) -> None:
    """Store the records a `cycle` scenario repeats."""
    failed = send(client, scenario, key, [f"{prefix}{i}" for i in range(scenario.cycle)], 1)
    if failed:
        raise SystemExit(f"bench: priming {scenario.name} in-process answered {dict(failed)}")


def count_statements(
    url: str, backend: str, scenarios: list[Scenario], requests: int, clients: tuple[int, ...]
) -> list[StatementResult]:
    """SQL per write of each scenario, sequential and with concurrent clients, after a warm-up."""
    results: list[StatementResult] = []
    counter = StatementCounter()
    with app_client(url) as (client, key):
        for scenario in scenarios:
            if scenario.cycle:
                prime(client, scenario, key, "srep-")
            else:
                send(client, scenario, key, [f"swarm-{i}" for i in range(WARMUP)], 1)
            for n_clients in clients:
                if scenario.cycle:
                    uids = [f"srep-{i % scenario.cycle}" for i in range(requests)]
                else:
                    uids = [f"s{n_clients}-{i}" for i in range(requests)]
                with counter.attached():
                    counter.reset()
                    failed = send(client, scenario, key, uids, n_clients)
                    result = StatementResult(
                        scenario.name,
                        backend,
                        n_clients,
                        requests,
                        Counter(counter.kinds),
                        counter.commits,
                        counter.rollbacks,
                        failed,
                    )
                results.append(result)
                print(
                    f"  SQL {scenario.name:<15} {n_clients:>2} client(s): {result.per_write:.2f} statements/write "
                    f"({result.breakdown()}), COMMIT {result.commits / requests:.2f}"
                    + (f"  ! answered {dict(failed)}" if failed else ""),
                    flush=True,
                )
    return results
