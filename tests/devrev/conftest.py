from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from incidenthub.db import Database
from tests.devrev.helpers import DevRev


@pytest.fixture
def devrev(client: TestClient, database: Database) -> DevRev:
    return DevRev(client, database)
