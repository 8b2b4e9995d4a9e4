"""Settings of a vendor connector: its own fields, where its credentials live, and retries.

Every vendor section of ``connectors.yaml`` also accepts the common keys::

    timeout_s: 10            # one HTTP request, at most 120
    max_attempts: 4          # tries per request on 429, 5xx, timeouts and refused connections
    retry_base_s: 0.5        # first backoff; doubles on each further try
    max_wait_s: 60           # the longest wait for one retry (Retry-After included)
    max_response_bytes: 1048576
    proxy: http://proxy.example:3128   # proxy variables in the environment are ignored
    secrets_file: /etc/affidavit/secrets.yaml

Base URLs are settings so that a regional endpoint, a government cloud or a
test server on 127.0.0.1 can be used; they are never shown in errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from affidavit.connectors._checks import check_url
from affidavit.connectors.credentials import (
    CredentialSource,
    credential_sources,
    resolve_credentials,
)
from affidavit.errors import ConfigError

__all__ = ["Field", "VendorSettings", "VendorSpec"]

_COMMON = frozenset(
    {
        "timeout_s",
        "max_attempts",
        "retry_base_s",
        "max_wait_s",
        "max_response_bytes",
        "proxy",
        "secrets_file",
    }
)
_MAX_TEXT = 256


@dataclass(frozen=True)
class Field:
    """One vendor-specific setting."""

    name: str
    kind: Literal["url", "text"] = "text"
    required: bool = False
    default: str | None = None
    pattern: re.Pattern[str] | None = None
    rule: str = ""


@dataclass(frozen=True)
class VendorSpec:
    """What a vendor connector's settings section holds."""

    connector: str
    title: str
    fields: tuple[Field, ...]
    credentials: tuple[str, ...]

    @property
    def keys(self) -> frozenset[str]:
        names = {f.name for f in self.fields} | {f"{c}_env" for c in self.credentials}
        return frozenset(names | _COMMON)


def _number(
    section: Mapping[str, Any], key: str, default: float, low: float, high: float, owner: str
) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{owner} {key} must be a number from {low:g} to {high:g}.")
    return float(value)


@dataclass(frozen=True)
class VendorSettings:
    """Checked settings of one vendor connector; credentials are located, not read."""

    spec: VendorSpec
    values: Mapping[str, str] = field(repr=False)
    credentials: Mapping[str, CredentialSource]
    timeout_s: float = 10.0
    max_attempts: int = 4
    retry_base_s: float = 0.5
    max_wait_s: float = 60.0
    max_response_bytes: int = 1 << 20
    proxy: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, spec: VendorSpec, section: object) -> VendorSettings:
        owner = f"{spec.connector} setting"
        if not isinstance(section, Mapping):
            raise ConfigError(f"the {spec.connector} settings must be a mapping of keys.")
        unknown = sorted(
            str(k) for k in section if k not in spec.keys and k not in spec.credentials
        )
        if unknown:
            raise ConfigError(
                f"unknown {spec.connector} setting {', '.join(map(repr, unknown))}; known settings "
                f"are {', '.join(sorted(spec.keys))}."
            )
        values: dict[str, str] = {}
        for f in spec.fields:
            raw = section.get(f.name, f.default)
            if raw is None:
                if f.required:
                    raise ConfigError(f"the {spec.connector} settings have no {f.name}.")
                continue
            if f.kind == "url":
                values[f.name] = check_url(raw, f"{spec.connector} {f.name}").rstrip("/")
                continue
            if not isinstance(raw, str) or not raw or len(raw) > _MAX_TEXT or not raw.isprintable():
                raise ConfigError(
                    f"{owner} {f.name} must be printable text of at most {_MAX_TEXT} characters."
                )
            if f.pattern is not None and f.pattern.fullmatch(raw) is None:
                raise ConfigError(f"{owner} {f.name} is not valid: {f.rule}.")
            values[f.name] = raw
        proxy = section.get("proxy")
        if proxy is not None:
            check_url(proxy, f"{spec.connector} proxy")
        attempts = section.get("max_attempts", 4)
        if type(attempts) is not int or not 1 <= attempts <= 10:
            raise ConfigError(f"{owner} max_attempts must be a whole number from 1 to 10.")
        size = section.get("max_response_bytes", 1 << 20)
        if type(size) is not int or not 1024 <= size <= 64 << 20:
            raise ConfigError(
                f"{owner} max_response_bytes must be a whole number from 1024 to 64 MiB."
            )
        return cls(
            spec=spec,
            values=MappingProxyType(values),
            credentials=MappingProxyType(credential_sources(section, spec.credentials, owner)),
            timeout_s=_number(section, "timeout_s", 10.0, 0.01, 120.0, owner),
            max_attempts=attempts,
            retry_base_s=_number(section, "retry_base_s", 0.5, 0.0, 60.0, owner),
            max_wait_s=_number(section, "max_wait_s", 60.0, 0.0, 3600.0, owner),
            max_response_bytes=size,
            proxy=proxy,
        )

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def require(self, name: str) -> str:
        value = self.values.get(name)
        assert value is not None, f"{name} is a required or defaulted field"
        return value

    def resolve(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Read the credentials now (environment or secrets file)."""
        return resolve_credentials(
            self.credentials, self.spec.connector, f"{self.spec.connector} setting", environ
        )
