"""The rubber-stamp signal: does an approver's recent pattern look like approving unread?

Pure computation over a person's recent decisions (no I/O), so the rule can
move into governance unchanged when decisions carry their timing in the ledger.
A signal needs volume (``min_decisions`` in the window) and near-unconditional
approval (``approval_rate``), and then either of: most decisions came within
``fast_s`` of first opening the proposal, or most approvals had no evidence
item opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from affidavit.errors import InputError
from affidavit.web.settings import StampSettings

__all__ = ["DecisionRecord", "StampSignal", "rubber_stamp"]

VERDICTS = ("approve", "deny")


@dataclass(frozen=True)
class DecisionRecord:
    """One decision: when, which way, how long after first view, and whether evidence was opened."""

    proposal: str
    decided_at: datetime
    verdict: str
    seconds_from_first_view: float | None
    evidence_opened: bool

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise InputError("a verdict is approve or deny")
        if self.seconds_from_first_view is not None and self.seconds_from_first_view < 0:
            raise InputError("a decision cannot come before the first view")


@dataclass(frozen=True)
class StampSignal:
    decisions: int
    approvals: int
    fast: int
    approvals_without_evidence: int
    median_seconds: float | None
    reasons: tuple[str, ...]

    @property
    def approval_rate(self) -> float:
        return self.approvals / self.decisions if self.decisions else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "decisions": self.decisions,
            "approvals": self.approvals,
            "fast": self.fast,
            "approvals_without_evidence": self.approvals_without_evidence,
            "median_seconds": self.median_seconds,
            "reasons": list(self.reasons),
        }


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def rubber_stamp(
    decisions: Sequence[DecisionRecord], now: datetime, settings: StampSettings
) -> StampSignal | None:
    """The signal, with its reasons in plain words, or None when the pattern looks considered."""
    since = now - timedelta(seconds=settings.window_s)
    recent = [d for d in decisions if since <= d.decided_at <= now]
    if len(recent) < settings.min_decisions:
        return None
    approvals = [d for d in recent if d.verdict == "approve"]
    if len(approvals) / len(recent) < settings.approval_rate:
        return None
    timed = [d.seconds_from_first_view for d in recent if d.seconds_from_first_view is not None]
    fast = sum(1 for s in timed if s < settings.fast_s)
    unread = sum(1 for d in approvals if not d.evidence_opened)
    hours = settings.window_s / 3600
    window = "hour" if hours == 1 else f"{hours:g} hours"
    reasons: list[str] = []
    if fast >= settings.fast_share * len(recent):
        reasons.append(
            f"{fast} of your last {len(recent)} decisions came less than "
            f"{settings.fast_s:g} seconds after you first opened the proposal"
        )
    if unread >= settings.fast_share * len(approvals):
        reasons.append(
            f"{unread} of your {len(approvals)} approvals in the last {window} "
            "were made without opening any evidence item"
        )
    if not reasons:
        return None
    reasons.append(
        f"you approved {len(approvals)} of {len(recent)} proposals "
        f"({100 * len(approvals) / len(recent):.0f}%) in the last {window}"
    )
    return StampSignal(
        decisions=len(recent),
        approvals=len(approvals),
        fast=fast,
        approvals_without_evidence=unread,
        median_seconds=_median(timed),
        reasons=tuple(reasons),
    )
