"""Receivers on 127.0.0.1 that the export tests deliver to: a SIEM's HTTP intake, syslog over
TCP (octet counting) and UDP, and an OTLP/HTTP collector that decodes the protobuf."""

from __future__ import annotations

import json
import re
import socket
import socketserver
import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@dataclass
class HttpReceiver:
    """A SIEM intake: POSTed JSON lines are kept; queued status codes are answered first."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    answers: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    server: ThreadingHTTPServer | None = None
    protobuf: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/ingest"

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def events(self) -> list[dict[str, Any]]:
        """Every event received, in order (duplicates included)."""
        with self.lock:
            return [e for p in self.posts if "events" in p for e in p["events"]]

    def spans(self) -> list[Any]:
        with self.lock:
            return [s for p in self.posts if "spans" in p for s in p["spans"]]

    def start(self, port: int = 0) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    answer = receiver.answers.popleft() if receiver.answers else (200, {})
                code, headers = answer
                if code == 200:
                    record: dict[str, Any] = {
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "path": self.path,
                    }
                    if receiver.protobuf:
                        request = ExportTraceServiceRequest()
                        request.ParseFromString(body)
                        record["request"] = request
                        record["spans"] = [
                            (rs, ss, span)
                            for rs in request.resource_spans
                            for ss in rs.scope_spans
                            for span in ss.spans
                        ]
                    else:
                        record["events"] = [json.loads(line) for line in body.splitlines() if line]
                    with receiver.lock:
                        receiver.posts.append(record)
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = _Quiet(("127.0.0.1", port), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# ---- syslog -------------------------------------------------------------------------

# RFC 5424 §6: HEADER SP STRUCTURED-DATA [SP MSG]
RFC5424 = re.compile(
    rb"<(?P<pri>[0-9]{1,3})>(?P<version>[1-9][0-9]{0,2}) "
    rb"(?P<timestamp>-|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    rb"(?:Z|[+-][0-9]{2}:[0-9]{2})) "
    rb"(?P<hostname>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) "
    rb"(?P<msgid>[!-~]{1,32}) "
    rb"(?P<sd>-|(?:\[[^ =\]\"]{1,32}(?: [^ =\]\"]{1,32}=\"(?:[^\"\\\]]|\\[\"\\\]])*\")*\])+)"
    rb"(?: (?P<msg>.*))?",
    re.DOTALL,
)
_SD_PARAM = re.compile(rb' ([^ =\]"]{1,32})="((?:[^"\\\]]|\\["\\\]])*)"')


def parse_rfc5424(message: bytes) -> dict[str, Any]:
    """The fields of one RFC 5424 message; AssertionError when it does not follow the grammar."""
    match = RFC5424.fullmatch(message)
    assert match is not None, message[:200]
    pri = int(match["pri"])
    assert 0 <= pri <= 191
    params = {
        k.decode(): re.sub(rb'\\(["\\\]])', rb"\1", v).decode()
        for k, v in _SD_PARAM.findall(match["sd"])
    }
    sd_id = match["sd"][1:].split(b" ", 1)[0].rstrip(b"]").decode() if match["sd"] != b"-" else None
    return {
        "facility": pri // 8,
        "severity": pri % 8,
        "version": int(match["version"]),
        "timestamp": match["timestamp"].decode(),
        "hostname": match["hostname"].decode(),
        "app": match["app"].decode(),
        "procid": match["procid"].decode(),
        "msgid": match["msgid"].decode(),
        "sd_id": sd_id,
        "params": params,
        "msg": match["msg"] or b"",
    }


@dataclass
class SyslogReceiver:
    """Syslog over TCP with octet-counting framing (RFC 6587 §3.4.1), the same inside TLS
    when ``tls`` is a server context (RFC 5425), or over UDP."""

    transport: str = "tcp"
    messages: list[bytes] = field(default_factory=list)
    server: socketserver.BaseServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    tls: ssl.SSLContext | None = None
    peers: list[Any] = field(default_factory=list)
    """The client certificate of each TLS connection (None without one)."""

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])  # type: ignore[index]

    def start(self, port: int = 0) -> None:
        receiver = self
        if self.transport == "tcp":

            class TcpHandler(socketserver.StreamRequestHandler):
                def setup(self) -> None:
                    if receiver.tls is not None:  # the handshake in the handler's thread
                        self.request = receiver.tls.wrap_socket(self.request, server_side=True)
                        with receiver.lock:
                            receiver.peers.append(self.request.getpeercert())
                    super().setup()

                def finish(self) -> None:
                    super().finish()
                    if receiver.tls is not None:
                        self.request.close()  # the TLS socket; the server closes the raw one

                def handle(self) -> None:
                    while True:
                        length = b""
                        while (c := self.rfile.read(1)) not in (b" ", b""):
                            assert c.isdigit(), f"not an octet count: {length + c!r}"
                            length += c
                        if not length:
                            return
                        data = self.rfile.read(int(length))
                        with receiver.lock:
                            receiver.messages.append(data)

            class Tcp(socketserver.ThreadingTCPServer):
                daemon_threads = True
                allow_reuse_address = True

                def handle_error(self, request: Any, client_address: Any) -> None:
                    pass  # a refused handshake is what some tests expect

            self.server = Tcp(("127.0.0.1", port), TcpHandler)
        else:

            class UdpHandler(socketserver.BaseRequestHandler):
                def handle(self) -> None:
                    with receiver.lock:
                        receiver.messages.append(self.request[0])

            self.server = socketserver.ThreadingUDPServer(("127.0.0.1", port), UdpHandler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
