"""Notices and the three wire formats: Slack blocks, a Teams Adaptive Card, the signed webhook."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from affidavit import canonical
from affidavit.errors import InputError
from affidavit.notify import Event, build_notice, ping_notice
from affidavit.notify.formats import slack_payload, teams_payload, webhook_body
from affidavit.notify.messages import DIGEST_ITEMS, time_left

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CONSOLE = "https://console.example.org"


def _event(seq: int = 1, kind: str = "approval_pending", **changes: object) -> Event:
    values: dict[str, object] = dict(
        kind=kind,
        seq=seq,
        proposal=f"prop_{seq:020d}",
        case="CASE-1",
        action="isolate_host",
        tier=2,
        target_kind="host",
        criticality="high",
        agent="triage",
        approvals_required=1,
        roles=(),
        deadline="2026-11-28T10:30:00.000000Z",
    )
    values.update(changes)
    return Event(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=1, minutes=30), "1h 30m"),
        (timedelta(days=2, hours=3), "2d 3h"),
        (timedelta(seconds=30), "<1m"),
        (timedelta(minutes=-5), "none, expired 5m ago"),
        (None, "no expiry"),
    ],
)
def test_time_left(delta: timedelta | None, text: str) -> None:
    assert time_left(None if delta is None else NOW + delta, NOW) == text


def test_break_glass_facts_say_when_the_review_is_due() -> None:
    due = _event(kind="breakglass", deadline="2026-11-29T09:00:00.000000Z")
    facts = dict(build_notice([due], CONSOLE, NOW).facts)
    assert facts["Review due"] == "in 1d 0h" and "Approvals required" not in facts
    late = dict(build_notice([due], CONSOLE, NOW + timedelta(days=1, hours=2)).facts)
    assert late["Review due"] == "overdue by 2h 0m"


def test_slack_payload_has_text_blocks_and_a_button() -> None:
    payload = slack_payload(build_notice([_event()], CONSOLE, NOW))
    assert set(payload) == {"text", "blocks"}
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "actions"]
    assert len(payload["blocks"][1]["fields"]) <= 10  # Slack's limit for a section
    button = payload["blocks"][2]["elements"][0]
    assert (button["type"], button["url"]) == ("button", f"{CONSOLE}/proposals/prop_{1:020d}")


def test_a_long_digest_stays_within_slack_and_teams_limits() -> None:
    events = [_event(seq) for seq in range(1, 121)]
    notice = build_notice(events, CONSOLE, NOW)
    assert notice.digest and len(notice.items) == DIGEST_ITEMS + 1
    assert notice.items[-1] == (f"and {120 - DIGEST_ITEMS} more", f"{CONSOLE}/proposals")
    slack = slack_payload(notice)
    assert len(slack["blocks"]) <= 50 and len(slack["blocks"][0]["text"]["text"]) <= 150
    card = teams_payload(notice)["attachments"][0]["content"]
    assert card["version"] == "1.4" and len(card["body"]) == 1 + DIGEST_ITEMS + 1
    assert len(json.loads(webhook_body(notice))["notifications"]) == 120


def test_teams_message_is_an_adaptive_card_attachment() -> None:
    message = teams_payload(build_notice([_event()], CONSOLE, NOW))
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert [b["type"] for b in card["body"]] == ["TextBlock", "FactSet"]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open proposal",
            "url": f"{CONSOLE}/proposals/prop_{1:020d}",
        }
    ]


def test_webhook_body_is_canonical_json_and_the_key_is_stable() -> None:
    notice = build_notice([_event(2), _event(1)], CONSOLE, NOW)
    body = webhook_body(notice)
    assert canonical.encode(canonical.decode(body)) == body
    again = build_notice([_event(1), _event(2)], CONSOLE, NOW + timedelta(minutes=1))
    assert again.key == notice.key  # the same events make the same idempotency key
    assert build_notice([_event(1)], CONSOLE, NOW).key == "approval_pending:1"


def test_a_ping_names_the_role_and_no_proposal() -> None:
    notice = ping_notice("approver:ir_lead", CONSOLE, NOW)
    assert notice.events == () and notice.link == f"{CONSOLE}/proposals"
    assert slack_payload(notice)["blocks"][-1]["elements"][0]["text"]["text"] == "Open queue"


def test_a_notice_needs_an_event() -> None:
    with pytest.raises(InputError):
        build_notice([], CONSOLE, NOW)
