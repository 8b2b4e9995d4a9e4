"""``$AFFIDAVIT_HOME/export.yaml``: where ledger events go, and how hard to try.

```yaml
batch_size: 500            # ledger entries per delivery
poll_interval_s: 5         # `export run` without --once: pause when caught up
retry:
  attempts: 5              # tries per batch before a sink is reported failing
  initial_backoff_s: 1     # doubles on each further try ...
  max_backoff_s: 300       # ... up to this
mask: [secret, credential] # data classes masked in exported text
sinks:
  siem:                    # a name of your choice: its cursor file is export/siem.json
    type: http             # OCSF events as JSON lines, one POST per batch
    url: https://siem.example/affidavit
    token_env: SIEM_TOKEN  # sent as "Authorization: Bearer <token>" (or secrets_file)
  syslog:
    type: syslog           # OCSF events in RFC 5424 messages
    transport: tcp         # tcp (RFC 6587 octet counting) or udp (RFC 5426)
    host: 127.0.0.1
    port: 6514
  traces:
    type: otlp             # OpenTelemetry spans, OTLP/HTTP protobuf
    endpoint: http://127.0.0.1:4318/v1/traces
```

Every sink also takes ``types`` (the ledger entry types it exports; the
default depends on its type) and ``timeout_s``. Credentials follow the rules
of :mod:`affidavit.connectors.credentials`: ``token_env`` or ``secrets_file``,
never inline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from affidavit.connectors._checks import check_url
from affidavit.connectors.credentials import (
    CredentialSource,
    credential_sources,
    resolve_credentials,
)
from affidavit.errors import ConfigError
from affidavit.protect import DataClass

__all__ = [
    "DECISION_TYPES",
    "EXPORT_FILE",
    "MAX_EXPORT_CONFIG_BYTES",
    "ExportConfig",
    "RetryPolicy",
    "SinkConfig",
    "load_export_config",
]

EXPORT_FILE = "export.yaml"
MAX_EXPORT_CONFIG_BYTES = 1 << 20

DECISION_TYPES: tuple[str, ...] = (
    "proposal.created",
    "approval.granted",
    "approval.denied",
    "breakglass.invoked",
    "breakglass.reviewed",
    "authorization.issued",
    "execution.started",
    "execution.finished",
)
"""Decisions, approvals and executions: what the http and syslog sinks export by default."""

_DEFAULT_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "http": DECISION_TYPES,
        "syslog": DECISION_TYPES,
        "otlp": (
            "step.recorded",
            "proposal.created",
            "approval.granted",
            "approval.denied",
            "breakglass.invoked",
            "execution.started",
            "execution.finished",
        ),
    }
)
_SINK_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_TYPE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:-]{0,253}")
_PRINTASCII = re.compile(r"[!-~]{1,48}")
_COMMON = frozenset({"type", "types", "timeout_s"})
_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "http": _COMMON | {"url", "token_env", "secrets_file", "proxy"},
        "syslog": _COMMON
        | {
            "transport",
            "host",
            "port",
            "facility",
            "app_name",
            "hostname",
            "sd_id",
            "max_message_bytes",
        },
        "otlp": _COMMON
        | {"endpoint", "token_env", "secrets_file", "service_name", "gen_ai_system", "models"},
    }
)
_TOP = frozenset({"batch_size", "poll_interval_s", "retry", "mask", "sinks"})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 300.0

    def backoff(self, failures: int) -> float:
        """The wait after ``failures`` failed tries in a row (1, 2, 4, ... up to the cap)."""
        if failures <= 0:
            return 0.0
        return float(min(self.max_backoff_s, self.initial_backoff_s * 2 ** (failures - 1)))


@dataclass(frozen=True)
class SinkConfig:
    """One destination; ``options`` holds the type-specific settings, checked."""

    name: str
    type: str
    types: frozenset[str]
    timeout_s: float
    options: Mapping[str, Any] = field(hash=False)
    credentials: Mapping[str, CredentialSource] = field(hash=False, default_factory=dict)

    def secrets(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        return resolve_credentials(self.credentials, self.name, f"export sink {self.name}", environ)


@dataclass(frozen=True)
class ExportConfig:
    sinks: tuple[SinkConfig, ...] = ()
    batch_size: int = 500
    poll_interval_s: float = 5.0
    retry: RetryPolicy = RetryPolicy()
    mask: frozenset[DataClass] = frozenset({DataClass.SECRET, DataClass.CREDENTIAL})

    def sink(self, name: str) -> SinkConfig:
        for sink in self.sinks:
            if sink.name == name:
                return sink
        known = ", ".join(s.name for s in self.sinks) or "none"
        raise ConfigError(f"export.yaml has no sink named {name!r}; its sinks are {known}.")

    @classmethod
    def parse(cls, data: object, source: str = "export settings") -> ExportConfig:
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source} must be a mapping with a sinks section.")
        unknown = sorted(str(k) for k in data if k not in _TOP)
        if unknown:
            raise ConfigError(
                f"{source}: unknown setting {', '.join(map(repr, unknown))}; "
                f"known settings are {', '.join(sorted(_TOP))}."
            )
        sinks_data = data.get("sinks") or {}
        if not isinstance(sinks_data, Mapping):
            raise ConfigError(f"{source}: sinks must map sink names to their settings.")
        sinks = tuple(_sink(name, section, source) for name, section in sinks_data.items())
        return cls(
            sinks=sinks,
            batch_size=_int(data, "batch_size", 500, 1, 100_000, source),
            poll_interval_s=_number(data, "poll_interval_s", 5.0, 0.01, 3600.0, source),
            retry=_retry(data.get("retry"), source),
            mask=_mask(data.get("mask", ["secret", "credential"]), source),
        )


def _number(
    section: Mapping[str, Any], key: str, default: float, low: float, high: float, where: str
) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{where}: {key} must be a number from {low:g} to {high:g}.")
    return float(value)


def _int(
    section: Mapping[str, Any], key: str, default: int, low: int, high: int, where: str
) -> int:
    value = section.get(key, default)
    if type(value) is not int or not low <= value <= high:
        raise ConfigError(f"{where}: {key} must be a whole number from {low} to {high}.")
    return value


def _retry(data: object, source: str) -> RetryPolicy:
    if data is None:
        return RetryPolicy()
    if not isinstance(data, Mapping) or set(data) - {
        "attempts",
        "initial_backoff_s",
        "max_backoff_s",
    }:
        raise ConfigError(f"{source}: retry takes attempts, initial_backoff_s and max_backoff_s.")
    where = f"{source} retry"
    return RetryPolicy(
        attempts=_int(data, "attempts", 5, 1, 100, where),
        initial_backoff_s=_number(data, "initial_backoff_s", 1.0, 0.0, 3600.0, where),
        max_backoff_s=_number(data, "max_backoff_s", 300.0, 0.0, 86400.0, where),
    )


def _mask(data: object, source: str) -> frozenset[DataClass]:
    known = {c.value: c for c in DataClass}
    if not isinstance(data, list) or not all(isinstance(v, str) and v in known for v in data):
        raise ConfigError(f"{source}: mask is a list of data classes from {', '.join(known)}.")
    return frozenset(known[v] for v in data)


def _sink(name: object, section: object, source: str) -> SinkConfig:
    if not isinstance(name, str) or _SINK_NAME.fullmatch(name) is None:
        raise ConfigError(
            f"{source}: a sink name is 1-32 lowercase letters, digits, '-' or '_', not {name!r}."
        )
    where = f"{source} sink {name}"
    if not isinstance(section, Mapping):
        raise ConfigError(f"{where} must be a mapping of settings.")
    kind = section.get("type")
    if not isinstance(kind, str) or kind not in _KEYS:
        raise ConfigError(f"{where}: type must be one of {', '.join(_KEYS)}.")
    unknown = sorted(str(k) for k in section if k not in _KEYS[kind])
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {', '.join(map(repr, unknown))}; "
            f"a {kind} sink takes {', '.join(sorted(_KEYS[kind]))}."
        )
    types = section.get("types", list(_DEFAULT_TYPES[kind]))
    if (
        not isinstance(types, list)
        or not types
        or not all(isinstance(t, str) and _TYPE.fullmatch(t) for t in types)
    ):
        raise ConfigError(f"{where}: types is a non-empty list of ledger entry types.")
    options: dict[str, Any] = {}
    credentials: dict[str, CredentialSource] = {}
    if kind == "http":
        options["url"] = check_url(section.get("url"), f"{where} url")
        if section.get("proxy") is not None:
            options["proxy"] = check_url(section["proxy"], f"{where} proxy")
        if "token_env" in section or "secrets_file" in section:
            credentials = credential_sources(section, ("token",), where)
    elif kind == "otlp":
        options["endpoint"] = check_url(section.get("endpoint"), f"{where} endpoint")
        options["service_name"] = _ascii(section, "service_name", "affidavit", where)
        options["gen_ai_system"] = _ascii(section, "gen_ai_system", "_OTHER", where)
        models = section.get("models", {})
        if not isinstance(models, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and _PRINTASCII.fullmatch(v)
            for k, v in models.items()
        ):
            raise ConfigError(f"{where}: models maps model names to gen_ai.system values.")
        options["models"] = MappingProxyType(dict(models))
        if "token_env" in section or "secrets_file" in section:
            credentials = credential_sources(section, ("token",), where)
    else:
        transport = section.get("transport", "tcp")
        if transport not in ("tcp", "udp"):
            raise ConfigError(f"{where}: transport must be tcp or udp.")
        options["transport"] = transport
        host = section.get("host")
        if not isinstance(host, str) or _HOST.fullmatch(host) is None:
            raise ConfigError(f"{where}: host must be a host name or an IP address.")
        options["host"] = host
        options["port"] = _int(section, "port", 514, 1, 65535, where)
        options["facility"] = _int(section, "facility", 13, 0, 23, where)
        options["app_name"] = _ascii(section, "app_name", "affidavit", where)
        options["hostname"] = section.get("hostname")
        if options["hostname"] is not None:
            options["hostname"] = _ascii(section, "hostname", "", where, limit=255)
        options["sd_id"] = _ascii(section, "sd_id", "affidavit@32473", where, limit=32)
        if re.search(r'[= \]"]', options["sd_id"]):
            raise ConfigError(f"{where}: sd_id may not contain '=', ' ', ']' or '\"'.")
        options["max_message_bytes"] = _int(section, "max_message_bytes", 8192, 480, 65000, where)
    return SinkConfig(
        name=name,
        type=kind,
        types=frozenset(types),
        timeout_s=_number(section, "timeout_s", 10.0, 0.01, 300.0, where),
        options=MappingProxyType(options),
        credentials=MappingProxyType(credentials),
    )


def _ascii(
    section: Mapping[str, Any], key: str, default: str, where: str, *, limit: int = 48
) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not re.fullmatch(rf"[!-~]{{1,{limit}}}", value):
        raise ConfigError(
            f"{where}: {key} must be 1-{limit} printable ASCII characters, no spaces."
        )
    return value


def load_export_config(path: Path) -> ExportConfig:
    """The export settings at ``path``; no file means no sinks."""
    path = Path(path)
    if not path.exists():
        return ExportConfig()
    try:
        size = path.stat().st_size
        if size > MAX_EXPORT_CONFIG_BYTES:
            raise ConfigError(f"{path} is {size} bytes; the limit is {MAX_EXPORT_CONFIG_BYTES}.")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path} is not valid YAML{where}.") from None
    return ExportConfig.parse(data, source=str(path))
