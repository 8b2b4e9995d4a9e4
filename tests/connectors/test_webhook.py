"""The webhook connector against a real HTTP server on 127.0.0.1 (an ephemeral port)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from affidavit import canonical
from affidavit.connectors import (
    ActionRequest,
    ConnectorContext,
    WebhookConnector,
    WebhookSettings,
    load_connectors,
    verify_webhook_signature,
)
from affidavit.connectors.webhook import create
from affidavit.errors import ConfigError, Conflict
from affidavit.store import Database
from tests.connectors._shared import Clock, make_request

SECRET = "webhook-secret-for-tests-0123456789"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server; what it answers depends on the request path."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _reply(self, code: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            if self.path == "/ok":
                self._reply(200, b'{"id": "rcv-42", "accepted": true}')
            elif self.path == "/empty":
                self._reply(204, b"")
            elif self.path == "/text":
                self._reply(202, b"queued \x00\xff for later", "text/plain")
            elif self.path == "/error":
                self._reply(500, b'{"error": "database down"}')
            elif self.path == "/denied":
                self._reply(403, b"no")
            elif self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", receiver.url("/ok"))
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/big":
                self._reply(200, b"[" + b"1," * 1_000_000 + b"1]")
            elif self.path == "/sleep":
                receiver.release.wait(2.0)
                self._reply(200, b"{}")
            elif self.path == "/drip":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    if receiver.release.wait(0.02):
                        break
                    self.wfile.write(b" ")
                    self.wfile.flush()

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected here


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(server=None)  # type: ignore[arg-type]
    receiver.server = _QuietServer(("127.0.0.1", 0), _handler(receiver))
    thread = threading.Thread(
        target=receiver.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join(5)


def _connector(
    db: Database, url: str, clock: Clock | None = None, **settings: Any
) -> WebhookConnector:
    return WebhookConnector(
        WebhookSettings(url=url, secret=SECRET, **settings), db, clock=clock or time.time
    )


def _request(**kwargs: Any) -> ActionRequest:
    return make_request("notify_owner", "host:pc-sales-0215", {"message": "hi"}, **kwargs)


def test_success_posts_canonical_signed_json(db: Database, receiver: Receiver) -> None:
    clock = Clock(time.time())
    request = _request()
    result = _connector(db, receiver.url("/ok"), clock).execute(request)
    assert result.status == "succeeded", result.detail
    assert result.detail["status_code"] == 200
    assert result.detail["response"] == {"id": "rcv-42", "accepted": True}
    assert result.external_ref == "rcv-42"
    [got] = receiver.received
    assert got.body == canonical.encode(request.to_json())
    assert ActionRequest.from_json(json.loads(got.body)) == request
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Idempotency-Key"] == request.execution_id
    assert got.headers["X-Affidavit-Timestamp"] == str(int(clock.now))
    verify_webhook_signature(
        SECRET,
        got.headers["X-Affidavit-Timestamp"],
        got.body,
        got.headers["X-Affidavit-Signature"],
        now=time.time(),
    )


def test_a_repeated_execution_id_is_not_sent_again(db: Database, receiver: Receiver) -> None:
    connector = _connector(db, receiver.url("/ok"))
    request = _request()
    first = connector.execute(request)
    assert connector.execute(request) == first
    # A second connector instance (another executor process) sees the record too.
    assert _connector(db, receiver.url("/ok")).execute(request) == first
    assert len(receiver.received) == 1


def test_failures_are_recorded_and_not_retried_under_the_same_id(
    db: Database, receiver: Receiver
) -> None:
    connector = _connector(db, receiver.url("/error"))
    request = _request()
    result = connector.execute(request)
    assert result.status == "failed"
    assert result.detail["status_code"] == 500
    assert result.detail["error_kind"] == "http_status"
    assert "HTTP 500" in result.detail["error"]
    assert result.detail["response"] == {"error": "database down"}
    assert connector.execute(request) == result
    assert len(receiver.received) == 1


def test_other_client_errors_fail_with_an_excerpt(db: Database, receiver: Receiver) -> None:
    result = _connector(db, receiver.url("/denied")).execute(_request())
    assert (result.status, result.detail["status_code"]) == ("failed", 403)
    assert result.detail["response_excerpt"] == "no"


def test_empty_and_non_json_success_answers(db: Database, receiver: Receiver) -> None:
    empty = _connector(db, receiver.url("/empty")).execute(_request())
    assert (empty.status, empty.detail["status_code"], empty.detail["response_bytes"]) == (
        "succeeded",
        204,
        0,
    )
    assert "response" not in empty.detail
    assert empty.external_ref is None
    text = _connector(db, receiver.url("/text")).execute(_request())
    assert text.status == "succeeded"
    assert text.detail["response_excerpt"] == "queued \x00\ufffd for later"


def test_redirects_are_not_followed(db: Database, receiver: Receiver) -> None:
    result = _connector(db, receiver.url("/redirect")).execute(_request())
    assert result.status == "failed"
    assert result.detail["error_kind"] == "redirect"
    assert "not followed" in result.detail["error"]
    assert [r.path for r in receiver.received] == ["/redirect"]


def test_a_slow_receiver_times_out(db: Database, receiver: Receiver) -> None:
    started = time.monotonic()
    result = _connector(db, receiver.url("/sleep"), timeout_s=0.2).execute(_request())
    assert time.monotonic() - started < 1.5
    assert result.status == "failed"
    assert result.detail["error_kind"] == "timeout"
    assert "timed out" in result.detail["error"]


def test_a_trickling_answer_hits_the_overall_deadline(db: Database, receiver: Receiver) -> None:
    # Each byte arrives well within the read timeout; the whole answer does not.
    started = time.monotonic()
    result = _connector(db, receiver.url("/drip"), timeout_s=0.3).execute(_request())
    assert time.monotonic() - started < 1.5
    assert "timed out" in result.detail["error"]


def test_a_refused_connection_fails(db: Database) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _connector(db, f"http://127.0.0.1:{port}/ok").execute(_request())
    assert result.status == "failed"
    assert result.detail["error_kind"] == "connect"
    assert "refused" in result.detail["error"].lower()


def test_an_oversized_answer_is_read_only_up_to_the_limit(db: Database, receiver: Receiver) -> None:
    result = _connector(db, receiver.url("/big"), max_response_bytes=1000).execute(_request())
    assert result.status == "succeeded"
    assert result.detail["response_truncated"] is True
    assert result.detail["response_bytes"] == 1000
    assert len(result.detail["response_excerpt"]) <= 200
    assert "response" not in result.detail


def test_the_secret_never_appears_in_results_errors_or_logs(
    db: Database, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = WebhookSettings(url=receiver.url("/error"), secret=SECRET)
    connector = WebhookConnector(settings, db)
    result = connector.execute(_request())
    assert SECRET not in canonical.encode(result.to_json()).decode()
    assert SECRET not in repr(settings)
    assert receiver.url() not in repr(settings)
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook?token=abc"
    refused = WebhookConnector(WebhookSettings(url=url, secret=SECRET), db).execute(_request())
    assert url not in refused.detail["error"]
    assert SECRET not in refused.detail["error"]


def test_secret_from_the_environment(db: Database, receiver: Receiver) -> None:
    settings = WebhookSettings(url=receiver.url("/ok"), secret_env="HOOK_SECRET")
    connector = WebhookConnector(settings, db, environ={"HOOK_SECRET": SECRET})
    connector.execute(_request())
    [got] = receiver.received
    verify_webhook_signature(
        SECRET,
        got.headers["X-Affidavit-Timestamp"],
        got.body,
        got.headers["X-Affidavit-Signature"],
        now=time.time(),
    )
    with pytest.raises(ConfigError, match="HOOK_SECRET"):
        WebhookConnector(settings, db, environ={})
    with pytest.raises(ConfigError, match="shorter"):
        WebhookConnector(settings, db, environ={"HOOK_SECRET": "short"})


def test_an_unfinished_claim_is_never_sent_again(db: Database, receiver: Receiver) -> None:
    from affidavit.connectors import _executions

    request = _request()
    assert _executions.claim(db, "webhook", request, time.time()) is None  # a crashed sender
    with pytest.raises(Conflict, match="will not be run again"):
        _connector(db, receiver.url("/ok")).execute(request)
    assert receiver.received == []


def test_missing_configuration_is_a_config_error(db: Database) -> None:
    connector = load_connectors(ConnectorContext(db))["webhook"]
    with pytest.raises(ConfigError, match="not configured"):
        connector.execute(_request())
    assert create(ConnectorContext(db)).name == "webhook"


def test_the_factory_reads_the_webhook_section(db: Database, receiver: Receiver) -> None:
    context = ConnectorContext(db, {"webhook": {"url": receiver.url("/ok"), "secret": SECRET}})
    assert create(context).execute(_request()).status == "succeeded"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"url": "ftp://files.example/x", "secret": SECRET}, "http or https"),
        ({"url": "file:///etc/passwd", "secret": SECRET}, "http or https"),
        ({"url": "http://", "secret": SECRET}, "host"),
        ({"url": "", "secret": SECRET}, "URL"),
        ({"url": 42, "secret": SECRET}, "URL"),
        ({"secret": SECRET}, "no url"),
        ({"url": "https://hooks.example/a"}, "exactly one of secret or secret_env"),
        (
            {"url": "https://hooks.example/a", "secret": SECRET, "secret_env": "X"},
            "exactly one",
        ),
        ({"url": "https://hooks.example/a", "secret": "short"}, "shorter than 16"),
        ({"url": "https://hooks.example/a", "secret_env": "1BAD"}, "environment variable"),
        ({"url": "https://hooks.example/a", "secret": SECRET, "timeout_s": 0}, "timeout_s"),
        ({"url": "https://hooks.example/a", "secret": SECRET, "timeout_s": 301}, "timeout_s"),
        ({"url": "https://hooks.example/a", "secret": SECRET, "timeout_s": True}, "number"),
        (
            {"url": "https://hooks.example/a", "secret": SECRET, "max_response_bytes": -1},
            "max_response_bytes",
        ),
        ({"url": "https://hooks.example/a", "secret": SECRET, "proxy": "socks"}, "proxy"),
        ({"url": "https://hooks.example/a", "secret": SECRET, "retries": 3}, "unknown"),
    ],
)
def test_bad_settings_are_config_errors(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        WebhookSettings.parse(settings)
    assert SECRET not in str(caught.value)


def test_default_timeout_is_ten_seconds() -> None:
    assert WebhookSettings(url="https://hooks.example/a", secret=SECRET).timeout_s == 10.0
