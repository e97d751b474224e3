"""Webhook tests: the app with a fast worker (retries in tens of milliseconds) and receivers on 127.0.0.1 allowed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from incidenthub.app import create_app
from incidenthub.config import Settings
from tests.webhooks.receiver import Receiver, receiver

FAST = {
    "webhook_allowed_networks": "127.0.0.0/8",
    "webhook_poll_seconds": 0.05,
    "webhook_retry_base_seconds": 0.05,
    "webhook_retry_max_seconds": 0.2,
    "webhook_timeout_seconds": 2.0,
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, key_touch_interval_seconds=0, key_cache_seconds=0, **FAST)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def app_with(settings: Settings, **changes: Any) -> TestClient:
    """Another app (its own worker) over the same database, with these settings changed."""
    return TestClient(create_app(settings.model_copy(update=changes)))
