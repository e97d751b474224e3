"""Analytics fixtures: the GovWorx tenant `metro` (America/Chicago) and a Sonoran community, for data from a door."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from incidenthub.db import Database
from tests.govworx.conftest import GovWorx
from tests.sonoran.helpers import Sonoran


@pytest.fixture
def gw(client: TestClient, database: Database) -> GovWorx:
    return GovWorx(client, database)


@pytest.fixture
def sonoran(client: TestClient, database: Database) -> Sonoran:
    return Sonoran(client, database)
