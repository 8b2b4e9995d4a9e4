"""Settings of the analyst console, read from the environment (docs/configuration.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from affidavit.errors import ConfigError

__all__ = ["StampSettings", "WebSettings", "load_web_settings"]

SECURE_COOKIES_ENV = "AFFIDAVIT_CONSOLE_SECURE_COOKIES"
SECRET_ENV = "AFFIDAVIT_CONSOLE_SECRET"  # noqa: S105 - a variable name
SESSION_HOURS_ENV = "AFFIDAVIT_CONSOLE_SESSION_HOURS"
IDLE_MINUTES_ENV = "AFFIDAVIT_CONSOLE_IDLE_MINUTES"
EVIDENCE_TIER_ENV = "AFFIDAVIT_CONSOLE_EVIDENCE_TIER"
RATIONALE_TIER_ENV = "AFFIDAVIT_CONSOLE_RATIONALE_TIER"
STAMP_FAST_ENV = "AFFIDAVIT_CONSOLE_STAMP_FAST_SECONDS"
STAMP_MIN_ENV = "AFFIDAVIT_CONSOLE_STAMP_MIN_DECISIONS"
STAMP_RATE_ENV = "AFFIDAVIT_CONSOLE_STAMP_APPROVAL_RATE"
STAMP_WINDOW_ENV = "AFFIDAVIT_CONSOLE_STAMP_WINDOW_HOURS"
SECURE_MODES = ("auto", "true", "false")


@dataclass(frozen=True)
class StampSettings:
    """When an approver's recent decisions look like rubber-stamping."""

    fast_s: float = 30.0
    """A decision this soon after the person first opened the proposal counts as fast."""
    min_decisions: int = 8
    """Below this many decisions in the window there is no signal (too little to judge)."""
    approval_rate: float = 0.95
    """The share of approvals at or above which the volume looks unconditional."""
    window_s: float = 4 * 3600.0
    """How far back decisions count."""
    fast_share: float = 0.5
    """The share of fast decisions (or of approvals without evidence opened) that signals."""

    def __post_init__(self) -> None:
        if self.fast_s <= 0 or self.window_s <= 0:
            raise ConfigError(f"{STAMP_FAST_ENV} and {STAMP_WINDOW_ENV} must be greater than 0")
        if self.min_decisions < 1:
            raise ConfigError(f"{STAMP_MIN_ENV} must be at least 1")
        if not 0 < self.approval_rate <= 1 or not 0 < self.fast_share <= 1:
            raise ConfigError(f"{STAMP_RATE_ENV} must be in (0, 1]")


@dataclass(frozen=True)
class WebSettings:
    secure_cookies: str = "auto"
    """``true``: cookies carry Secure; ``false``: never (plain-http loopback tests);
    ``auto``: Secure when the request came over HTTPS (directly or per X-Forwarded-Proto)."""
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    """Signs session cookies; random per process unless set."""
    session_ttl_s: float = 8 * 3600.0
    """A session ends this long after login, whatever happens."""
    idle_s: float = 30 * 60.0
    """A session ends after this long without a request."""
    evidence_tier: int = 2
    """Approving an action of this tier or above needs an evidence item opened first."""
    rationale_tier: int = 2
    """Approving or denying an action of this tier or above needs a rationale."""
    stamp: StampSettings = field(default_factory=StampSettings)
    max_form_bytes: int = 64 * 1024
    max_sessions: int = 10_000

    def __post_init__(self) -> None:
        if self.secure_cookies not in SECURE_MODES:
            raise ConfigError(f"{SECURE_COOKIES_ENV} must be auto, true or false")
        if len(self.secret) < 16:
            raise ConfigError(f"{SECRET_ENV} must be at least 16 characters")
        if self.session_ttl_s <= 0 or self.idle_s <= 0:
            raise ConfigError(f"{SESSION_HOURS_ENV} and {IDLE_MINUTES_ENV} must be greater than 0")
        for name, tier in (
            (EVIDENCE_TIER_ENV, self.evidence_tier),
            (RATIONALE_TIER_ENV, self.rationale_tier),
        ):
            if not 0 <= tier <= 5:
                raise ConfigError(f"{name} must be a tier from 0 to 4 (5: never)")


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
    stamp = StampSettings(
        fast_s=_number(env, STAMP_FAST_ENV, 30.0),
        min_decisions=int(_number(env, STAMP_MIN_ENV, 8)),
        approval_rate=_number(env, STAMP_RATE_ENV, 0.95),
        window_s=_number(env, STAMP_WINDOW_ENV, 4.0) * 3600,
    )
    extra = {} if secret is None else {"secret": secret}
    return WebSettings(
        secure_cookies=env.get(SECURE_COOKIES_ENV, "auto").strip().lower() or "auto",
        session_ttl_s=_number(env, SESSION_HOURS_ENV, 8.0) * 3600,
        idle_s=_number(env, IDLE_MINUTES_ENV, 30.0) * 60,
        evidence_tier=int(_number(env, EVIDENCE_TIER_ENV, 2)),
        rationale_tier=int(_number(env, RATIONALE_TIER_ENV, 2)),
        stamp=stamp,
        **extra,  # type: ignore[arg-type]
    )
