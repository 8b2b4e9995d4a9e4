"""What a notification says, independent of the channel: a :class:`Notice`.

A notice is built from :class:`~affidavit.notify.events.Event` values only,
so it carries ids, action, tier, target kind and criticality, agent and time
left, and a link to the console's proposal page. One event makes a single
notice; several make a digest. Each channel turns a notice into its own format.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from affidavit.errors import InputError
from affidavit.notify.events import Event

__all__ = ["DIGEST_ITEMS", "Notice", "build_notice", "ping_notice", "time_left"]

DIGEST_ITEMS = 40
"""Events listed one by one in a digest; the rest are counted and linked to the queue."""

_HEADLINES = {
    "approval_pending": "Approval needed",
    "approval_expiring": "Escalation: approval expiring",
    "breakglass": "Break-glass used",
    "review_overdue": "Break-glass review overdue",
    "breakglass_rejected": "Incident: break-glass rejected on review",
}


@dataclass(frozen=True)
class Notice:
    """One message to send: a title, facts or digest items, and the link to open."""

    kind: str
    title: str
    facts: tuple[tuple[str, str], ...]
    items: tuple[tuple[str, str], ...]
    link: str
    key: str
    sent_at: datetime
    events: tuple[dict[str, Any], ...]

    @property
    def digest(self) -> bool:
        return self.kind == "digest"

    def text(self) -> str:
        """Plain text, for e-mail and for fallbacks."""
        lines = [self.title, ""]
        lines += [f"{label}: {value}" for label, value in self.facts]
        lines += [f"- {line}\n  {link}" for line, link in self.items]
        lines += ["", f"Open: {self.link}"]
        return "\n".join(lines) + "\n"


def time_left(deadline: datetime | None, now: datetime) -> str:
    """``2h 5m``, ``none, expired 3m ago``, or ``no expiry``."""
    if deadline is None:
        return "no expiry"
    seconds = int((deadline - now).total_seconds())
    return _span(seconds) if seconds > 0 else f"none, expired {_span(-seconds)} ago"


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else "<1m"


def _deadline_fact(event: Event, now: datetime) -> tuple[str, str]:
    deadline = event.deadline_at()
    if event.kind in ("approval_pending", "approval_expiring"):
        return ("Time left", time_left(deadline, now))
    if event.kind == "breakglass_rejected":
        return ("Incident", "open: investigate the emergency action")
    assert deadline is not None  # a break-glass review always has a due time
    seconds = int((deadline - now).total_seconds())
    return (
        "Review due",
        f"in {_span(seconds)}" if seconds > 0 else f"overdue by {_span(-seconds)}",
    )


def _deadline_text(event: Event, now: datetime) -> str:
    label, value = _deadline_fact(event, now)
    if value.startswith("overdue"):
        return f"review {value}"
    return f"{label.lower()} {value}"


def _facts(event: Event, now: datetime) -> tuple[tuple[str, str], ...]:
    facts = [
        ("Proposal", event.proposal),
        ("Case", event.case),
        ("Action", event.action),
        ("Tier", str(event.tier)),
        ("Target", f"{event.target_kind} ({event.criticality})"),
        ("Requested by", event.agent),
    ]
    if event.kind in ("approval_pending", "approval_expiring"):
        facts.append(("Approvals required", str(event.approvals_required)))
    facts.append(_deadline_fact(event, now))
    return tuple(facts)


def _title(event: Event) -> str:
    return (
        f"{_HEADLINES[event.kind]}: {event.action} (tier {event.tier}) "
        f"on a {event.criticality} {event.target_kind}"
    )


def _payload(event: Event, link: str, now: datetime) -> dict[str, Any]:
    deadline = event.deadline_at()
    body = event.to_json()
    body["url"] = link
    body["seconds_left"] = None if deadline is None else int((deadline - now).total_seconds())
    return body


def build_notice(events: Sequence[Event], console_url: str, now: datetime) -> Notice:
    """A single notice for one event, a digest for several."""
    if not events:
        raise InputError("a notice needs at least one event")
    links = [f"{console_url}/proposals/{e.proposal}" for e in events]
    payload = tuple(_payload(e, link, now) for e, link in zip(events, links, strict=True))
    if len(events) == 1:
        [event] = events
        return Notice(
            kind=event.kind,
            title=_title(event),
            facts=_facts(event, now),
            items=(),
            link=links[0],
            key=f"{event.kind}:{event.seq}",
            sent_at=now,
            events=payload,
        )
    counts = Counter(_HEADLINES[e.kind].lower() for e in events)
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
    items = [
        (
            f"{_HEADLINES[e.kind]}: {e.action} (tier {e.tier}), {e.proposal}, "
            f"{_deadline_text(e, now)}",
            link,
        )
        for e, link in zip(events, links, strict=True)
    ]
    if len(items) > DIGEST_ITEMS:
        rest = len(items) - DIGEST_ITEMS
        items = [*items[:DIGEST_ITEMS], (f"and {rest} more", f"{console_url}/proposals")]
    keys = "\n".join(sorted(f"{e.kind}:{e.seq}" for e in events)).encode()
    return Notice(
        kind="digest",
        title=f"Affidavit digest: {len(events)} notifications ({summary})",
        facts=(),
        items=tuple(items),
        link=f"{console_url}/proposals",
        key="digest:" + hashlib.sha256(keys).hexdigest()[:32],
        sent_at=now,
        events=payload,
    )


def ping_notice(role: str, console_url: str, now: datetime) -> Notice:
    """What ``affidavit notify test ROLE`` sends: proof the channel works, no proposal."""
    return Notice(
        kind="test",
        title=f"Affidavit test notification for {role}",
        facts=(("Role", role),),
        items=(),
        link=f"{console_url}/proposals",
        key=f"test:{role}:{int(now.timestamp())}",
        sent_at=now,
        events=(),
    )
