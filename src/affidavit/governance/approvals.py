"""Approvals under separation of duties and quorum; break-glass with review.

Only active people decide. An approver is not the requester, not the
accountable owner of the proposing agent (unless that rule is switched off),
holds one of the required roles, has viewed the evidence when policy asks for
it, and counts once: quorum is distinct people. One denial denies. An expired
request cannot be approved. Break-glass authorizes without approvals, with a
justification, and opens a review that another person must close in time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from affidavit.errors import AuthError, Conflict, PolicyError
from affidavit.governance import _tables as t
from affidavit.governance import authorization
from affidavit.governance import proposals as p
from affidavit.governance._common import IdSource, check_text, later
from affidavit.governance.configuration_store import active_hash
from affidavit.governance.events import (
    ApprovalDenied,
    ApprovalGranted,
    BreakglassInvoked,
    BreakglassReviewed,
    EvidenceViewed,
)
from affidavit.governance.identities import Identity
from affidavit.governance.identities import load as load_identity
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
    if approver.id == proposal.proposer_id:
        raise PolicyError(f"{approver.id} proposed {proposal.id} and cannot also approve it")
    proposer = load_identity(batch.conn, proposal.proposer_id)
    if not proposer.is_human and proposer.owner == approver.id and not owner_may_approve:
        raise PolicyError(
            f"{approver.id} owns agent {proposer.id}, which proposed {proposal.id}; "
            "an owner cannot approve their own agent's proposal"
        )
    if proposal.approver_roles and not set(proposal.approver_roles) & set(approver.roles):
        raise PolicyError(
            f"approving {proposal.id} needs one of the roles {', '.join(proposal.approver_roles)}; "
            f"{approver.id} has {', '.join(approver.roles) or 'none'}"
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
) -> p.Proposal:
    _require_human(approver, "approve or deny")
    proposal = _open_request(batch, proposal_id, now)
    _check_separation(batch, proposal, approver, owner_may_approve)
    rationale = check_text(rationale, "a rationale", required=not approve)
    a = t.approvals
    earlier = batch.conn.execute(
        select(a.c.verdict).where(a.c.proposal_id == proposal_id, a.c.approver_id == approver.id)
    ).first()
    if earlier:
        raise Conflict(
            f"{approver.id} already decided on {proposal_id}; quorum counts distinct people"
        )
    if approve and proposal.require_evidence_view:
        viewed = batch.conn.execute(
            select(t.evidence_views.c.seq).where(
                t.evidence_views.c.proposal_id == proposal_id,
                t.evidence_views.c.identity_id == approver.id,
            )
        ).first()
        if not viewed:
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
    if "breakglass" not in invoker.roles:
        raise PolicyError(f"{invoker.id} does not hold the breakglass right")
    justification = check_text(justification, "a justification", required=True)
    proposal = _open_request(batch, proposal_id, now)
    if invoker.id == proposal.proposer_id:
        raise PolicyError(f"{invoker.id} proposed {proposal_id} and cannot break glass on it")
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
    r = t.breakglass_reviews
    row = batch.conn.execute(select(r).where(r.c.proposal_id == proposal_id)).first()
    if row is None:
        raise Conflict(f"no break-glass was invoked on {proposal_id}")
    if row.reviewed_by is not None:
        raise Conflict(
            f"the break-glass on {proposal_id} was already reviewed by {row.reviewed_by}"
        )
    if reviewer.id == row.invoked_by:
        raise PolicyError(f"{reviewer.id} broke the glass on {proposal_id} and cannot review it")
    rationale = check_text(rationale, "a rationale", required=True)
    proposal = p.load(batch.conn, proposal_id, now)
    batch.emit(
        BreakglassReviewed(
            actor=reviewer.actor,
            case=proposal.case_id,
            proposal=proposal_id,
            outcome="upheld" if upheld else "rejected",
            rationale=rationale,
            late=batch.time > row.due_at,
        )
    )
