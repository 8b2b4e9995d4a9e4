"""The notifier end to end: a Governor writes the ledger, real receivers get the messages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from affidavit.connectors import verify_webhook_signature
from affidavit.governance.governor import Governor
from affidavit.notify import EVENT_HEADER, Notifier
from tests.governance.conftest import Cast, Clock
from tests.notify._receivers import HttpReceiver, Received, SmtpReceiver
from tests.notify.conftest import (
    MARKER,
    PLANTED,
    WEBHOOK_SECRET,
    MakeNotifier,
    propose_disable,
    propose_isolation,
)

YEARS = pytest.mark.parametrize("clock", [0, 30], ids=["2026", "30y-later"], indirect=True)
LINK = "https://console.example.org/proposals/"


def _verified(received: Received, clock: Clock) -> dict[str, Any]:
    """The JSON of a signed webhook, after checking its signature as a receiver would."""
    headers = {k.lower(): v for k, v in received.headers.items()}
    verify_webhook_signature(
        WEBHOOK_SECRET,
        headers["x-affidavit-timestamp"],
        received.body,
        headers["x-affidavit-signature"],
        now=clock().timestamp(),
    )
    return dict(received.json())


def _no_secrets(http: HttpReceiver, smtp: SmtpReceiver, *also: str) -> None:
    """Nothing sent holds the planted secret, the rationale, the target ids, or ``also``."""
    sent = [r.body.decode() for r in http.received]
    sent += [m.as_string() for _, _, m in smtp.messages]
    assert sent
    for text in sent:
        for value in (PLANTED, MARKER, "secret.person", "pc-sales-0215", "token", *also):
            assert value not in text


@YEARS
def test_a_pending_approval_reaches_every_channel_of_its_roles(
    gov: Governor,
    cast: Cast,
    notifier: Notifier,
    http: HttpReceiver,
    smtp: SmtpReceiver,
    clock: Clock,
) -> None:
    needs_lead = propose_disable(gov, cast)  # approver:ir_lead -> Slack and e-mail
    any_role = propose_isolation(gov, cast)  # no role constraint -> the fallback webhook

    summary = notifier.run_once()
    assert (summary.sent, summary.failed, summary.problems) == (3, 0, [])

    [slack] = http.on("/slack")
    payload = slack.json()
    assert payload["text"].endswith(LINK + needs_lead)
    header, fields, actions = payload["blocks"]
    assert header["text"]["text"] == "Approval needed: disable_account (tier 3) on a critical user"
    facts = dict(f["text"].split("\n") for f in fields["fields"])
    assert facts["*Proposal*"] == needs_lead and facts["*Requested by*"] == "triage"
    assert facts["*Time left*"] == "1h 0m" and facts["*Approvals required*"] == "2"
    assert actions["elements"][0]["url"] == LINK + needs_lead

    [(sender, recipients, mail)] = smtp.messages
    assert (sender, recipients) == ("affidavit@example.org", ["ir-leads@example.org"])
    assert mail["Subject"] == "Approval needed: disable_account (tier 3) on a critical user"
    body = mail.get_content()
    assert f"Open: {LINK}{needs_lead}" in body and "Target: user (critical)" in body

    [hook] = http.on("/hook")
    assert hook.headers[EVENT_HEADER] == "approval_pending"
    document = _verified(hook, clock)
    [event] = document["notifications"]
    assert event["proposal"] == any_role and event["url"] == LINK + any_role
    assert (event["action"], event["tier"], event["target_kind"], event["criticality"]) == (
        "isolate_host",
        2,
        "host",
        "critical",
    )
    assert event["seconds_left"] == 3600 and event["agent"] == "triage"
    _no_secrets(http, smtp)

    # read again: nothing is sent twice
    assert notifier.run_once().sent == 0
    assert len(http.received) == 2 and len(smtp.messages) == 1


def test_requests_decided_or_expired_before_sending_are_not_announced(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver, clock: Clock
) -> None:
    decided = propose_isolation(gov, cast, "pc-1")
    gov.open_evidence(cast.alice, decided, 0)
    gov.approve(cast.alice, decided, rationale="ok")
    gov.open_evidence(cast.bob, decided, 0)
    gov.approve(cast.bob, decided, rationale="ok")
    summary = notifier.run_once()
    assert (summary.sent, summary.dropped) == (0, 1)
    [dropped] = notifier.state.deliveries(["dropped"])
    assert dropped.last_error == "the proposal is executed"

    propose_isolation(gov, cast, "pc-2")
    clock.advance(hours=2)  # expired before the notifier ever saw it: nothing to ask
    summary = notifier.run_once()
    assert (summary.queued, summary.sent) == (0, 0)
    assert http.received == []


@YEARS
def test_a_request_nearing_expiry_escalates_to_the_second_group(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver, clock: Clock
) -> None:
    lead = propose_disable(gov, cast)  # ir_lead escalates 15 min before expiry (1 h)
    fallback = propose_isolation(gov, cast)  # the fallback escalates 10 min before
    decided = propose_disable(gov, cast, "other.person@corp.example")
    notifier.run_once()
    gov.view_evidence(cast.alice, decided)
    gov.view_evidence(cast.carol, decided)
    gov.open_evidence(cast.alice, decided, 0)
    gov.approve(cast.alice, decided, rationale="confirmed")
    gov.open_evidence(cast.carol, decided, 0)
    gov.approve(cast.carol, decided, rationale="confirmed")

    clock.advance(minutes=44)
    notifier.run_once()
    assert http.on("/teams") == []

    clock.advance(minutes=2)  # 46 min: inside ir_lead's lead time, not the fallback's
    notifier.run_once()
    [card] = http.on("/teams")
    content = card.json()["attachments"][0]["content"]
    title, facts = (
        content["body"][0]["text"],
        dict((f["title"], f["value"]) for f in content["body"][1]["facts"]),
    )
    assert title.startswith("Escalation: approval expiring: disable_account (tier 3)")
    assert (facts["Proposal"], facts["Time left"]) == (lead, "14m")
    assert content["actions"][0]["url"] == LINK + lead

    clock.advance(minutes=5)  # 51 min: the fallback's request escalates too
    notifier.run_once()
    assert [
        c.json()["attachments"][0]["content"]["body"][1]["facts"][0]["value"]
        for c in http.on("/teams")
    ] == [lead, fallback]

    clock.advance(minutes=30)
    assert notifier.run_once().sent == 0  # each escalation once; the decided one never


@YEARS
def test_break_glass_is_announced_and_an_overdue_review_escalated(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver, clock: Clock
) -> None:
    late = propose_isolation(gov, cast, "pc-late")
    in_time = propose_isolation(gov, cast, "pc-in-time")
    notifier.run_once()
    http.received.clear()
    gov.breakglass(cast.bob, late, justification=f"ransomware spreading {PLANTED}")
    gov.breakglass(cast.bob, in_time, justification=f"{MARKER} active intrusion")

    notifier.run_once()
    hooks = [_verified(r, clock)["notifications"][0] for r in http.on("/hook")]
    assert [(h["kind"], h["proposal"]) for h in hooks] == [
        ("breakglass", late),
        ("breakglass", in_time),
    ]
    assert hooks[0]["seconds_left"] == 24 * 3600

    gov.review_breakglass(cast.carol, in_time, upheld=True, rationale="justified")
    clock.advance(hours=24, minutes=1)
    notifier.run_once()
    overdue = [_verified(r, clock) for r in http.on("/hook")[2:]]
    assert [(d["kind"], d["notifications"][0]["proposal"]) for d in overdue] == [
        ("review_overdue", late)
    ]
    [card] = http.on("/teams")  # and the fallback's escalation group
    content = card.json()["attachments"][0]["content"]
    assert content["body"][0]["text"].startswith("Break-glass review overdue")
    assert dict((f["title"], f["value"]) for f in content["body"][1]["facts"])["Review due"] == (
        "overdue by 1m"
    )
    for received in http.received:
        assert PLANTED not in received.body.decode() and MARKER not in received.body.decode()


def test_a_burst_becomes_one_digest_per_window(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver, clock: Clock
) -> None:
    burst = [propose_isolation(gov, cast, f"pc-{i}") for i in range(8)]  # threshold is 5
    summary = notifier.run_once()
    assert (summary.sent, summary.digests) == (8, 1)
    [digest] = http.on("/hook")
    assert digest.headers[EVENT_HEADER] == "digest"
    document = _verified(digest, clock)
    assert document["kind"] == "digest"
    assert document["title"] == "Affidavit digest: 8 notifications (8 approval needed)"
    assert [n["proposal"] for n in document["notifications"]] == burst

    more = [propose_isolation(gov, cast, f"pc-more-{i}") for i in range(2)]
    clock.advance(minutes=5)
    assert notifier.run_once().sent == 0  # within the window of the last digest: held
    clock.advance(minutes=5, seconds=1)
    summary = notifier.run_once()
    assert summary.sent == 2  # the burst is over: one message each again
    assert [
        _verified(r, clock)["notifications"][0]["proposal"] for r in http.on("/hook")[1:]
    ] == more
    assert all(d.via_digest for d in notifier.state.deliveries(["sent"])[:8])


def test_a_digest_on_slack_teams_and_email_lists_each_request(
    gov: Governor,
    cast: Cast,
    make_notifier: MakeNotifier,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    notifier = make_notifier(digest={"threshold": 2, "window": "1h"})
    ids = [propose_disable(gov, cast, f"user{i}@corp.example") for i in range(3)]
    assert notifier.run_once().digests == 2  # Slack and e-mail
    [slack] = http.on("/slack")
    blocks = slack.json()["blocks"]
    assert blocks[0]["text"]["text"] == "Affidavit digest: 3 notifications (3 approval needed)"
    items = [b["text"]["text"] for b in blocks[1:-1]]
    assert [i.split("|")[0] for i in items] == [f"<{LINK}{p}" for p in ids]
    assert all("time left 1h 0m>" in i for i in items)
    assert blocks[-1]["elements"][0]["url"] == "https://console.example.org/proposals"
    [(_, _, mail)] = smtp.messages
    assert all(LINK + p in mail.get_content() for p in ids)
    _no_secrets(http, smtp, "user0", "user1")


def test_an_event_for_a_removed_channel_is_dropped_visibly(
    gov: Governor, cast: Cast, make_notifier: MakeNotifier, http: HttpReceiver
) -> None:
    propose_isolation(gov, cast)
    first = make_notifier(retry={"max_attempts": 2})
    first.senders.clear()  # as if the soar channel were removed from notify.yaml
    summary = first.run_once()
    assert (summary.sent, summary.dropped) == (0, 1)
    [dropped] = first.state.deliveries(["dropped"])
    assert dropped.last_error == "the channel is no longer configured"


def test_an_unreadable_entry_is_reported_and_skipped(
    gov: Governor, cast: Cast, notifier: Notifier, http: HttpReceiver
) -> None:
    from affidavit.ledger.entry import Entry

    gov.ledger.append(
        Entry(
            type="proposal.created",
            actor="agent:triage",
            case="CASE-X",
            body={"decision": {"effect": "require_approval"}, "proposal": {"id": "prop_x"}},
        )
    )
    propose_isolation(gov, cast)
    summary = notifier.run_once()
    assert summary.sent == 1
    [problem] = summary.problems
    assert "(proposal.created) lacks a field a notification needs" in problem
    assert json.dumps(summary.problems).count("prop_x") == 0


def test_the_cursor_moves_on_in_bounded_rounds(
    gov: Governor, cast: Cast, notifier: Notifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    import affidavit.notify.worker as worker

    monkeypatch.setattr(worker, "SCAN_LIMIT", 3)
    size = gov.ledger.size()
    rounds = 0
    while notifier.state.cursor() < size:
        assert notifier.run_once().scanned <= 3
        rounds += 1
    assert rounds == -(-size // 3)
    assert notifier.run_once().scanned == 0
    _ = timedelta  # the clock is the fixture's; nothing here reads the wall clock
