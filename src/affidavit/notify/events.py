"""What a notification may say, taken from ledger entries through an allow-list.

An :class:`Event` holds ids, the action, its tier, the target's kind and
criticality, the requesting agent and a deadline, and nothing else. The
proposal's parameters, rationale, the break-glass justification, alert titles
and even the target's id never enter it, so no channel can leak a masked value:
whatever a renderer does, it only has these fields. Every field is checked
against a narrow pattern, so free text cannot be smuggled through an id either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from affidavit.errors import InputError
from affidavit.governance import events as ev
from affidavit.ledger.entry import StoredEntry
from affidavit.notify._time import parse_time

__all__ = ["EVENT_KINDS", "Event", "EventKind", "pending_event"]

EventKind = Literal[
    "approval_pending", "approval_expiring", "breakglass", "review_overdue", "breakglass_rejected"
]
EVENT_KINDS: tuple[EventKind, ...] = (
    "approval_pending",
    "approval_expiring",
    "breakglass",
    "review_overdue",
    "breakglass_rejected",
)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_WORD = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ROLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}")
_CRITICALITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Event:
    """One thing to tell approvers about, derived from ledger entry ``seq``."""

    kind: EventKind
    seq: int
    proposal: str
    case: str
    action: str
    tier: int
    target_kind: str
    criticality: str
    agent: str
    approvals_required: int
    roles: tuple[str, ...]
    deadline: str | None
    """The request's expiry, or for break-glass events the review's due time."""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise InputError("unknown notification event kind")
        if type(self.seq) is not int or self.seq < 0:
            raise InputError("an event's entry seq is a whole number")
        for name in ("proposal", "case", "agent"):
            _match(getattr(self, name), _ID, name)
        _match(self.action, _WORD, "action")
        _match(self.target_kind, _WORD, "target kind")
        if self.criticality not in _CRITICALITIES:
            raise InputError("criticality is not one of low, medium, high, critical")
        for name in ("tier", "approvals_required"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= 1000:
                raise InputError(f"{name} is not a small whole number")
        if not isinstance(self.roles, tuple) or len(self.roles) > 64:
            raise InputError("roles is a tuple of at most 64 role names")
        for role in self.roles:
            _match(role, _ROLE, "role")
        if self.deadline is not None:
            if not isinstance(self.deadline, str):
                raise InputError("a deadline is a ledger timestamp")
            try:
                parse_time(self.deadline)
            except ValueError:
                raise InputError("a deadline is a ledger timestamp") from None

    def deadline_at(self) -> datetime | None:
        return None if self.deadline is None else parse_time(self.deadline)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seq": self.seq,
            "proposal": self.proposal,
            "case": self.case,
            "action": self.action,
            "tier": self.tier,
            "target_kind": self.target_kind,
            "criticality": self.criticality,
            "agent": self.agent,
            "approvals_required": self.approvals_required,
            "roles": list(self.roles),
            "deadline": self.deadline,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Event:
        return cls(**{**value, "roles": tuple(value["roles"])})


def _match(value: object, pattern: re.Pattern[str], what: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InputError(f"the {what} of a notification event is not a plain identifier")


def pending_event(entry: StoredEntry) -> Event | None:
    """The ``approval_pending`` event of a ``proposal.created`` entry; None unless its
    decision requires approval. InputError when the entry does not have the shape."""
    if entry.type != ev.ProposalCreated.type:
        return None
    body = entry.body
    try:
        decision = body["decision"]
        if decision["effect"] != "require_approval":
            return None
        proposal, inputs = body["proposal"], body["decision_inputs"]
        targets = inputs["targets"]
        worst = max(targets, key=lambda t: _CRITICALITIES.index(t["criticality"]))
        return Event(
            kind="approval_pending",
            seq=entry.seq,
            proposal=proposal["id"],
            case=entry.case or "",
            action=proposal["action"],
            tier=inputs["context"]["tier"],
            target_kind=worst["kind"],
            criticality=worst["criticality"],
            agent=proposal["proposer"],
            approvals_required=decision["approvals_required"],
            roles=tuple(decision["approver_roles"]),
            deadline=proposal["expires_at"],
        )
    except InputError as exc:
        raise InputError(f"ledger entry {entry.seq} (proposal.created): {exc.message}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"ledger entry {entry.seq} (proposal.created) lacks a field a notification needs: "
            f"{type(exc).__name__}"
        ) from None
