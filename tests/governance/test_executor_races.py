"""The executor under races: a second ``execute`` while the first one's webhook call is
still in flight is refused and leaves the running execution's record alone (issue 9)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.conftest import configure
from tests.governance.conftest import Cast, Clock, add_cast

from affidavit.config import Settings
from affidavit.connectors import InMemoryConnector, WebhookConnector, WebhookSettings
from affidavit.errors import Conflict
from affidavit.governance.governor import Governor
from affidavit.ledger.log import Ledger

SECRET = "webhook-secret-for-tests-0123456789"


class _SlowReceiver(ThreadingHTTPServer):
    """Answers 200 to every POST, but only once ``release`` is set."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.calls += 1
                receiver.arrived.set()
                receiver.release.wait(20)
                body = b'{"id": "soar-1"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[_SlowReceiver]:
    server = _SlowReceiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def webhook_gov(
    ledger: Ledger, settings: Settings, clock: Clock, receiver: _SlowReceiver
) -> Governor:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/actions"
    webhook = WebhookConnector(WebhookSettings(url=url, secret=SECRET, timeout_s=30), ledger.db)
    connectors: dict[str, Any] = {name: InMemoryConnector(name) for name in ("intel", "case")}
    connectors["webhook"] = webhook
    gov = Governor(ledger, settings, connectors=connectors, clock=clock)
    configure(gov, auto_execute=False)
    return gov


def _finished(gov: Governor) -> list[dict[str, Any]]:
    return [e.body for e in gov.ledger.entries() if e.type == "execution.finished"]


def test_a_concurrent_execute_during_a_slow_webhook_call_is_refused(
    webhook_gov: Governor, receiver: _SlowReceiver
) -> None:
    gov = webhook_gov
    cast: Cast = add_cast(gov)
    proposal = gov.propose(
        cast.alice,
        case="CASE-R",
        action="notify_owner",
        target="host:pc-sales-0215",
        params={"message": "your laptop is being looked at"},
    )
    assert proposal.status == "authorized", proposal
    outcome: dict[str, Any] = {}

    def first() -> None:
        try:
            outcome["first"] = gov.execute(proposal.id)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            outcome["first"] = exc

    runner = threading.Thread(target=first)
    runner.start()
    assert receiver.arrived.wait(10), "the first call never reached the receiver"

    second: dict[str, Any] = {}

    def concurrent() -> None:
        try:
            second["status"] = gov.execute(proposal.id)
        except Exception as exc:
            second["error"] = exc

    racer = threading.Thread(target=concurrent)
    racer.start()
    racer.join(10)
    assert not racer.is_alive()
    assert isinstance(second.get("error"), Conflict), second
    assert "running" in str(second["error"])
    # The running execution's record is untouched while the real call is in flight.
    assert _finished(gov) == []
    assert gov.proposal(proposal.id).status == "authorized"  # started, not finished

    receiver.release.set()
    runner.join(10)
    assert outcome["first"] == "executed"
    [finished] = _finished(gov)
    assert finished["status"] == "succeeded"
    assert receiver.calls == 1
    gov.ledger.verify()


def test_a_concurrent_execute_from_another_process_is_refused(
    webhook_gov: Governor, receiver: _SlowReceiver, settings: Settings, clock: Clock
) -> None:
    """A second Governor on the same database (as another executor process is)."""
    gov = webhook_gov
    cast: Cast = add_cast(gov)
    proposal = gov.propose(
        cast.alice,
        case="CASE-R",
        action="notify_owner",
        target="host:pc-sales-0215",
        params={"message": "hello"},
    )
    runner = threading.Thread(target=gov.execute, args=(proposal.id,))
    runner.start()
    assert receiver.arrived.wait(10)
    url = f"http://127.0.0.1:{receiver.server_address[1]}/actions"
    with Ledger.open(settings, clock=clock) as other_ledger:
        other = Governor(
            other_ledger,
            settings,
            connectors={
                "webhook": WebhookConnector(
                    WebhookSettings(url=url, secret=SECRET), other_ledger.db
                )
            },
            clock=clock,
        )
        with pytest.raises(Conflict):
            other.execute(proposal.id)
    assert _finished(gov) == []
    receiver.release.set()
    runner.join(10)
    [finished] = _finished(gov)
    assert finished["status"] == "succeeded"
    assert receiver.calls == 1
