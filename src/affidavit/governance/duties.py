"""Separation of duties: who may approve, break glass on, or review a proposal.

One rule set for the three ways a person gives authority or checks it:

- nobody acts on their own request: not the proposer, not the accountable owner of
  the proposing agent (for approvals the owner rule can be switched off; never for
  break-glass or its review);
- approving needs one of the roles the policy named; when it named none, some
  ``approver:*`` role (a person with no approver role never approves);
- breaking glass needs the ``breakglass`` right;
- reviewing a break-glass needs a role that could have approved the proposal, and
  the reviewer is neither the requester, nor the agent's owner, nor the breaker;
- each is checked inside the write, on the identity as stored then: a person
  suspended, retired or expired after authenticating is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from affidavit.errors import PolicyError
from affidavit.governance import identities
from affidavit.governance import proposals as p
from affidavit.governance.identities import Identity
from affidavit.governance.separation import may_approve, roles_needed, separation_reason

__all__ = [
    "check_approver",
    "check_breaker",
    "check_reviewer",
    "current",
]


def current(conn: Connection, who: Identity, now: datetime) -> Identity:
    """``who`` as stored now, active and unexpired (inside the write)."""
    return identities.require_active(identities.load(conn, who.id), now)


def _not_requester_nor_owner(
    conn: Connection, proposal: p.Proposal, person: Identity, what: str
) -> None:
    if person.id == proposal.proposer_id:
        raise PolicyError(f"{person.id} proposed {proposal.id} and cannot {what} it")
    proposer = identities.load(conn, proposal.proposer_id)
    if not proposer.is_human and proposer.owner == person.id:
        raise PolicyError(
            f"{person.id} owns agent {proposer.id}, which proposed {proposal.id}; "
            f"an owner cannot {what} their own agent's proposal"
        )


def check_approver(
    conn: Connection, proposal: p.Proposal, approver: Identity, owner_may_approve: bool
) -> None:
    """The separation-of-duties rule in the words the console shows before anyone tries."""
    proposer = identities.load(conn, proposal.proposer_id)
    reason = separation_reason(proposal, approver, proposer, owner_may_approve=owner_may_approve)
    if reason is not None:
        raise PolicyError(reason)


def check_breaker(conn: Connection, proposal: p.Proposal, invoker: Identity) -> None:
    if "breakglass" not in invoker.roles:
        raise PolicyError(f"{invoker.id} does not hold the breakglass right")
    _not_requester_nor_owner(conn, proposal, invoker, "break glass on")


def check_reviewer(
    conn: Connection, proposal: p.Proposal, reviewer: Identity, invoked_by: str
) -> None:
    if reviewer.id == invoked_by:
        raise PolicyError(f"{reviewer.id} broke the glass on {proposal.id} and cannot review it")
    _not_requester_nor_owner(conn, proposal, reviewer, "review the break-glass on")
    if not may_approve(proposal, reviewer):
        raise PolicyError(
            f"reviewing the break-glass on {proposal.id} needs a role that could approve it "
            f"({roles_needed(proposal)}); {reviewer.id} has "
            f"{', '.join(reviewer.roles) or 'none'}"
        )
