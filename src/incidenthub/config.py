"""Settings, read from the environment (prefix INCIDENTHUB_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = f"sqlite:///{Path('var') / 'incidenthub.db'}"
# The levels INCIDENTHUB_LOG_LEVEL takes (uvicorn's names; `trace` adds uvicorn's protocol trace to `debug`).
LOG_LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warning", "error", "critical")


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
    # Requests per minute one API key may make (fixed windows: each UTC minute), unless its tenant has a limit of
    # its own (`incidenthub tenant update --rate-limit N`); counted in the database, shared by every process.
    rate_limit_per_minute: int = Field(default=1000, ge=1)
    # Failed authentications (a wrong, revoked or expired key) one source address, or one key id, may make in a
    # window of this many seconds; past that, every attempt, even with the right secret, gets 429 until it ends.
    auth_failures_per_window: int = Field(default=20, ge=1)
    auth_failure_window_seconds: int = Field(default=300, ge=1)
    # Server processes `incidenthub serve` starts; 0 means one per usable core.
    workers: int = Field(default=0, ge=0)
    log_level: str = Field(default="info", description="one of " + ", ".join(LOG_LEVELS))
    # SIGTERM/SIGINT: requests in flight get this long to finish (then they are cut), and then writes still
    # queued get this long again to commit; `serve` exits within twice this plus a few seconds.
    shutdown_timeout_seconds: int = Field(default=10, ge=0)
    # Call-audio matching: how far a recording may lie outside an incident's call window, and how long
    # a call is taken to last when the CAD sent no hang-up time.
    recording_match_tolerance_seconds: float = 60.0
    recording_default_call_seconds: float = 120.0
    # Access control: unknown codes one API key may present at one site within a minute before it gets 429.
    access_unknown_codes_per_minute: int = Field(default=10, ge=1)
    # Webhooks: networks (comma-separated CIDRs) a receiver may be on although they are private, loopback or
    # link-local (refused otherwise, against server-side request forgery), e.g. "10.20.0.0/16,127.0.0.0/8".
    webhook_allowed_networks: str = ""
    # The delivery worker: how often it looks for new events and due retries, how long a POST may take.
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Retries: the first after `base` seconds, doubling (with jitter) up to `max` between attempts, for
    # `window` seconds after the first attempt; an endpoint failing for `disable_after` seconds is disabled.
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=86400.0, gt=0)
    webhook_disable_after_seconds: float = Field(default=86400.0, gt=0)
    # After a rotation the old secret keeps signing (a second signature) for this long.
    webhook_secret_overlap_seconds: float = Field(default=86400.0, ge=0)
    # Whether `incidenthub serve` runs the delivery worker (`incidenthub worker` runs it alone).
    webhook_worker: bool = True
    # GET /v1/events/stream: a comment line this often keeps proxies from closing an idle stream (and an open
    # stream re-checks its key this often); on SQLite each process looks for new events this often.
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    stream_poll_seconds: float = Field(default=0.25, gt=0)
    # Analytics: how often the months that writes changed are counted again (with the delivery worker; 0: never,
    # the answers then read those months from the rows).
    analytics_recount_seconds: float = Field(default=300.0, ge=0)

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_log_level(cls, value: object) -> str:
        """A level name in any case; anything else stops the start with a message naming the variable."""
        level = str(value).strip().lower()
        if level not in LOG_LEVELS:
            raise ValueError(f"INCIDENTHUB_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {str(value)!r}")
        return level


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
