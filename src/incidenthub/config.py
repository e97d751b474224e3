"""Settings, read from the environment (prefix INCIDENTHUB_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = f"sqlite:///{Path('var') / 'incidenthub.db'}"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="INCIDENTHUB_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    # Largest request body accepted, in bytes; larger ones get 413.
    max_body_bytes: int = 1024 * 1024
    # How many queued writes one transaction may carry (group commit).
    write_batch_max: int = 256
    # last_used_at of an API key is refreshed at most this often, in seconds.
    key_touch_interval_seconds: int = 60
    # A verified API key is trusted by each server process for at most this long without asking the
    # database again: a revoked key stops working on every process within this bound. 0 turns it off.
    key_cache_seconds: float = Field(default=5.0, ge=0)
    # Server processes `incidenthub serve` starts; 0 means one per usable core.
    workers: int = Field(default=0, ge=0)
    log_level: str = "info"
    # Call-audio matching: how far a recording may lie outside an incident's call window, and how long
    # a call is taken to last when the CAD sent no hang-up time.
    recording_match_tolerance_seconds: float = 60.0
    recording_default_call_seconds: float = 120.0
    # GET /v1/events/stream: a comment line this often keeps proxies from closing an idle stream (and an open
    # stream re-checks its key this often); on SQLite each process looks for new events this often.
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    stream_poll_seconds: float = Field(default=0.25, gt=0)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
