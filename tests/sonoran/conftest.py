from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from incidenthub.db import Database
from tests.sonoran.helpers import Sonoran


@pytest.fixture
def sonoran(client: TestClient, database: Database) -> Sonoran:
    return Sonoran(client, database)
