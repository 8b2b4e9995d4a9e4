"""Dispositions: the human record of what became of a recommendation, and why.

Outcomes: ``accepted``, ``rejected``, ``overridden`` (a person chose another
action, linked to its proposal) and ``modified``. Reason codes come from a
fixed, documented taxonomy (docs/governance.md). A rationale is required for
rejected, overridden and modified. The evidence the person viewed is recorded
with it. The outcome must agree with the proposal's state, and rejecting,
overriding or modifying a recommendation that has not run withdraws it
(governance.lifecycle). A proposal has one current disposition: a later one
names the one it supersedes, with a rationale.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from affidavit.errors import Conflict, InputError
from affidavit.governance import _tables as t
from affidavit.governance import lifecycle
from affidavit.governance import proposals as p
from affidavit.governance._common import check_text
from affidavit.governance.events import DispositionRecorded, ProposalWithdrawn
from affidavit.governance.friction_ops import opened_items
from affidavit.governance.identities import Identity
from affidavit.ledger.batch import Batch

__all__ = ["OUTCOMES", "REASONS", "record"]

OUTCOMES = ("accepted", "rejected", "overridden", "modified")
REASONS = {
    "true_positive": "the recommendation matched what the evidence showed",
    "false_positive": "the alert or finding was benign",
    "insufficient_evidence": "the evidence did not support the action",
    "business_impact": "the action would cost the business more than the risk",
    "policy": "an organisational policy or regulation decided it",
    "model_error": "the model misread the evidence or hallucinated",
    "better_alternative": "another action contains the threat better",
    "duplicate": "another case or action already covers it",
    "scope_change": "the incident's scope changed since the recommendation",
    "other": "none of the above; the rationale explains",
}
_NEEDS_RATIONALE = {"rejected", "overridden", "modified"}


def record(
    batch: Batch,
    proposal_id: str,
    actor: Identity,
    *,
    outcome: str,
    reason: str,
    rationale: str,
    override_with: str | None,
    evidence_viewed: Sequence[str],
    now: datetime,
    supersedes: int | None = None,
) -> int:
    if not actor.is_human:
        raise InputError(f"{actor.kind} {actor.id} cannot record a disposition: only people can")
    if outcome not in OUTCOMES:
        raise InputError(f"outcome must be one of {', '.join(OUTCOMES)}")
    if reason not in REASONS:
        raise InputError(f"reason must be one of {', '.join(REASONS)}")
    rationale = check_text(
        rationale, "a rationale", required=outcome in _NEEDS_RATIONALE or supersedes is not None
    )
    proposal = p.load(batch.conn, proposal_id, now)
    _check_supersedes(batch, proposal_id, supersedes)
    withdraws = lifecycle.check_disposition(
        proposal_id, proposal.status, outcome, running=_running(batch, proposal_id)
    )
    if outcome == "overridden":
        if not override_with:
            raise InputError("an override names the proposal of the action chosen instead")
        other = p.load(batch.conn, override_with, now)
        if other.case_id != proposal.case_id or other.id == proposal.id:
            raise InputError("the overriding proposal must be another proposal in the same case")
    elif override_with:
        raise InputError("only an overridden outcome links another proposal")
    if len(evidence_viewed) > 100 or not all(
        isinstance(e, str) and len(e) <= 200 for e in evidence_viewed
    ):
        raise InputError("evidence viewed is a list of at most 100 references")
    views = batch.conn.execute(
        select(t.evidence_views.c.seq).where(
            t.evidence_views.c.proposal_id == proposal_id,
            t.evidence_views.c.identity_id == actor.id,
        )
    ).first()
    opened = [proposal.evidence[i] for i in sorted(opened_items(batch.conn, proposal_id, actor.id))]
    viewed = list(dict.fromkeys([*(proposal.evidence if views else []), *opened, *evidence_viewed]))
    appended = batch.emit(
        DispositionRecorded(
            actor=actor.actor,
            case=proposal.case_id,
            proposal=proposal_id,
            outcome=outcome,
            reason=reason,
            rationale=rationale,
            override_with=override_with,
            evidence_viewed=tuple(viewed),
            supersedes=supersedes,
        )
    )
    if withdraws:
        batch.emit(
            ProposalWithdrawn(
                actor=actor.actor,
                case=proposal.case_id,
                proposal=proposal_id,
                disposition=appended.seq,
            )
        )
    return appended.seq


def _check_supersedes(batch: Batch, proposal_id: str, supersedes: int | None) -> None:
    """A proposal has one current disposition; changing it names the one it replaces."""
    d = t.dispositions
    current = batch.conn.execute(
        select(d.c.seq, d.c.actor_id, d.c.outcome)
        .where(
            d.c.proposal_id == proposal_id,
            d.c.seq.not_in(select(d.c.supersedes).where(d.c.supersedes.is_not(None))),
        )
        .order_by(d.c.seq.desc())
        .limit(1)
    ).first()
    if current is None and supersedes is not None:
        raise Conflict(f"proposal {proposal_id} has no disposition to supersede")
    if current is not None and supersedes != current.seq:
        raise Conflict(
            f"{current.actor_id} already recorded {proposal_id} as {current.outcome} "
            f"(ledger entry {current.seq}); a new disposition supersedes it explicitly "
            f"(--supersedes {current.seq}) with a rationale"
        )


def _running(batch: Batch, proposal_id: str) -> bool:
    x = t.executions
    q = select(x.c.id).where(x.c.proposal_id == proposal_id, x.c.status == "running")
    return batch.conn.execute(q).first() is not None
