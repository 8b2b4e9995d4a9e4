"""Approvals under separation of duties and quorum; break-glass with review.

Only active people decide, checked inside the write. Who may approve, break glass
or review follows one rule set (governance.duties, whose approval rule is
governance.separation's, in the words the console shows): not the requester, not the
accountable owner of the proposing agent, the right role. An approver counts once:
quorum is distinct people. Friction (governance.friction): from the rules' tiers (2
by default), deciding needs a rationale and approving needs an evidence item opened
by the approver; each decision records the seconds from the approver's first view of
the evidence. One denial denies. An expired request cannot be approved. Break-glass
authorizes without approvals, with a justification, and opens a review that another
person must close in time; a rejected review opens an incident (``incident.opened``),
which the notifier reports.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from affidavit.errors import AuthError, Conflict, InputError, PolicyError
from affidavit.governance import _tables as t
from affidavit.governance import authorization, duties
from affidavit.governance import proposals as p
from affidavit.governance._common import IdSource, check_text, later
from affidavit.governance.configuration_store import active_hash
from affidavit.governance.events import (
    ApprovalDenied,
    ApprovalGranted,
    BreakglassInvoked,
    BreakglassReviewed,
    EvidenceViewed,
    IncidentOpened,
)
from affidavit.governance.friction import FrictionRules
from affidavit.governance.friction_ops import opened_items, seconds_from_first_view
from affidavit.governance.identities import Identity
from affidavit.governance.lifecycle import EXPIRED, PENDING
from affidavit.ledger.batch import Batch

__all__ = ["decide", "invoke_breakglass", "review_breakglass", "view_evidence"]


def _require_human(who: Identity, what: str) -> None:
    if not who.is_human:
        raise AuthError(
            f"{who.kind} {who.id} cannot {what}: only people can; the model never holds authority"
        )


def _open_request(batch: Batch, proposal_id: str, now: datetime) -> p.Proposal:
    proposal = p.load(batch.conn, proposal_id, now)
    if proposal.status == EXPIRED:
        raise Conflict(f"proposal {proposal_id} expired at {proposal.expires_at}; propose again")
    if proposal.status != PENDING:
        raise Conflict(f"proposal {proposal_id} is {proposal.status}, not pending approval")
    return proposal


def view_evidence(batch: Batch, proposal_id: str, viewer: Identity, now: datetime) -> None:
    """Record that ``viewer`` opened the proposal's evidence (required for some approvals)."""
    proposal = p.load(batch.conn, proposal_id, now)
    seen = batch.conn.execute(
        select(t.evidence_views.c.seq).where(
            t.evidence_views.c.proposal_id == proposal_id,
            t.evidence_views.c.identity_id == viewer.id,
        )
    ).first()
    if seen:
        return
    batch.emit(
        EvidenceViewed(
            actor=viewer.actor,
            case=proposal.case_id,
            proposal=proposal_id,
            evidence=tuple(proposal.evidence),
        )
    )


def _check_separation(
    batch: Batch, proposal: p.Proposal, approver: Identity, owner_may_approve: bool
) -> None:
    duties.check_approver(batch.conn, proposal, approver, owner_may_approve)


def _check_friction(
    batch: Batch,
    proposal: p.Proposal,
    approver: Identity,
    approve: bool,
    tier: int,
    rules: FrictionRules,
) -> None:
    if not approve or not rules.needs_evidence(tier):
        return
    if not proposal.evidence:
        raise PolicyError(
            f"proposal {proposal.id} cites no evidence, and approving a tier {tier} action "
            "needs an evidence item opened first: deny it, or have it proposed again with "
            "its evidence"
        )
    if not opened_items(batch.conn, proposal.id, approver.id):
        raise PolicyError(
            f"open at least one evidence item of {proposal.id} before approving a tier {tier} "
            f"action (affidavit proposal evidence {proposal.id} 0; "
            f"GET /v1/proposals/{proposal.id}/evidence/0)"
        )


def decide(
    batch: Batch,
    proposal_id: str,
    approver: Identity,
    *,
    approve: bool,
    rationale: str,
    now: datetime,
    owner_may_approve: bool,
    authorization_ttl_s: float,
    ids: IdSource,
    tier: int,
    rules: FrictionRules,
) -> p.Proposal:
    _require_human(approver, "approve or deny")
    approver = duties.current(batch.conn, approver, now)
    proposal = _open_request(batch, proposal_id, now)
    _check_separation(batch, proposal, approver, owner_may_approve)
    rationale = check_text(rationale, "a rationale", required=not approve)
    if not rationale and rules.needs_rationale(tier):
        raise InputError(
            f"a rationale is required to decide a tier {tier} action ({proposal_id}): "
            "say what you checked"
        )
    a = t.approvals
    earlier = batch.conn.execute(
        select(a.c.verdict).where(a.c.proposal_id == proposal_id, a.c.approver_id == approver.id)
    ).first()
    if earlier:
        raise Conflict(
            f"{approver.id} already decided on {proposal_id}; quorum counts distinct people"
        )
    _check_friction(batch, proposal, approver, approve, tier, rules)
    if approve and proposal.require_evidence_view:
        viewed = batch.conn.execute(
            select(t.evidence_views.c.seq).where(
                t.evidence_views.c.proposal_id == proposal_id,
                t.evidence_views.c.identity_id == approver.id,
            )
        ).first()
        if not viewed and not opened_items(batch.conn, proposal_id, approver.id):
            raise PolicyError(
                f"policy requires viewing the evidence of {proposal_id} before approving it "
                f"(affidavit proposal show {proposal_id})"
            )
    verdict = ApprovalGranted if approve else ApprovalDenied
    batch.emit(
        verdict(
            actor=approver.actor,
            case=proposal.case_id,
            proposal=proposal_id,
            rationale=rationale,
            seconds_from_first_view=seconds_from_first_view(
                batch.conn, proposal_id, approver.id, now
            ),
            config_hash=active_hash(batch.conn),
        )
    )
    if approve:
        count = batch.conn.execute(
            select(func.count()).where(a.c.proposal_id == proposal_id, a.c.verdict == "approve")
        ).scalar_one()
        if count >= proposal.approvals_required:
            authorization.issue(batch, proposal, "approvals", now, authorization_ttl_s, ids)
    return p.load(batch.conn, proposal_id, now)


def invoke_breakglass(
    batch: Batch,
    proposal_id: str,
    invoker: Identity,
    *,
    justification: str,
    now: datetime,
    review_within_s: float,
    authorization_ttl_s: float,
    ids: IdSource,
) -> p.Proposal:
    _require_human(invoker, "break glass")
    invoker = duties.current(batch.conn, invoker, now)
    if "breakglass" not in invoker.roles:
        raise PolicyError(f"{invoker.id} does not hold the breakglass right")
    justification = check_text(justification, "a justification", required=True)
    proposal = _open_request(batch, proposal_id, now)
    duties.check_breaker(batch.conn, proposal, invoker)
    due = later(now, review_within_s)
    batch.emit(
        BreakglassInvoked(
            actor=invoker.actor,
            case=proposal.case_id,
            proposal=proposal_id,
            justification=justification,
            review_due=due,
        )
    )
    authorization.issue(batch, proposal, "breakglass", now, authorization_ttl_s, ids)
    return p.load(batch.conn, proposal_id, now)


def review_breakglass(
    batch: Batch,
    proposal_id: str,
    reviewer: Identity,
    *,
    upheld: bool,
    rationale: str,
    now: datetime,
) -> None:
    _require_human(reviewer, "review a break-glass")
    reviewer = duties.current(batch.conn, reviewer, now)
    r = t.breakglass_reviews
    row = batch.conn.execute(select(r).where(r.c.proposal_id == proposal_id)).first()
    if row is None:
        raise Conflict(f"no break-glass was invoked on {proposal_id}")
    if row.reviewed_by is not None:
        raise Conflict(
            f"the break-glass on {proposal_id} was already reviewed by {row.reviewed_by}"
        )
    proposal = p.load(batch.conn, proposal_id, now)
    duties.check_reviewer(batch.conn, proposal, reviewer, row.invoked_by)
    rationale = check_text(rationale, "a rationale", required=True)
    review = batch.emit(
        BreakglassReviewed(
            actor=reviewer.actor,
            case=proposal.case_id,
            proposal=proposal_id,
            outcome="upheld" if upheld else "rejected",
            rationale=rationale,
            late=batch.time > row.due_at,
        )
    )
    if not upheld:  # emergency authority used without cause: someone must investigate
        batch.emit(
            IncidentOpened(
                actor=reviewer.actor,
                case=proposal.case_id,
                incident=f"inc_{proposal_id}",
                proposal=proposal_id,
                reason="breakglass_rejected",
                review=review.seq,
            )
        )
