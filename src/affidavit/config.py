"""Settings read from the environment: the deployment only.

``AFFIDAVIT_HOME`` (default ``~/.affidavit``) holds the SQLite database
``affidavit.db`` and the key files (mode 0600). ``AFFIDAVIT_DATABASE_URL``
selects another database, for example ``postgresql+psycopg://host/db``.
Every CLI command and the API read these through :func:`load_settings`.

What is allowed (the action catalog, separation of duties, authorization and
token lifetimes, break-glass review, the spike threshold, retention) is never read
from the environment: it is the published governance configuration
(:mod:`affidavit.governance.configuration`), read from the ledger. Whoever can set
a caller's environment must not be able to change what that caller may do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from affidavit.errors import ConfigError

__all__ = ["Settings", "load_settings"]

HOME_ENV = "AFFIDAVIT_HOME"
DATABASE_URL_ENV = "AFFIDAVIT_DATABASE_URL"
CHECKPOINT_EVERY_ENV = "AFFIDAVIT_CHECKPOINT_EVERY"
CHECKPOINT_INTERVAL_ENV = "AFFIDAVIT_CHECKPOINT_INTERVAL"
TOKEN_ENV = "AFFIDAVIT_TOKEN"  # noqa: S105 - a variable name


@dataclass(frozen=True)
class Settings:
    """Where Affidavit keeps its state and how often it signs checkpoints."""

    home: Path
    database_url: str
    checkpoint_every: int = 1000
    """Sign a checkpoint after this many new entries (0 disables the count trigger)."""
    checkpoint_interval_s: float = 60.0
    """Sign a checkpoint when entries are older than this and unsigned (0 disables)."""

    def __post_init__(self) -> None:
        if self.checkpoint_every < 0:
            raise ConfigError(f"{CHECKPOINT_EVERY_ENV} must be >= 0, got {self.checkpoint_every}")
        if self.checkpoint_interval_s < 0:
            raise ConfigError(
                f"{CHECKPOINT_INTERVAL_ENV} must be >= 0, got {self.checkpoint_interval_s}"
            )

    @property
    def vault_key_path(self) -> Path:
        """The evidence vault's key-encryption key (wraps every payload's data key)."""
        return self.home / "vault.key"

    @property
    def log_key_path(self) -> Path:
        """The ledger's checkpoint signing key (signed-note signer key text)."""
        return self.home / "log.key"

    @property
    def log_state_path(self) -> Path:
        """The checkpoint signer's last signed checkpoint, kept outside the database."""
        return self.home / "log.state"

    @property
    def token_key_path(self) -> Path:
        """The secret that keys identity-token hashes (HMAC-SHA256)."""
        return self.home / "token.key"

    @property
    def witnesses_path(self) -> Path:
        """Witnesses that cosign the log's checkpoints (optional YAML)."""
        return self.home / "witnesses.yaml"

    def ensure_home(self) -> Path:
        """Create the home directory (mode 0700) if it is missing."""
        try:
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create {HOME_ENV} directory {self.home}: {exc}") from exc
        return self.home


def _number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (default: the process environment)."""
    env = dict(os.environ if environ is None else environ)
    home = Path(env.get(HOME_ENV) or Path.home() / ".affidavit").expanduser()
    url = env.get(DATABASE_URL_ENV) or f"sqlite:///{home / 'affidavit.db'}"
    every = _number(env, CHECKPOINT_EVERY_ENV, 1000)
    if every != int(every):
        raise ConfigError(f"{CHECKPOINT_EVERY_ENV} must be a whole number, got {every}")
    return Settings(
        home=home,
        database_url=url,
        checkpoint_every=int(every),
        checkpoint_interval_s=_number(env, CHECKPOINT_INTERVAL_ENV, 60.0),
    )
