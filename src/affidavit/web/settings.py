"""Settings of the analyst console, read from the environment (docs/configuration.md).

The friction thresholds are not here: they are governance rules
(:class:`affidavit.governance.friction.FrictionRules`), the same on every path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from affidavit.errors import ConfigError

__all__ = ["WebSettings", "load_web_settings"]

SECURE_COOKIES_ENV = "AFFIDAVIT_CONSOLE_SECURE_COOKIES"
SECRET_ENV = "AFFIDAVIT_CONSOLE_SECRET"  # noqa: S105 - a variable name
SESSION_HOURS_ENV = "AFFIDAVIT_CONSOLE_SESSION_HOURS"
IDLE_MINUTES_ENV = "AFFIDAVIT_CONSOLE_IDLE_MINUTES"
SECURE_MODES = ("auto", "true", "false")


@dataclass(frozen=True)
class WebSettings:
    secure_cookies: str = "auto"
    """``true``: cookies carry Secure; ``false``: never (plain-http loopback tests);
    ``auto``: Secure when the request came over HTTPS (directly or per X-Forwarded-Proto)."""
    secret: str | None = field(default=None, repr=False)
    """Signs session cookies; unset, a key derived from the vault key in AFFIDAVIT_HOME
    (the same in every worker process sharing it)."""
    session_ttl_s: float = 8 * 3600.0
    """A session ends this long after login, whatever happens."""
    idle_s: float = 30 * 60.0
    """A session ends after this long without a request."""
    max_form_bytes: int = 64 * 1024
    max_sessions: int = 10_000

    def __post_init__(self) -> None:
        if self.secure_cookies not in SECURE_MODES:
            raise ConfigError(f"{SECURE_COOKIES_ENV} must be auto, true or false")
        if self.secret is not None and len(self.secret) < 16:
            raise ConfigError(f"{SECRET_ENV} must be at least 16 characters")
        if self.session_ttl_s <= 0 or self.idle_s <= 0:
            raise ConfigError(f"{SESSION_HOURS_ENV} and {IDLE_MINUTES_ENV} must be greater than 0")


def _number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number") from None


def load_web_settings(environ: dict[str, str] | None = None) -> WebSettings:
    env = dict(os.environ if environ is None else environ)
    secret = env.get(SECRET_ENV) or None
    extra = {} if secret is None else {"secret": secret}
    return WebSettings(
        secure_cookies=env.get(SECURE_COOKIES_ENV, "auto").strip().lower() or "auto",
        session_ttl_s=_number(env, SESSION_HOURS_ENV, 8.0) * 3600,
        idle_s=_number(env, IDLE_MINUTES_ENV, 30.0) * 60,
        **extra,  # type: ignore[arg-type]
    )
