"""Proposals: what an agent (or a person) recommends, and the decision on it.

The decision is computed when the proposal is made, under the active policy
bundle, and recorded with it. ``allow`` yields an authorization at once;
``require_approval`` opens an approval request; ``deny`` closes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from affidavit.errors import InputError, NotFound
from affidavit.governance import _tables as t
from affidavit.governance import authorization
from affidavit.governance._common import IdSource, from_json, iso, later
from affidavit.governance.authorization import action_hash
from affidavit.governance.events import ProposalCreated
from affidavit.governance.lifecycle import EXPIRED, PENDING, STATES, STATUS_AT_CREATION
from affidavit.ledger.batch import Batch
from affidavit.policy import Decision

__all__ = ["STATUSES", "Proposal", "action_hash", "effective_status", "record"]

STATUSES = STATES
MAX_EVIDENCE_REFS = 100


@dataclass(frozen=True)
class Proposal:
    id: str
    case_id: str
    step_id: str | None
    proposer_id: str
    action: str
    target: str
    params: dict[str, Any]
    action_hash: str
    confidence: float | None
    rationale: str
    evidence: list[str]
    effect: str
    approvals_required: int
    approver_roles: tuple[str, ...]
    require_evidence_view: bool
    bundle_hash: str
    status: str
    expires_at: str | None
    created_at: str
    seq: int
    executor: str | None = None
    """``caller``: the proposer executes it and reports (a gateway); None: Affidavit's executor."""
    execution: str | None = None
    """The execution claimed with it: on the answer to ``propose(..., claim=...)`` only."""

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["approver_roles"] = list(self.approver_roles)
        if d["execution"] is None:
            del d["execution"]
        return d


def effective_status(status: str, expires_at: str | None, now: datetime) -> str:
    """A pending request past its expiry is expired, whether or not anyone looked."""
    if status == PENDING and expires_at is not None and expires_at <= iso(now):
        return EXPIRED
    return status


def row_to_proposal(row: Any, now: datetime) -> Proposal:
    return Proposal(
        id=row.id,
        case_id=row.case_id,
        step_id=row.step_id,
        proposer_id=row.proposer_id,
        action=row.action,
        target=row.target,
        params=from_json(row.params),
        action_hash=row.action_hash,
        confidence=row.confidence,
        rationale=row.rationale,
        evidence=from_json(row.evidence),
        effect=row.effect,
        approvals_required=row.approvals_required,
        approver_roles=tuple(from_json(row.approver_roles)),
        require_evidence_view=bool(row.require_evidence_view),
        bundle_hash=row.bundle_hash,
        status=effective_status(row.status, row.expires_at, now),
        expires_at=row.expires_at,
        created_at=row.created_at,
        seq=row.seq,
        executor=row.executor,
    )


def load(conn: Connection, proposal_id: str, now: datetime) -> Proposal:
    if not isinstance(proposal_id, str) or len(proposal_id) > 64:
        raise InputError("a proposal id is a short string such as prop_...")
    row = conn.execute(select(t.proposals).where(t.proposals.c.id == proposal_id)).first()
    if row is None:
        raise NotFound(f"no proposal {proposal_id}")
    return row_to_proposal(row, now)


def list_proposals(
    conn: Connection, now: datetime, *, status: str | None = None, case: str | None = None
) -> list[Proposal]:
    q = select(t.proposals).order_by(t.proposals.c.seq)
    if case is not None:
        q = q.where(t.proposals.c.case_id == case)
    found = [row_to_proposal(r, now) for r in conn.execute(q)]
    if status is not None:
        if status not in STATUSES:
            raise InputError(f"status must be one of {', '.join(STATUSES)}")
        found = [p for p in found if p.status == status]
    return found


def record(
    batch: Batch,
    *,
    proposer_actor: str,
    proposer_id: str,
    case_id: str,
    step_id: str | None,
    action: str,
    target: str,
    params: Mapping[str, Any],
    confidence: float | None,
    rationale: str,
    evidence: Sequence[str],
    decision: Decision,
    now: datetime,
    authorization_ttl_s: float,
    ids: IdSource,
    executor: str | None = None,
    recorded_under: Mapping[str, str] | None = None,
) -> Proposal:
    """Record the proposal and its policy decision; ``recorded_under`` (the catalog and
    configuration hashes the decision was made under) goes into the entry's decision."""
    decided = decision.to_dict()
    expires = (
        later(now, decision.expires_after_s)
        if decision.effect == "require_approval" and decision.expires_after_s
        else None
    )
    event = ProposalCreated(
        actor=proposer_actor,
        case=case_id,
        id=ids("prop"),
        step=step_id,
        proposer=proposer_id,
        action=action,
        target=target,
        params=dict(params),
        action_hash=action_hash(action, target, params),
        confidence=confidence,
        rationale=rationale,
        evidence=tuple(evidence),
        expires_at=expires,
        decision={**{k: v for k, v in decided.items() if k != "inputs"}, **(recorded_under or {})},
        decision_inputs=decided["inputs"],
        executor=executor,
    )
    appended = batch.emit(event)
    proposal = Proposal(
        id=event.id,
        case_id=case_id,
        step_id=step_id,
        proposer_id=proposer_id,
        action=action,
        target=target,
        params=dict(params),
        action_hash=event.action_hash,
        confidence=confidence,
        rationale=rationale,
        evidence=list(evidence),
        effect=decision.effect,
        approvals_required=decision.approvals_required,
        approver_roles=tuple(decision.approver_roles),
        require_evidence_view=decision.require_evidence_view,
        bundle_hash=decision.bundle_hash,
        status=STATUS_AT_CREATION.get(decision.effect, PENDING),
        expires_at=expires,
        created_at=batch.time,
        seq=appended.seq,
        executor=executor,
    )
    if decision.effect == "allow":
        authorization.issue(batch, proposal, "policy", now, authorization_ttl_s, ids)
    return proposal
