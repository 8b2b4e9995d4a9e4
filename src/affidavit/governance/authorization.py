"""Authorizations: issued, and consumed, here and nowhere else.

An authorization is the single-use, expiring permission to execute exactly one
proposal's action hash under the policy bundle it was decided on. It is issued
when policy allows the proposal, when the approval quorum is reached, or by a
break-glass (``authorization.issued``), and consumed by its first execution
(``execution.started``, whose id is the authorization id) after every check
below, inside the write transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select

from affidavit import canonical
from affidavit.errors import AuthError, Conflict, PolicyError
from affidavit.governance import _tables as t
from affidavit.governance._common import IdSource, iso, later
from affidavit.governance._config_tables import configurations
from affidavit.governance.configuration_store import active_hash
from affidavit.governance.events import AuthorizationIssued, ExecutionStarted
from affidavit.governance.lifecycle import AUTHORIZED
from affidavit.ledger.batch import Batch

if TYPE_CHECKING:
    from affidavit.governance.proposals import Proposal

__all__ = ["action_hash", "consume", "issue"]


def action_hash(action: str, target: str, params: Mapping[str, Any]) -> str:
    """What an authorization is bound to: the exact action, target and parameters."""
    return canonical.sha256_hex({"action": action, "target": target, "params": dict(params)})


def issue(
    batch: Batch, proposal: Proposal, via: str, now: datetime, ttl_s: float, ids: IdSource
) -> str:
    """Authorize exactly this proposal's action hash (``via`` policy, approvals or
    breakglass), expiring ``ttl_s`` after ``now``; returns the authorization id."""
    authorization_id = ids("auth")
    batch.emit(
        AuthorizationIssued(
            actor="system:governor",
            case=proposal.case_id,
            proposal=proposal.id,
            authorization=authorization_id,
            action_hash=proposal.action_hash,
            bundle_hash=proposal.bundle_hash,
            via=via,
            expires_at=later(now, ttl_s),
            config_hash=active_hash(batch.conn),
        )
    )
    return authorization_id


# The authorization and, in the same read, the proposal's current status.
_AUTHORIZATION = (
    select(
        t.authorizations,
        t.proposals.c.status.label("proposal_status"),
        t.proposals.c.seq.label("decided_seq"),
    )
    .join(t.proposals, t.proposals.c.id == t.authorizations.c.proposal_id)
    .where(t.authorizations.c.proposal_id == bindparam("pid"))
)


def consume(
    batch: Batch,
    proposal: Proposal,
    *,
    action: str,
    target: str,
    params: Mapping[str, Any],
    active_bundle_hash: str,
    connector: str,
    now: datetime,
    actor: str = "system:executor",
    redrive: bool = True,
) -> str:
    """Use the proposal's authorization for exactly (action, target, params); its id.

    Refused when there is none, it was used, it expired, the proposal was
    withdrawn, the action, target or parameters differ, or a policy bundle or a
    governance configuration was published since the proposal was decided (even
    one with the same text). An
    execution that started and never finished (a crash) is re-driven under the
    same id: connectors run an id at most once.
    """
    proposal_id = proposal.id
    auth = batch.conn.execute(_AUTHORIZATION, {"pid": proposal_id}).first()
    if auth is None:
        raise AuthError(f"proposal {proposal_id} has no authorization ({proposal.status})")
    execution = batch.conn.execute(
        select(t.executions.c.status, t.executions.c.connector).where(t.executions.c.id == auth.id)
    ).first()
    if execution is not None and execution.status == "running":
        if redrive and execution.connector == connector:
            return str(auth.id)  # re-drive an interrupted execution, through the same connector
        raise Conflict(
            f"the authorization of {proposal_id} is being executed by {execution.connector}"
        )
    if auth.consumed_at is not None:
        raise Conflict(f"the authorization of {proposal_id} was already used at {auth.consumed_at}")
    if auth.proposal_status != AUTHORIZED:  # withdrawn by a disposition since
        raise Conflict(f"proposal {proposal_id} is {auth.proposal_status}; it is not executed")
    if auth.expires_at <= iso(now):
        raise AuthError(f"the authorization of {proposal_id} expired at {auth.expires_at}")
    if action_hash(action, target, params) != auth.action_hash:
        raise PolicyError(
            f"the action, target or parameters differ from what was authorized for {proposal_id}; "
            "a changed action needs a new proposal"
        )
    if auth.bundle_hash != active_bundle_hash:
        raise PolicyError(
            f"the policy changed since {proposal_id} was authorized "
            f"(bundle {auth.bundle_hash[:12]}, now {active_bundle_hash[:12]}); propose again"
        )
    # Bound to the publication, not only the text: a bundle published after the
    # decision voids it even when its text is the one decided under (A -> B -> A).
    # A published configuration voids it the same way: the catalog's tiers, quorums
    # and TTLs the decision relied on may have changed.
    for what, table in (
        ("policy bundle", t.policy_bundles),
        ("governance configuration", configurations),
    ):
        published = batch.conn.execute(select(func.max(table.c.published_seq))).scalar()
        if published is not None and published > auth.decided_seq:
            raise PolicyError(
                f"a {what} was published (entry {published}) after {proposal_id} was decided "
                f"(entry {auth.decided_seq}); its authorization is void: propose again"
            )
    batch.emit(
        ExecutionStarted(
            actor=actor,
            case=proposal.case_id,
            proposal=proposal_id,
            execution=auth.id,
            authorization=auth.id,
            action_hash=auth.action_hash,
            connector=connector,
        )
    )
    return str(auth.id)
