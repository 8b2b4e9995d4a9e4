"""A vendor API on 127.0.0.1: real HTTP, routes written by each test module, scripted faults.

Each vendor test module subclasses :class:`FakeVendor` with the vendor's
documented request and response shapes (paths, auth headers, bodies, status
codes, error bodies). Faults are queued per route and served before the route
runs: an HTTP status with headers and body, ``HANG`` (answer after the client's
timeout), ``DROP`` (close the connection without answering) or ``APPLY_THEN``
(do what the route does, then answer with the fault: the vendor acted but the
client cannot know).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_path: str = ""

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Fault:
    kind: str  # "status", "hang", "drop"
    answer: Answer | None = None
    apply_first: bool = False


HANG = Fault("hang")
DROP = Fault("drop")


def status(code: int, body: Any = b"", headers: dict[str, str] | None = None) -> Fault:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Fault("status", (code, {"Content-Type": "application/json", **(headers or {})}, data))


def apply_then(fault: Fault) -> Fault:
    return Fault(fault.kind, fault.answer, apply_first=True)


def reply(code: int, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    data = b"" if body is None else json.dumps(body).encode()
    return code, {"Content-Type": "application/json", **(headers or {})}, data


Route = Callable[[Call, re.Match[str]], Answer]


@dataclass
class FakeVendor:
    """Routes: (method, path regex) -> handler(call, match) -> (status, headers, body)."""

    calls: list[Call] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    _routes: list[tuple[str, re.Pattern[str], Route]] = field(default_factory=list)
    _faults: dict[tuple[str, str], deque[Fault]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def route(self, method: str, pattern: str, handler: Route) -> None:
        self._routes.append((method, re.compile(pattern), handler))

    def fault(self, method: str, pattern: str, *faults: Fault) -> None:
        """Serve ``faults`` in order to the next calls matching (method, pattern)."""
        with self._lock:
            self._faults.setdefault((method, pattern), deque()).extend(faults)

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method and regex.fullmatch(c.path)]

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for (m, pattern), queue in self._faults.items():
                if m == method and queue and re.fullmatch(pattern, path):
                    return queue.popleft()
        return None

    def dispatch(self, call: Call) -> Answer | Fault:
        with self._lock:
            self.calls.append(call)
        fault = self._next_fault(call.method, call.path)
        if fault is not None and not fault.apply_first:
            return fault
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(call.path)
            if method == call.method and match is not None:
                answer = handler(call, match)
                return fault if fault is not None else answer
        return reply(404, {"error": "no such route in the fake"})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout) is expected


def _handler(vendor: FakeVendor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            call = Call(
                self.command,
                unquote(parts.path),  # as a web framework hands it to a route
                parse_qs(parts.query, keep_blank_values=True),
                {k.lower(): v for k, v in self.headers.items()},
                body,
                parts.path,
            )
            outcome = vendor.dispatch(call)
            if isinstance(outcome, Fault):
                if outcome.kind == "hang":
                    vendor.release.wait(3.0)
                    outcome = status(200, {})
                elif outcome.kind == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                assert outcome.answer is not None
                code, headers, data = outcome.answer
            else:
                code, headers, data = outcome
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    return Handler


class Sleeps:
    """A sleep that records what it was asked to wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
