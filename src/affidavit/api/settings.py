"""Settings of ``affidavit serve``, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from affidavit.errors import ConfigError

__all__ = ["ApiSettings", "load_api_settings"]

MAX_BODY_ENV = "AFFIDAVIT_API_MAX_BODY"
RATE_ENV = "AFFIDAVIT_API_RATE"
BURST_ENV = "AFFIDAVIT_API_BURST"
MAX_WAIT_ENV = "AFFIDAVIT_API_MAX_WAIT"
WEBHOOK_SECRET_ENV = "AFFIDAVIT_WEBHOOK_SECRET"  # noqa: S105 - a variable name


@dataclass(frozen=True)
class ApiSettings:
    max_body_bytes: int = 8 * 1024 * 1024
    """Larger request bodies are refused with 413 before they are read in full."""
    rate_per_s: float = 100.0
    """Sustained requests per second per identity, all nodes together; 0 disables the limit."""
    burst: int = 200
    """Requests one identity may send per window of ``burst / rate`` seconds (ratelimit.py)."""
    max_wait_s: float = 60.0
    """Longest long-poll wait (``GET /v1/proposals/{id}?wait=``)."""
    webhook_secret: str | None = None
    """Shared secret for HMAC-signed alert webhooks; None: webhooks take bearer tokens only."""
    webhook_window_s: float = 300.0
    """A signed webhook's timestamp must be within this many seconds of the server's clock."""
    poll_interval_s: float = 0.2
    """How often long polls and event streams look for new ledger entries."""

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024:
            raise ConfigError(f"{MAX_BODY_ENV} must be at least 1024 bytes")
        if self.rate_per_s < 0 or self.burst < 1:
            raise ConfigError(f"{RATE_ENV} must be >= 0 and {BURST_ENV} >= 1")
        if self.max_wait_s <= 0:
            raise ConfigError(f"{MAX_WAIT_ENV} must be greater than 0")
        if self.webhook_secret is not None and len(self.webhook_secret) < 16:
            raise ConfigError(f"{WEBHOOK_SECRET_ENV} must be at least 16 characters")


def _number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number") from None


def load_api_settings(environ: dict[str, str] | None = None) -> ApiSettings:
    env = dict(os.environ if environ is None else environ)
    return ApiSettings(
        max_body_bytes=int(_number(env, MAX_BODY_ENV, 8 * 1024 * 1024)),
        rate_per_s=_number(env, RATE_ENV, 100.0),
        burst=int(_number(env, BURST_ENV, 200)),
        max_wait_s=_number(env, MAX_WAIT_ENV, 60.0),
        webhook_secret=env.get(WEBHOOK_SECRET_ENV) or None,
    )
