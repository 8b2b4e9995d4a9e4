"""Settings of the webhook connector (the ``webhook`` section of ``connectors.yaml``).

```yaml
webhook:
  url: https://soar.example/affidavit/actions
  secret_env: AFFIDAVIT_WEBHOOK_SECRET   # or  secret: "<at least 16 characters>"
  timeout_s: 10                          # optional, default 10, at most 300
  max_response_bytes: 65536              # optional, how much of a reply is read
  proxy: http://proxy.corp.example:3128  # optional; proxy variables in the environment are ignored
```

The secret is never shown: not in errors, results or ``repr``. Neither is the
URL, because many receivers put an access token in it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from affidavit.connectors._checks import check_url
from affidavit.errors import ConfigError

__all__ = ["DEFAULT_TIMEOUT_S", "WebhookSettings"]

DEFAULT_TIMEOUT_S = 10.0
_MAX_TIMEOUT_S = 300.0
DEFAULT_MAX_RESPONSE_BYTES = 64 << 10
_MAX_RESPONSE_BYTES = 16 << 20
MIN_SECRET_LENGTH = 16
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_KEYS = frozenset({"url", "secret", "secret_env", "timeout_s", "max_response_bytes", "proxy"})


def _url(value: object, what: str) -> str:
    return check_url(value, f"webhook {what}")


def _number(value: object, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"webhook {what} must be a number, not {type(value).__name__}.")
    if not low < value <= high:
        raise ConfigError(
            f"webhook {what} must be above {low:g} and at most {high:g}, not {value}."
        )
    return float(value)


def _check_secret(secret: str, where: str) -> str:
    if len(secret.encode()) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"the webhook secret from {where} is shorter than {MIN_SECRET_LENGTH} bytes; "
            "use a long random value."
        )
    return secret


@dataclass(frozen=True)
class WebhookSettings:
    """Checked webhook settings. ``secret`` or ``secret_env`` is set, never both."""

    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    secret_env: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    proxy: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _url(self.url, "url")
        if (self.secret is None) == (self.secret_env is None):
            raise ConfigError(
                "the webhook connector needs exactly one of secret or secret_env "
                "(the name of an environment variable holding the secret)."
            )
        if self.secret is not None:
            if not isinstance(self.secret, str):
                raise ConfigError("webhook secret must be a string.")
            _check_secret(self.secret, "webhook.secret")
        if self.secret_env is not None and (
            not isinstance(self.secret_env, str) or _ENV_NAME.fullmatch(self.secret_env) is None
        ):
            raise ConfigError("webhook secret_env must be the name of an environment variable.")
        object.__setattr__(
            self, "timeout_s", _number(self.timeout_s, "timeout_s", 0.0, _MAX_TIMEOUT_S)
        )
        size = self.max_response_bytes
        if type(size) is not int or not 0 <= size <= _MAX_RESPONSE_BYTES:
            raise ConfigError(
                f"webhook max_response_bytes must be an integer from 0 to {_MAX_RESPONSE_BYTES}."
            )
        if self.proxy is not None:
            _url(self.proxy, "proxy")

    @classmethod
    def parse(cls, section: object) -> WebhookSettings:
        """Check the ``webhook`` section of the connector settings."""
        if not isinstance(section, Mapping):
            raise ConfigError(
                f"the webhook settings must be a mapping of keys, not {type(section).__name__}."
            )
        unknown = sorted(str(key) for key in section if key not in _KEYS)
        if unknown:
            raise ConfigError(
                f"unknown webhook setting {', '.join(map(repr, unknown))}; "
                f"known settings are {', '.join(sorted(_KEYS))}."
            )
        if "url" not in section:
            raise ConfigError("the webhook settings have no url.")
        values: dict[str, Any] = {str(key): value for key, value in section.items()}
        return cls(**values)

    def resolve_secret(self, environ: Mapping[str, str] | None = None) -> bytes:
        """The secret bytes, from the settings or from the named environment variable."""
        if self.secret is not None:
            return self.secret.encode()
        assert self.secret_env is not None
        env = os.environ if environ is None else environ
        value = env.get(self.secret_env)
        if not value:
            raise ConfigError(
                f"environment variable {self.secret_env}, named by webhook.secret_env, is not set."
            )
        return _check_secret(value, f"${self.secret_env}").encode()
