"""Friction where it matters: the rules, and the rubber-stamp signal.

:class:`FrictionRules` is the one place the thresholds live: approving an action of
``evidence_tier`` or above needs an evidence item opened by that approver first;
deciding one of ``rationale_tier`` or above needs a rationale; :class:`StampRules`
say when a person's recent decisions look like rubber-stamping. The Governor reads
them through :meth:`Governor.friction_rules` (today the defaults below, or what its
owner passed in), so every path (API, SDK, CLI, console) obeys the same values.

:func:`rubber_stamp` is pure computation over a person's recent decisions (no I/O);
:mod:`affidavit.governance.friction_ops` reads those decisions from the ledger's
tables and ledgers the signal when it is shown.

A signal needs volume (``min_decisions`` in the window) and near-unconditional
approval (``approval_rate``), and then either of: most decisions came within
``fast_s`` of first opening the proposal's evidence, or most approvals had no
evidence item opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from affidavit.errors import ConfigError, InputError

__all__ = ["DecisionRecord", "FrictionRules", "StampRules", "StampSignal", "rubber_stamp"]

NEVER = 5
"""A tier threshold no action reaches (tiers are 0 to 4): the rule is off."""


@dataclass(frozen=True)
class StampRules:
    """When an approver's recent decisions look like rubber-stamping."""

    fast_s: float = 30.0
    """A decision this soon after the person first opened the proposal counts as fast."""
    min_decisions: int = 8
    """Below this many decisions in the window there is no signal (too little to judge)."""
    approval_rate: float = 0.95
    """The share of approvals at or above which the volume looks unconditional."""
    window_s: float = 4 * 3600.0
    """How far back decisions count."""
    fast_share: float = 0.5
    """The share of fast decisions (or of approvals without evidence opened) that signals."""

    def __post_init__(self) -> None:
        if self.fast_s <= 0 or self.window_s <= 0:
            raise ConfigError("the rubber-stamp fast seconds and window must be greater than 0")
        if self.min_decisions < 1:
            raise ConfigError("the rubber-stamp minimum of decisions must be at least 1")
        if not 0 < self.approval_rate <= 1 or not 0 < self.fast_share <= 1:
            raise ConfigError("the rubber-stamp approval rate and fast share must be in (0, 1]")


@dataclass(frozen=True)
class FrictionRules:
    """The friction every decision path applies (defaults: tier 2 and above)."""

    evidence_tier: int = 2
    """Approving an action of this tier or above needs an evidence item opened first."""
    rationale_tier: int = 2
    """Approving or denying an action of this tier or above needs a rationale."""
    stamp: StampRules = field(default_factory=StampRules)

    def __post_init__(self) -> None:
        for name, tier in (("evidence", self.evidence_tier), ("rationale", self.rationale_tier)):
            if type(tier) is not int or not 0 <= tier <= NEVER:
                raise ConfigError(f"the {name} tier must be a tier from 0 to 4 (5: never)")

    def needs_evidence(self, tier: int) -> bool:
        return tier >= self.evidence_tier

    def needs_rationale(self, tier: int) -> bool:
        return tier >= self.rationale_tier


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
    decisions: Sequence[DecisionRecord], now: datetime, rules: StampRules
) -> StampSignal | None:
    """The signal, with its reasons in plain words, or None when the pattern looks considered."""
    since = now - timedelta(seconds=rules.window_s)
    recent = [d for d in decisions if since <= d.decided_at <= now]
    if len(recent) < rules.min_decisions:
        return None
    approvals = [d for d in recent if d.verdict == "approve"]
    if len(approvals) / len(recent) < rules.approval_rate:
        return None
    timed = [d.seconds_from_first_view for d in recent if d.seconds_from_first_view is not None]
    fast = sum(1 for s in timed if s < rules.fast_s)
    unread = sum(1 for d in approvals if not d.evidence_opened)
    hours = rules.window_s / 3600
    window = "hour" if hours == 1 else f"{hours:g} hours"
    reasons: list[str] = []
    if fast >= rules.fast_share * len(recent):
        reasons.append(
            f"{fast} of your last {len(recent)} decisions came less than "
            f"{rules.fast_s:g} seconds after you first opened its evidence"
        )
    if unread >= rules.fast_share * len(approvals):
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
