"""Each channel's message format, built from a :class:`~affidavit.notify.messages.Notice`.

- Slack incoming webhook: ``{"text": fallback, "blocks": [...]}`` (Block Kit:
  header, a section of fields, one section per digest item, a link button).
- Microsoft Teams incoming webhook / Workflows: a ``message`` whose attachment is
  an Adaptive Card 1.4 (title, fact set, digest items, an ``Action.OpenUrl``).
- Generic webhook: canonical JSON ``{"type": "affidavit.notification", ...}``
  with every event's fields; the signature covers these exact bytes.
"""

from __future__ import annotations

from typing import Any

from affidavit import canonical
from affidavit.notify.messages import Notice

__all__ = ["slack_payload", "teams_payload", "webhook_body"]

_SLACK_HEADER_MAX = 150
_SLACK_FIELDS_MAX = 10


def _button_text(notice: Notice) -> str:
    return "Open queue" if notice.digest or notice.kind == "test" else "Open proposal"


def _mrkdwn(text: str) -> str:
    """Slack's three control characters, escaped as its documentation asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(notice: Notice) -> dict[str, Any]:
    title = notice.title
    if len(title) > _SLACK_HEADER_MAX:
        title = title[: _SLACK_HEADER_MAX - 3] + "..."
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}}
    ]
    if notice.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{_mrkdwn(label)}*\n{_mrkdwn(value)}"}
                    for label, value in notice.facts[:_SLACK_FIELDS_MAX]
                ],
            }
        )
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|{_mrkdwn(line)}>"}}
        for line, link in notice.items
    ]
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": _button_text(notice)},
                    "url": notice.link,
                }
            ],
        }
    )
    return {"text": f"{_mrkdwn(notice.title)}: {notice.link}", "blocks": blocks}


def teams_payload(notice: Notice) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": notice.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if notice.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in notice.facts],
            }
        )
    body += [
        {
            "type": "Container",
            "items": [{"type": "TextBlock", "text": line, "wrap": True}],
            "selectAction": {"type": "Action.OpenUrl", "url": link},
        }
        for line, link in notice.items
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": _button_text(notice), "url": notice.link}],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def webhook_body(notice: Notice) -> bytes:
    return canonical.encode(
        {
            "type": "affidavit.notification",
            "kind": notice.kind,
            "key": notice.key,
            "title": notice.title,
            "url": notice.link,
            "sent_at": int(notice.sent_at.timestamp()),
            "notifications": list(notice.events),
        }
    )
