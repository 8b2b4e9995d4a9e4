"""Failed deliveries: retried with backoff, visible, and never in the way of a decision."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from affidavit.governance.governor import Governor
from affidavit.notify import (
    DeliveryError,
    EmailChannel,
    HttpChannel,
    Notifier,
    RoundSummary,
    make_sender,
    ping_notice,
)
from tests.governance.conftest import Cast, Clock
from tests.notify._receivers import HttpReceiver, SmtpReceiver, free_port, self_signed
from tests.notify.conftest import MakeNotifier, propose_disable, propose_isolation

YEARS = pytest.mark.parametrize("clock", [0, 30], ids=["2026", "30y-later"], indirect=True)
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@YEARS
def test_a_receiver_that_is_down_gets_the_message_once_it_is_up(
    gov: Governor, cast: Cast, make_notifier: MakeNotifier, clock: Clock
) -> None:
    port = free_port()  # nothing listens here yet
    url = f"http://127.0.0.1:{port}/hook?token=SECRET-IN-URL"
    notifier = make_notifier()
    notifier.senders["soar"] = make_sender(
        HttpChannel("soar", "webhook", url, secret=b"s" * 32, timeout_s=5)
    )
    proposal = propose_isolation(gov, cast)  # returns at once: nothing waits for the notifier

    summary = notifier.run_once()
    assert (summary.sent, summary.failed) == (0, 1)
    [pending] = notifier.state.deliveries(["pending"])
    assert pending.attempts == 1 and pending.event.proposal == proposal
    assert pending.last_error is not None
    assert pending.last_error.startswith("could not connect to the receiver")
    assert "SECRET-IN-URL" not in pending.last_error and str(port) not in pending.last_error

    # approvals go on while the receiver is down
    second = propose_isolation(gov, cast, "pc-2")
    gov.open_evidence(cast.alice, second, 0)
    gov.approve(cast.alice, second, rationale="ok")  # one of the two approvals it needs

    clock.advance(seconds=29)  # the channel waits out its backoff: no attempt now
    assert notifier.run_once().failed == 0
    assert notifier.state.deliveries(["pending"])[0].attempts == 1

    receiver = HttpReceiver(port)
    try:
        clock.advance(seconds=1)
        summary = notifier.run_once()
        assert (summary.sent, summary.failed) == (2, 0)
        got = [r.json()["notifications"][0]["proposal"] for r in receiver.received]
        assert got == [proposal, second]
        sent = notifier.state.deliveries(["sent"])
        assert [(d.attempts, d.last_error) for d in sent] == [(1, None), (0, None)]
    finally:
        receiver.stop()


def test_failures_back_off_then_give_up_visibly(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver, clock: Clock
) -> None:
    http.status = 503
    propose_isolation(gov, cast)
    attempts_at = []
    for seconds in (0, 29, 1, 59, 1):  # backoff 30 s, then 60 s; three attempts at most
        clock.advance(seconds=seconds)
        if notifier.run_once().failed:
            attempts_at.append(seconds)
    assert len(http.received) == 3
    [failed] = notifier.state.deliveries(["failed"])
    assert (failed.attempts, failed.last_error) == (3, "the receiver answered HTTP 503")
    assert notifier.state.counts() == {"failed": 1}
    clock.advance(hours=1)
    assert notifier.run_once().failed == 0 and len(http.received) == 3


def test_a_redirect_is_a_failure_and_is_not_followed(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver
) -> None:
    http.status = 302
    propose_isolation(gov, cast)
    notifier.run_once()
    [pending] = notifier.state.deliveries(["pending"])
    assert pending.last_error == "the receiver answered a redirect (HTTP 302), not followed"


def test_a_hung_receiver_never_holds_up_proposals_or_approvals(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver
) -> None:
    http.hold()  # the receiver takes the request and does not answer until released
    first = propose_isolation(gov, cast, "pc-first")
    stop = threading.Event()
    rounds: list[RoundSummary] = []
    worker = threading.Thread(
        target=notifier.run, args=(stop,), kwargs={"interval_s": 0.05, "on_round": rounds.append}
    )
    worker.start()
    try:
        assert http.holding.wait(60), "the notifier never reached the receiver"
        # The notifier is stuck inside a delivery. Decisions go on regardless:
        second = propose_disable(gov, cast)
        gov.view_evidence(cast.alice, second)
        gov.view_evidence(cast.carol, second)
        gov.open_evidence(cast.alice, second, 0)
        assert gov.approve(cast.alice, second, rationale="confirmed").status == "pending_approval"
        gov.open_evidence(cast.carol, second, 0)
        assert gov.approve(cast.carol, second, rationale="confirmed").status == "executed"
        assert gov.breakglass(cast.bob, first, justification="spreading").status == "executed"
        # ... and all of that finished while the delivery was still in flight.
        assert http.received == [] and rounds == []
    finally:
        http.release()
        stop.set()
        worker.join(60)
    assert not worker.is_alive()
    assert http.on("/hook")[0].json()["notifications"][0]["proposal"] == first
    gov.ledger.verify()  # the notifier only reads the ledger


def test_email_over_starttls_with_login(tmp_path: Path) -> None:
    cert, context = self_signed(tmp_path)
    server = SmtpReceiver(tls=context)
    try:
        channel = EmailChannel(
            name="mail",
            host="127.0.0.1",
            port=server.port,
            security="starttls",
            sender="affidavit@example.org",
            recipients=("a@example.org", "b@example.org"),
            username=SmtpReceiver.USER,
            password=SmtpReceiver.PASSWORD,
            ca_file=cert,
        )
        sender = make_sender(channel)
        sender.send(ping_notice("approver:ir_lead", "https://c.example.org", NOW))
        [(_, rcpt, mail)] = server.messages
        assert rcpt == ["a@example.org", "b@example.org"]
        assert mail["Subject"] == "Affidavit test notification for approver:ir_lead"
        assert mail["Date"] == "Sat, 28 Nov 2026 09:00:00 +0000"

        wrong = make_sender(
            EmailChannel(**{**channel.__dict__, "password": "wrong-password-98765"})
        )
        with pytest.raises(DeliveryError) as caught:
            wrong.send(ping_notice("r", "https://c.example.org", NOW))
        assert caught.value.message == "the SMTP server refused the login (code 535)"
        untrusted = make_sender(EmailChannel(**{**channel.__dict__, "ca_file": None}))
        with pytest.raises(DeliveryError, match="SSLCertVerificationError"):
            untrusted.send(ping_notice("r", "https://c.example.org", NOW))
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_starttls_is_never_skipped_when_the_server_lacks_it(smtp: SmtpReceiver) -> None:
    sender = make_sender(
        EmailChannel(
            name="mail",
            host="127.0.0.1",
            port=smtp.port,
            sender="affidavit@example.org",
            recipients=("a@example.org",),
        )
    )
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        sender.send(ping_notice("r", "https://c.example.org", NOW))
    assert smtp.messages == []


def test_an_smtp_server_that_is_down_is_a_delivery_error() -> None:
    sender = make_sender(
        EmailChannel(
            name="mail",
            host="127.0.0.1",
            port=free_port(),
            security="none",
            sender="affidavit@example.org",
            recipients=("a@example.org",),
        )
    )
    with pytest.raises(DeliveryError, match="SMTP failed: ConnectionRefusedError"):
        sender.send(ping_notice("r", "https://c.example.org", NOW))
