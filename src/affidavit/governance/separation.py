"""Why this person may not decide a proposal, in plain words (None: they may).

Pure functions (no I/O). :func:`separation_reason` is the separation-of-duties rule
itself: :func:`affidavit.governance.approvals.decide` refuses with its words, and
the console shows the same words before anyone tries. :func:`decision_blocker`
adds what else stops a person (the proposal's state, no approver role, a decision
already given) for pages that say so up front.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from affidavit.governance.identities import Identity
from affidavit.governance.proposals import Proposal

__all__ = [
    "decision_blocker",
    "eligible_approvers",
    "may_approve",
    "roles_needed",
    "separation_reason",
]


def may_approve(proposal: Proposal, person: Identity) -> bool:
    """Whether ``person`` holds a role that may approve ``proposal``: one the policy
    named, or when it named none some ``approver:*`` role (a person with no approver
    role never approves)."""
    if proposal.approver_roles:
        return bool(set(proposal.approver_roles) & set(person.roles))
    return any(role.startswith("approver:") for role in person.roles)


def roles_needed(proposal: Proposal) -> str:
    return ", ".join(proposal.approver_roles) or "approver:*"


def separation_reason(
    proposal: Proposal,
    viewer: Identity,
    proposer: Identity | None,
    *,
    owner_may_approve: bool,
) -> str | None:
    """Why separation of duties keeps ``viewer`` from deciding, or None."""
    if viewer.id == proposal.proposer_id:
        return (
            f"You requested this action (you proposed {proposal.id}), so you cannot also "
            "approve it: separation of duties needs a second person to decide."
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
    if not may_approve(proposal, viewer):
        return (
            f"Deciding this needs one of the roles {roles_needed(proposal)}; "
            f"you have {', '.join(viewer.roles) or 'none'}."
        )
    return None


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
    reason = separation_reason(proposal, viewer, proposer, owner_may_approve=owner_may_approve)
    if reason is not None:
        return reason
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
