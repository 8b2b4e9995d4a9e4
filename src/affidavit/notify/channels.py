"""The channels a notification can go to, as configured in ``notify.yaml``.

``email`` (SMTP through smtplib; STARTTLS, implicit TLS or plain), ``slack``
and ``teams`` (incoming webhooks; the URL is the secret), and ``webhook`` (any
receiver, the body signed with HMAC-SHA256 like the webhook connector). URLs,
passwords and secrets may be given literally or, better, through ``*_env``
keys naming environment variables; none of them is ever shown in ``repr``,
errors or ``affidavit notify status``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from affidavit.connectors.webhook_settings import MIN_SECRET_LENGTH
from affidavit.notify import _checks as check

__all__ = ["CHANNEL_TYPES", "Channel", "EmailChannel", "HttpChannel", "parse_channel"]

CHANNEL_TYPES = ("email", "slack", "teams", "webhook")
HttpKind = Literal["slack", "teams", "webhook"]
Security = Literal["starttls", "tls", "none"]
_SECURITY: tuple[Security, ...] = ("starttls", "tls", "none")
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_ADDRESS = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MAX_RECIPIENTS = 100
_EMAIL_KEYS = frozenset(
    {"type", "host", "port", "security", "username", "password", "password_env", "from", "to"}
    | {"ca_file", "timeout_s"}
)
_HTTP_KEYS = frozenset({"type", "url", "url_env", "timeout_s"})
_WEBHOOK_KEYS = _HTTP_KEYS | {"secret", "secret_env"}


def check_channel_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise check.fail(where, "a channel name is 1-64 letters, digits and . _ -")
    return name


@dataclass(frozen=True)
class EmailChannel:
    """An SMTP server and the addresses a notification goes to."""

    name: str
    host: str
    sender: str
    recipients: tuple[str, ...]
    security: Security = "starttls"
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    timeout_s: float = 10.0
    type: Literal["email"] = "email"

    def __post_init__(self) -> None:
        where = f"channels.{check_channel_name(self.name, 'channels')}"
        check.text(self.host, f"{where}.host", max_len=253)
        if self.security not in _SECURITY:
            raise check.fail(f"{where}.security", "must be starttls, tls or none")
        check.integer(self.port, f"{where}.port", 1, 65535)
        for i, address in enumerate((self.sender, *self.recipients)):
            spot = f"{where}.from" if i == 0 else f"{where}.to[{i - 1}]"
            if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
                raise check.fail(spot, "must be one e-mail address such as soc@example.org")
        if not 1 <= len(self.recipients) <= _MAX_RECIPIENTS:
            raise check.fail(f"{where}.to", f"needs 1 to {_MAX_RECIPIENTS} addresses")
        if (self.username is None) != (self.password is None):
            raise check.fail(where, "username and password (or password_env) go together")
        if self.username is not None:
            check.text(self.username, f"{where}.username")
        if self.password is not None and self.security == "none":
            raise check.fail(where, "a password is never sent without TLS; use starttls or tls")
        if self.ca_file is not None and not self.ca_file.is_file():
            raise check.fail(f"{where}.ca_file", "is not a readable file")
        check.seconds(self.timeout_s, f"{where}.timeout_s", low=0.1, high=300)


@dataclass(frozen=True)
class HttpChannel:
    """A Slack or Teams incoming webhook, or a generic receiver signed with ``secret``."""

    name: str
    type: HttpKind
    url: str = field(repr=False)
    secret: bytes | None = field(default=None, repr=False)
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        where = f"channels.{check_channel_name(self.name, 'channels')}"
        if self.type not in ("slack", "teams", "webhook"):
            raise check.fail(f"{where}.type", f"must be one of {', '.join(CHANNEL_TYPES)}")
        check.http_url(self.url, f"{where}.url")
        if (self.secret is not None) != (self.type == "webhook"):
            raise check.fail(where, "a webhook channel needs a secret; other channels take none")
        if self.secret is not None and len(self.secret) < MIN_SECRET_LENGTH:
            raise check.fail(
                f"{where}.secret",
                f"is shorter than {MIN_SECRET_LENGTH} bytes; use a long random value",
            )
        check.seconds(self.timeout_s, f"{where}.timeout_s", low=0.1, high=300)


Channel = EmailChannel | HttpChannel


def parse_channel(
    name: object, section: object, environ: Mapping[str, str] | None
) -> EmailChannel | HttpChannel:
    """One entry of ``channels:``, with secrets resolved from ``environ``."""
    where = f"channels.{check_channel_name(name, 'channels')}"
    assert isinstance(name, str)
    if not isinstance(section, Mapping):
        raise check.fail(where, "must be a mapping with a type")
    kind = section.get("type")
    if kind not in CHANNEL_TYPES:
        raise check.fail(f"{where}.type", f"must be one of {', '.join(CHANNEL_TYPES)}")
    if kind == "email":
        return _email(name, check.mapping(section, where, _EMAIL_KEYS), where, environ)
    keys = _WEBHOOK_KEYS if kind == "webhook" else _HTTP_KEYS
    section = check.mapping(section, where, keys)
    url = check.from_env(section, "url", where, environ, required=True)
    secret = check.from_env(section, "secret", where, environ, required=kind == "webhook")
    return HttpChannel(
        name=name,
        type=kind,
        url=check.http_url(url, f"{where}.url"),
        secret=None if secret is None else secret.encode(),
        timeout_s=_timeout(section, where),
    )


def _email(
    name: str, section: Mapping[str, Any], where: str, environ: Mapping[str, str] | None
) -> EmailChannel:
    security = section.get("security", "starttls")
    if security not in _SECURITY:
        raise check.fail(f"{where}.security", "must be starttls, tls or none")
    recipients = section.get("to")
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, list):
        raise check.fail(f"{where}.to", "must be an address or a list of addresses")
    for key in ("host", "from"):
        if key not in section:
            raise check.fail(where, f"an email channel needs {key}")
    ca_file = section.get("ca_file")
    return EmailChannel(
        name=name,
        host=check.text(section["host"], f"{where}.host", max_len=253),
        sender=section["from"],
        recipients=tuple(recipients),
        security=security,
        port=section.get("port", _DEFAULT_PORTS[security]),
        username=section.get("username"),
        password=check.from_env(section, "password", where, environ, required=False),
        ca_file=None
        if ca_file is None
        else Path(check.text(ca_file, f"{where}.ca_file", max_len=4096)),
        timeout_s=_timeout(section, where),
    )


def _timeout(section: Mapping[str, Any], where: str) -> float:
    return check.seconds(section.get("timeout_s", 10), f"{where}.timeout_s", low=0.1, high=300)
