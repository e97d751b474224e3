"""Threat intelligence fixtures: the GovWorx tenant `metro` (America/Chicago) and its CAD, for data from a door."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from incidenthub.db import Database
from tests.govworx.conftest import GovWorx


@pytest.fixture
def gw(client: TestClient, database: Database) -> GovWorx:
    return GovWorx(client, database)
