"""Events of accountable administration: ownership transfers, incidents, legal holds and
erasures that need a second person.

Every one names a person (``human:ID``, an admin identity whose token was given) or
an operating-system account on the machine (``local:USER@HOST``) as its actor; see
:mod:`affidavit.governance.operators`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from affidavit.governance.events._base import strings
from affidavit.ledger.events import Event, Payload

__all__ = [
    "EVENTS",
    "CaseHeld",
    "CaseReleased",
    "ErasureApproved",
    "ErasureRequested",
    "IdentityOwnerTransferred",
    "IncidentOpened",
]


@dataclass(frozen=True, kw_only=True)
class IdentityOwnerTransferred(Event):
    """A non-human identity got a new accountable owner (an active person)."""

    type: ClassVar[str] = "identity.owner_transferred"

    identity: str
    previous_owner: str | None
    owner: str

    def body(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "previous_owner": self.previous_owner,
            "owner": self.owner,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {k: body[k] for k in ("identity", "previous_owner", "owner")}


@dataclass(frozen=True, kw_only=True)
class IncidentOpened(Event):
    """Something that must be investigated: today, a break-glass whose review rejected it."""

    type: ClassVar[str] = "incident.opened"

    incident: str
    proposal: str
    reason: str
    """Why, as a fixed word: ``breakglass_rejected``."""
    review: int
    """The sequence number of the entry that caused it (the rejecting review)."""

    def body(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "proposal": self.proposal,
            "reason": self.reason,
            "review": self.review,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "incident": body["incident"],
            "proposal": body["proposal"],
            "reason": body["reason"],
            "review": int(body["review"]),
        }


@dataclass(frozen=True, kw_only=True)
class CaseHeld(Event):
    """A legal hold on a case (``case``): no erasure, no retention sweep, until released."""

    type: ClassVar[str] = "case.held"

    reason: str

    def body(self) -> dict[str, Any]:
        return {"reason": self.reason}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"reason": body["reason"]}


@dataclass(frozen=True, kw_only=True)
class CaseReleased(Event):
    """The legal hold on a case was released."""

    type: ClassVar[str] = "case.released"

    reason: str

    def body(self) -> dict[str, Any]:
        return {"reason": self.reason}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"reason": body["reason"]}


@dataclass(frozen=True, kw_only=True)
class ErasureRequested(Event):
    """An erasure of evidence that needs a second person's approval (a case with an action
    of tier 3 or above); nothing is erased until another admin approves it."""

    type: ClassVar[str] = "erasure.requested"

    request: str
    payloads_sha256: tuple[str, ...]
    cases: tuple[str, ...]
    reason: str

    def body(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "payloads": list(self.payloads_sha256),
            "cases": list(self.cases),
            "reason": self.reason,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "request": body["request"],
            "payloads_sha256": strings(body["payloads"]),
            "cases": strings(body["cases"]),
            "reason": body["reason"],
        }


@dataclass(frozen=True, kw_only=True)
class ErasureApproved(Event):
    """A second admin approved an erasure request; the ``payload.erased`` entry follows."""

    type: ClassVar[str] = "erasure.approved"

    request: str

    def body(self) -> dict[str, Any]:
        return {"request": self.request}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"request": body["request"]}


EVENTS: tuple[type[Event], ...] = (
    IdentityOwnerTransferred,
    IncidentOpened,
    CaseHeld,
    CaseReleased,
    ErasureRequested,
    ErasureApproved,
)
