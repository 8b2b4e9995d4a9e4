"""Events of the friction around decisions: one evidence item opened, and the
rubber-stamp signal shown to an approver."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from affidavit.governance.events._base import strings
from affidavit.ledger.events import Event, Payload

__all__ = ["EvidenceItemOpened", "RubberStampSignalled"]


@dataclass(frozen=True, kw_only=True)
class EvidenceItemOpened(Event):
    """The actor opened one item of a proposal's evidence (approvals of tier 2 and above
    need one); ledgered once per person, proposal and item."""

    type: ClassVar[str] = "evidence.item_opened"

    proposal: str
    item: int
    """The item's index in the proposal's evidence list."""
    reference: str
    """The reference at that index, as the proposal cites it."""

    def body(self) -> dict[str, Any]:
        return {"proposal": self.proposal, "item": self.item, "reference": self.reference}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "proposal": body["proposal"],
            "item": int(body["item"]),
            "reference": body["reference"],
        }


@dataclass(frozen=True, kw_only=True)
class RubberStampSignalled(Event):
    """The rubber-stamp signal was shown to the actor (an approver) on a proposal they
    were about to decide: the figures it rests on and its reasons in plain words."""

    type: ClassVar[str] = "friction.rubber_stamp_signalled"

    proposal: str
    decisions: int
    approvals: int
    fast: int
    approvals_without_evidence: int
    median_seconds: float | None
    reasons: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "decisions": self.decisions,
            "approvals": self.approvals,
            "fast": self.fast,
            "approvals_without_evidence": self.approvals_without_evidence,
            "median_seconds": self.median_seconds,
            "reasons": list(self.reasons),
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "proposal": body["proposal"],
            "decisions": body["decisions"],
            "approvals": body["approvals"],
            "fast": body["fast"],
            "approvals_without_evidence": body["approvals_without_evidence"],
            "median_seconds": body["median_seconds"],
            "reasons": strings(body["reasons"]),
        }
