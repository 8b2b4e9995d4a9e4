"""One sink of export.yaml: its type, the entry types it exports, its checked options."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from affidavit.connectors import check_url
from affidavit.connectors.credentials import (
    CredentialSource,
    credential_sources,
    resolve_credentials,
)
from affidavit.errors import ConfigError
from affidavit.export._values import ascii_text, number, whole_number
from affidavit.governance import events as ev

__all__ = ["DECISION_TYPES", "SinkConfig", "parse_sink"]

DECISION_TYPES: tuple[str, ...] = (
    ev.ProposalCreated.type,
    ev.ApprovalGranted.type,
    ev.ApprovalDenied.type,
    ev.BreakglassInvoked.type,
    ev.BreakglassReviewed.type,
    ev.AuthorizationIssued.type,
    ev.ExecutionStarted.type,
    ev.ExecutionFinished.type,
)
"""Decisions, approvals and executions: what the http and syslog sinks export by default."""

_DEFAULT_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "http": DECISION_TYPES,
        "syslog": DECISION_TYPES,
        "otlp": (
            ev.StepRecorded.type,
            ev.ProposalCreated.type,
            ev.ApprovalGranted.type,
            ev.ApprovalDenied.type,
            ev.BreakglassInvoked.type,
            ev.ExecutionStarted.type,
            ev.ExecutionFinished.type,
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
            "ca_file",
            "client_cert",
            "client_key",
            "server_name",
        },
        "otlp": _COMMON
        | {"endpoint", "token_env", "secrets_file", "service_name", "gen_ai_system", "models"},
    }
)


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


_TLS_KEYS = ("ca_file", "client_cert", "client_key", "server_name")


def _tls_options(section: Mapping[str, Any], transport: str, where: str) -> dict[str, Any]:
    """Syslog over TLS (RFC 5425): the receiver's certificate is always verified, against
    ``ca_file`` or the system's CAs, for ``server_name`` (default: the host); a client
    certificate (``client_cert``, with ``client_key`` unless the file holds both) is
    optional, for receivers that authenticate their senders."""
    given = [k for k in _TLS_KEYS if section.get(k) is not None]
    if transport != "tls":
        if given:
            raise ConfigError(f"{where}: {', '.join(given)} apply to transport tls only.")
        return {}
    options: dict[str, Any] = {}
    for key in ("ca_file", "client_cert", "client_key"):
        value = section.get(key)
        if value is None:
            options[key] = None
            continue
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key} is the path of a PEM file.")
        path = Path(value).expanduser()
        if not path.is_file():
            raise ConfigError(f"{where}: {key} {value} is not a readable file.")
        options[key] = str(path)
    if options["client_key"] is not None and options["client_cert"] is None:
        raise ConfigError(f"{where}: client_key needs client_cert.")
    server_name = section.get("server_name")
    if server_name is not None and (
        not isinstance(server_name, str) or _HOST.fullmatch(server_name) is None
    ):
        raise ConfigError(f"{where}: server_name must be a host name.")
    options["server_name"] = server_name
    return options


def parse_sink(name: object, section: object, source: str) -> SinkConfig:
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
        options["service_name"] = ascii_text(section, "service_name", "affidavit", where)
        options["gen_ai_system"] = ascii_text(section, "gen_ai_system", "_OTHER", where)
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
        if transport not in ("tcp", "tls", "udp"):
            raise ConfigError(f"{where}: transport must be tcp, tls or udp.")
        options["transport"] = transport
        host = section.get("host")
        if not isinstance(host, str) or _HOST.fullmatch(host) is None:
            raise ConfigError(f"{where}: host must be a host name or an IP address.")
        options["host"] = host
        default_port = 6514 if transport == "tls" else 514  # RFC 5425 §4.1
        options["port"] = whole_number(section, "port", default_port, 1, 65535, where)
        options.update(_tls_options(section, transport, where))
        options["facility"] = whole_number(section, "facility", 13, 0, 23, where)
        options["app_name"] = ascii_text(section, "app_name", "affidavit", where)
        options["hostname"] = section.get("hostname")
        if options["hostname"] is not None:
            options["hostname"] = ascii_text(section, "hostname", "", where, limit=255)
        options["sd_id"] = ascii_text(section, "sd_id", "affidavit@32473", where, limit=32)
        if re.search(r'[= \]"]', options["sd_id"]):
            raise ConfigError(f"{where}: sd_id may not contain '=', ' ', ']' or '\"'.")
        options["max_message_bytes"] = whole_number(
            section, "max_message_bytes", 8192, 480, 65000, where
        )
    return SinkConfig(
        name=name,
        type=kind,
        types=frozenset(types),
        timeout_s=number(section, "timeout_s", 10.0, 0.01, 300.0, where),
        options=MappingProxyType(options),
        credentials=MappingProxyType(credentials),
    )
