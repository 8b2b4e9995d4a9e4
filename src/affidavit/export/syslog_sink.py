"""OCSF events as syslog messages (RFC 5424), over TCP or TLS with octet counting, or UDP.

A message::

    <109>1 2026-12-07T10:00:00.123456Z soc-1 affidavit 4242 proposal.created
    [affidavit@32473 seq="17" uid="affidavit.example/log/17" case="CASE-7"] {"class_uid":6003,...}

PRI is ``facility * 8 + severity`` (facility 13, *log audit*, by default;
severity from the OCSF severity: informational 6, low 5, medium 4, high 3,
critical 2). TIMESTAMP is the ledger entry's time (UTC, microseconds), MSGID
its type, and the structured data element names the ledger entry, so a
receiver can remove duplicates without parsing the JSON. The JSON is ASCII
only, so the message needs no BOM. ``sd_id`` defaults to an id under the
example enterprise number 32473 (RFC 5612); set your own.

TCP frames each message as ``MSG-LEN SP MSG`` (RFC 6587 §3.4.1), keeps one
connection open and reconnects after an error. A batch counts as delivered
when the kernel accepted every byte — syslog has no acknowledgement — so a
receiver that dies after reading can lose the last batch. TLS (RFC 5425) is TCP's
framing inside a TLS connection (1.2 or later): the receiver's certificate is always
verified, against ``ca_file`` or the system's CAs, for ``server_name`` or the host;
``client_cert`` (and ``client_key``) authenticate the sender when the receiver asks.
UDP (RFC 5426) sends
one datagram per message and cannot notice a receiver that is down: use it
only where loss is acceptable. A message larger than ``max_message_bytes``
loses its ``unmapped`` details first, then everything but its essential fields.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

from affidavit.errors import ConfigError
from affidavit.export._redact import Redactor
from affidavit.export.config import SinkConfig
from affidavit.export.ocsf import to_ocsf
from affidavit.export.sink import DeliveryError
from affidavit.ledger.entry import StoredEntry

__all__ = ["SyslogSink", "format_message", "frame", "tls_context"]

_SEVERITY = {1: 6, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1}
_ESSENTIAL = (
    "category_uid",
    "class_uid",
    "activity_id",
    "type_uid",
    "severity_id",
    "status_id",
    "status",
    "time",
)
_NOT_PRINTUSASCII = re.compile(r"[^!-~]")


def _param(value: object) -> str:
    """An SD-PARAM value: '"', '\\' and ']' escaped (RFC 5424 §6.3.3)."""
    text = str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _header_field(value: str, limit: int) -> str:
    cleaned = _NOT_PRINTUSASCII.sub("-", value)[:limit]
    return cleaned or "-"


def _json(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=True).encode()


def _shrunk(event: dict[str, Any], room: int) -> bytes:
    """The event as JSON in ``room`` bytes: whole, then without details, then its essentials."""
    body = _json(event)
    if len(body) <= room:
        return body
    slim = dict(event)
    slim["unmapped"] = {"affidavit": {"truncated": True}}
    body = _json(slim)
    if len(body) <= room:
        return body
    meta = event.get("metadata", {})
    essential: dict[str, Any] = {k: event[k] for k in _ESSENTIAL if k in event}
    essential["metadata"] = {
        k: meta[k] for k in ("uid", "sequence", "version", "event_code") if k in meta
    }
    essential["actor"] = {"user": {"uid": event.get("actor", {}).get("user", {}).get("uid")}}
    essential["api"] = {"operation": event.get("api", {}).get("operation")}
    essential["unmapped"] = {"affidavit": {"truncated": True}}
    return _json(essential)[:room]


def format_message(
    event: dict[str, Any],
    entry: StoredEntry,
    *,
    facility: int,
    hostname: str,
    app_name: str,
    procid: str,
    sd_id: str,
    max_bytes: int,
) -> bytes:
    """One RFC 5424 message for one OCSF event."""
    severity = _SEVERITY.get(int(event.get("severity_id", 1)), 6)
    msgid = _header_field(entry.type, 32)
    params = [("seq", entry.seq), ("uid", event["metadata"]["uid"])]
    if entry.case is not None:
        params.append(("case", entry.case))
    structured = f"[{sd_id} " + " ".join(f'{k}="{_param(v)}"' for k, v in params) + "]"
    head = (
        f"<{facility * 8 + severity}>1 {entry.time} {_header_field(hostname, 255)} "
        f"{_header_field(app_name, 48)} {_header_field(procid, 128)} {msgid} {structured} "
    ).encode("ascii")
    return head + _shrunk(event, max(0, max_bytes - len(head)))


def frame(message: bytes) -> bytes:
    """Octet-counting framing for syslog over TCP (RFC 6587 §3.4.1)."""
    return str(len(message)).encode() + b" " + message


def tls_context(options: Mapping[str, Any], where: str) -> ssl.SSLContext:
    """The client side of RFC 5425: TLS 1.2+, the receiver's certificate and name verified."""
    try:
        context = ssl.create_default_context(cafile=options.get("ca_file"))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if options.get("client_cert"):
            context.load_cert_chain(options["client_cert"], options.get("client_key"))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{where}: the TLS files cannot be used: {exc}") from None
    return context


def _close_notify(sock: ssl.SSLSocket, timeout_s: float) -> None:
    """End TLS cleanly before closing. A TLS 1.3 receiver sends session tickets the
    sender never reads; closing with them unread makes the kernel send a reset, and a
    receiver that has not read the last batch yet loses it. unwrap() reads them and
    exchanges close_notify; a receiver that just hangs up is fine too."""
    try:
        sock.settimeout(timeout_s)
        sock.unwrap()
    except (OSError, ValueError):
        pass


class SyslogSink:
    def __init__(self, config: SinkConfig, origin: str, redactor: Redactor) -> None:
        self.name = config.name
        self.types = config.types
        self._config = config
        self._origin = origin
        self._redactor = redactor
        options = config.options
        self._transport: str = options["transport"]
        self._address = (options["host"], options["port"])
        self._hostname: str = options["hostname"] or socket.gethostname()
        self._socket: socket.socket | None = None
        self._tls: ssl.SSLContext | None = None
        if self._transport == "tls":
            self._tls = tls_context(options, f"export sink {self.name}")

    def close(self) -> None:
        if self._socket is not None:
            if isinstance(self._socket, ssl.SSLSocket):
                _close_notify(self._socket, min(self._config.timeout_s, 2.0))
            self._socket.close()
            self._socket = None

    def messages(self, entries: Sequence[StoredEntry]) -> list[bytes]:
        options = self._config.options
        return [
            format_message(
                self._redactor.json(to_ocsf(e, self._origin, hostname=self._hostname)),
                e,
                facility=options["facility"],
                hostname=self._hostname,
                app_name=options["app_name"],
                procid=str(os.getpid()),
                sd_id=options["sd_id"],
                max_bytes=options["max_message_bytes"],
            )
            for e in entries
        ]

    def deliver(self, entries: Sequence[StoredEntry]) -> int:
        if not entries:
            return 0
        messages = self.messages(entries)
        host, port = self._address
        where = f"export sink {self.name} (syslog {self._transport} {host}:{port})"
        try:
            if self._transport in ("tcp", "tls"):
                if self._socket is None:
                    self._socket = self._connect()
                self._socket.sendall(b"".join(frame(m) for m in messages))
            else:
                if self._socket is None:
                    family, kind, proto, _, address = socket.getaddrinfo(
                        host, port, type=socket.SOCK_DGRAM
                    )[0]
                    self._socket = socket.socket(family, kind, proto)
                    self._socket.settimeout(self._config.timeout_s)
                    self._socket.connect(address)  # so an ICMP "port unreachable" is reported
                for message in messages:
                    self._socket.send(message)
        except TimeoutError:
            self.close()
            raise DeliveryError(
                f"{where} did not take the batch within {self._config.timeout_s:g} s."
            ) from None
        except ssl.SSLError as exc:  # before OSError: it is one
            self.close()
            raise DeliveryError(
                f"{where} failed TLS: {exc.reason or type(exc).__name__}."
            ) from None
        except OSError as exc:
            self.close()
            raise DeliveryError(f"{where} failed: {exc.strerror or type(exc).__name__}.") from None
        return len(messages)

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self._address, timeout=self._config.timeout_s)
        if self._tls is None:
            return sock
        server_name = self._config.options.get("server_name") or self._address[0]
        try:
            return self._tls.wrap_socket(sock, server_hostname=server_name)
        except BaseException:
            sock.close()
            raise
