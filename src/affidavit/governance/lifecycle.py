"""The proposal state machine, in one place (docs/governance.md shows the same table).

A proposal is created ``authorized`` (policy allows), ``pending_approval`` or
``denied``. Approvals (quorum) or a break-glass authorize a pending proposal; a
denial denies it; past its expiry, unauthorized, it is ``expired`` (derived at
read time from the clock, no entry). An authorized proposal is executed once:
``executed`` or ``failed``. A person's disposition records what became of the
recommendation; rejecting, overriding or modifying one that has not run yet
withdraws it (``withdrawn``: nothing more happens to it). A disposition on an
action carried out cannot contradict that. A later disposition supersedes the
current one explicitly, never silently.

Commands check these rules before they emit (with a message for the person
acting); the projector enforces every status change again as it applies the
entry, so no ledger, live or replayed, can hold a contradiction.
"""

from __future__ import annotations

from collections.abc import Mapping

from affidavit.errors import Conflict
from affidavit.governance import events as ev
from affidavit.ledger.events import Event

__all__ = [
    "AUTHORIZED",
    "DENIED",
    "DISPOSITIONS",
    "EXECUTED",
    "EXPIRED",
    "FAILED",
    "PENDING",
    "REQUIRES",
    "STATES",
    "STATUS_AT_CREATION",
    "TRANSITIONS",
    "WITHDRAWING",
    "WITHDRAWN",
    "check_disposition",
    "sources",
    "target",
]

PENDING = "pending_approval"
AUTHORIZED = "authorized"
EXECUTED = "executed"
FAILED = "failed"
DENIED = "denied"
EXPIRED = "expired"
WITHDRAWN = "withdrawn"
STATES = (PENDING, AUTHORIZED, EXECUTED, FAILED, DENIED, EXPIRED, WITHDRAWN)

STATUS_AT_CREATION: Mapping[str, str] = {"allow": AUTHORIZED, "deny": DENIED}
"""A proposal's status when created, by decision effect (otherwise pending_approval)."""

TRANSITIONS: Mapping[tuple[type[Event], str], tuple[frozenset[str], str]] = {
    (ev.ApprovalDenied, ""): (frozenset({PENDING}), DENIED),
    (ev.AuthorizationIssued, ""): (frozenset({PENDING}), AUTHORIZED),
    (ev.ExecutionFinished, "succeeded"): (frozenset({AUTHORIZED}), EXECUTED),
    (ev.ExecutionFinished, "failed"): (frozenset({AUTHORIZED}), FAILED),
    (ev.ProposalWithdrawn, ""): (frozenset({PENDING, AUTHORIZED}), WITHDRAWN),
}
"""Every stored status change after creation, by (event, variant): (the states it may
leave, the state it leads to). An authorization issued by policy comes with the
creation (already authorized); one from approvals or break-glass must come before
the proposal expires."""

REQUIRES: Mapping[type[Event], frozenset[str]] = {
    ev.ApprovalGranted: frozenset({PENDING}),
    ev.BreakglassInvoked: frozenset({PENDING}),
    ev.ExecutionStarted: frozenset({AUTHORIZED}),
}
"""Events that change no status but are only allowed in these states."""

DISPOSITIONS: Mapping[str, frozenset[str]] = {
    "accepted": frozenset(STATES),
    "rejected": frozenset({PENDING, AUTHORIZED, DENIED, EXPIRED, WITHDRAWN}),
    "overridden": frozenset({PENDING, AUTHORIZED, FAILED, DENIED, EXPIRED, WITHDRAWN}),
    "modified": frozenset({PENDING, AUTHORIZED, FAILED, DENIED, EXPIRED, WITHDRAWN}),
}
"""The outcomes a disposition may record, by the proposal's status. An action carried
out exactly as recommended (executed) can only have been accepted; one that was
attempted and failed cannot be said to have been rejected."""

WITHDRAWING = frozenset({"rejected", "overridden", "modified"})
"""Outcomes that withdraw a recommendation that has not run yet (pending or authorized)."""


def sources(event: type[Event], variant: str = "") -> frozenset[str]:
    """The states ``event`` may happen in (any, when the machine does not constrain it)."""
    if (event, variant) in TRANSITIONS:
        return TRANSITIONS[event, variant][0]
    return REQUIRES.get(event, frozenset(STATES))


def target(event: type[Event], variant: str = "") -> str:
    return TRANSITIONS[event, variant][1]


def check_disposition(
    proposal_id: str, status: str, outcome: str, *, running: bool = False
) -> bool:
    """Refuse an outcome the proposal's state contradicts; True when it withdraws it.

    ``running``: an execution of the proposal has started (too late to withdraw).
    """
    if status not in DISPOSITIONS[outcome]:
        raise Conflict(
            f"proposal {proposal_id} is {status}: a disposition cannot say it was {outcome}"
            + (" (it was carried out as recommended)" if status == EXECUTED else "")
        )
    withdraws = outcome in WITHDRAWING and status in sources(ev.ProposalWithdrawn)
    if withdraws and running:
        raise Conflict(
            f"proposal {proposal_id} is being executed; record the disposition once it finished"
        )
    return withdraws
