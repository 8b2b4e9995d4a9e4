"""Why this person may not decide a proposal, in plain words (None: they may).

Mirrors the Governor's checks at decision time (approvals.decide and its
separation of duties) so the page can say so before anyone tries; the Governor
still decides, and its refusal is what the page shows when the two disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from affidavit.governance.identities import Identity
from affidavit.governance.proposals import Proposal

__all__ = ["decision_blocker", "eligible_approvers"]


def decision_blocker(
    proposal: Proposal,
    viewer: Identity,
    proposer: Identity | None,
    approvals: Sequence[dict[str, Any]],
    *,
    owner_may_approve: bool,
) -> str | None:
    if proposal.status != "pending_approval":
        status = proposal.status.replace("_", " ")
        return f"This proposal is {status}: there is nothing left to decide."
    if viewer.id == proposal.proposer_id:
        return (
            "You requested this action, so you cannot also approve it: separation of duties "
            "needs a second person to decide."
        )
    if (
        proposer is not None
        and not proposer.is_human
        and proposer.owner == viewer.id
        and not owner_may_approve
    ):
        return (
            f"You are the accountable owner of {proposer.kind} {proposer.id}, which requested "
            "this action; an owner cannot approve their own agent's proposals."
        )
    if not any(r.startswith("approver:") for r in viewer.roles):
        return (
            "You hold no approver role, so you cannot approve or deny proposals. "
            "Ask an approver to decide this one."
        )
    if proposal.approver_roles and not set(proposal.approver_roles) & set(viewer.roles):
        return (
            f"Deciding this needs one of the roles {', '.join(proposal.approver_roles)}; "
            f"you have {', '.join(viewer.roles) or 'none'}."
        )
    for a in approvals:
        if a["approver"] == viewer.id:
            verdict = "approved" if a["verdict"] == "approve" else "denied"
            return (
                f"You already {verdict} this proposal; the quorum counts distinct people, "
                "so someone else must give the remaining approvals."
            )
    return None


def eligible_approvers(
    proposal: Proposal,
    people: Sequence[Identity],
    proposer: Identity | None,
    approvals: Sequence[dict[str, Any]],
    *,
    owner_may_approve: bool,
) -> list[str]:
    """Who could still give an approval (active people the checks above let through)."""
    found = []
    for person in people:
        if not person.is_human or person.status != "active":
            continue
        if (
            decision_blocker(
                proposal, person, proposer, approvals, owner_may_approve=owner_may_approve
            )
            is None
        ):
            found.append(person.id)
    return found
