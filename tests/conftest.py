"""Fixtures: a migrated database per test (SQLite always, PostgreSQL when configured) and the real app."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from incidenthub.app import create_app
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.migrate import upgrade
from incidenthub.models import Base
from tests.devrev.helpers import DevRev
from tests.eido.helpers import Eido
from tests.factories import Api
from tests.govworx.helpers import GovWorx
from tests.sonoran.helpers import Sonoran
from tests.two_servers import two_servers

POSTGRES_URL = os.environ.get("INCIDENTHUB_TEST_POSTGRES_URL")

# The suite makes far more than 1,000 requests a minute with one key, and many failed authentications from one
# address, on purpose: the limits are raised for every app and server the tests start (through the environment,
# which `incidenthub serve` subprocesses inherit too). tests/test_rate_limits.py sets its own low limits.
os.environ.setdefault("INCIDENTHUB_RATE_LIMIT_PER_MINUTE", "1000000")
os.environ.setdefault("INCIDENTHUB_AUTH_FAILURES_PER_WINDOW", "1000000")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A private database on the configured server, migrated once and dropped at the end."""
    assert POSTGRES_URL is not None
    name = f"incidenthub_test_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database)
    database.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database."""
    if request.param == "sqlite":
        path = tmp_path / "incidenthub.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Tests that revoke or expire a key expect it at once: no key cache here (tests/test_auth.py and
    # tests/test_workers.py test the cache and its bound).
    return Settings(database_url=database_url, key_touch_interval_seconds=0, key_cache_seconds=0)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The real application, lifespan included, over in-process HTTP."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, database: Database) -> Api:
    """Tenants `acme` and `globex`, each with an all-scopes key, and helpers to call the API."""
    return Api(client, database)


@pytest.fixture
def client_for_env(client: TestClient) -> TestClient:
    """The app over the same database the CLI under test writes to."""
    return client


@pytest.fixture
def servers(database_url: str, database: Database, tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Two `incidenthub serve` processes on the test's database, and an all-scopes key of tenant acme."""
    yield from two_servers(database_url, database, tmp_path)


# Each door's helper over the real app: a tenant set up as that door's clients expect it, and calls in its format.
@pytest.fixture
def gw(client: TestClient, database: Database) -> GovWorx:
    return GovWorx(client, database)


@pytest.fixture
def sonoran(client: TestClient, database: Database) -> Sonoran:
    return Sonoran(client, database)


@pytest.fixture
def devrev(client: TestClient, database: Database) -> DevRev:
    return DevRev(client, database)


@pytest.fixture
def eido(client: TestClient, database: Database) -> Eido:
    return Eido(client, database)
