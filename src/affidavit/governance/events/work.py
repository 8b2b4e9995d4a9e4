"""Events of the work on a recommendation: from its proposal to its disposition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from affidavit.governance.events._base import strings
from affidavit.ledger.events import Event, Payload

__all__ = [
    "ApprovalDenied",
    "ApprovalGranted",
    "ApprovalRecorded",
    "AuthorizationIssued",
    "BreakglassInvoked",
    "BreakglassReviewed",
    "DispositionRecorded",
    "EvidenceViewed",
    "ExecutionFinished",
    "ExecutionStarted",
    "ProposalCreated",
    "ProposalWithdrawn",
]


@dataclass(frozen=True, kw_only=True)
class ProposalCreated(Event):
    """A recommended action and the policy decision on it, made when it was proposed."""

    type: ClassVar[str] = "proposal.created"

    id: str
    step: str | None
    proposer: str
    action: str
    target: str
    params: Mapping[str, Any]
    action_hash: str
    confidence: float | None
    rationale: str
    evidence: tuple[str, ...]
    expires_at: str | None
    decision: Mapping[str, Any]
    """Effect, approvals, approver roles, evidence view, bundle hash, reasons."""
    decision_inputs: Any
    """What the decision was computed from (principal, targets, context)."""
    executor: str | None = None
    """``caller`` when the proposer executes it itself (a gateway); absent otherwise."""

    def body(self) -> dict[str, Any]:
        proposal = {
            "id": self.id,
            "step": self.step,
            "proposer": self.proposer,
            "action": self.action,
            "target": self.target,
            "params": dict(self.params),
            "action_hash": self.action_hash,
            "confidence": self.confidence,
            "rationale": self.rationale,
            "evidence": list(self.evidence),
            "expires_at": self.expires_at,
        }
        if self.executor is not None:  # absent by default: older entries stay byte-identical
            proposal["executor"] = self.executor
        return {
            "proposal": proposal,
            "decision": dict(self.decision),
            "decision_inputs": self.decision_inputs,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        p = body["proposal"]
        return {
            "id": p["id"],
            "step": p["step"],
            "proposer": p["proposer"],
            "action": p["action"],
            "target": p["target"],
            "params": p["params"],
            "action_hash": p["action_hash"],
            "confidence": p["confidence"],
            "rationale": p["rationale"],
            "evidence": strings(p["evidence"]),
            "expires_at": p["expires_at"],
            "decision": body["decision"],
            "decision_inputs": body["decision_inputs"],
            "executor": p.get("executor"),
        }

    @property
    def effect(self) -> str:
        return str(self.decision["effect"])


@dataclass(frozen=True, kw_only=True)
class EvidenceViewed(Event):
    """The actor opened a proposal's evidence (some approvals require it)."""

    type: ClassVar[str] = "evidence.viewed"

    proposal: str
    evidence: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        return {"proposal": self.proposal, "evidence": list(self.evidence)}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"proposal": body["proposal"], "evidence": strings(body["evidence"])}


@dataclass(frozen=True, kw_only=True)
class ApprovalRecorded(Event):
    """A person's verdict on a pending proposal; each verdict is its own entry type."""

    verdict: ClassVar[str] = ""

    proposal: str
    rationale: str
    seconds_from_first_view: float | None = None
    """Seconds from the approver's first ledgered view of the proposal's evidence to this
    decision; absent from the body when they never opened it (and in entries written
    before the field existed)."""
    config_hash: str | None = None
    """The governance configuration the verdict was given under (None: an entry written
    before configurations were recorded)."""

    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = {"proposal": self.proposal, "rationale": self.rationale}
        if self.seconds_from_first_view is not None:
            found["seconds_from_first_view"] = self.seconds_from_first_view
        if self.config_hash is not None:
            found["config_hash"] = self.config_hash
        return found

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "proposal": body["proposal"],
            "rationale": body["rationale"],
            "seconds_from_first_view": body.get("seconds_from_first_view"),
            "config_hash": body.get("config_hash"),
        }


@dataclass(frozen=True, kw_only=True)
class ApprovalGranted(ApprovalRecorded):
    type: ClassVar[str] = "approval.granted"
    verdict: ClassVar[str] = "approve"


@dataclass(frozen=True, kw_only=True)
class ApprovalDenied(ApprovalRecorded):
    """One denial denies the proposal."""

    type: ClassVar[str] = "approval.denied"
    verdict: ClassVar[str] = "deny"


@dataclass(frozen=True, kw_only=True)
class AuthorizationIssued(Event):
    """Single-use, expiring permission to execute exactly one action hash under one bundle."""

    type: ClassVar[str] = "authorization.issued"

    proposal: str
    authorization: str
    action_hash: str
    bundle_hash: str
    via: str
    """policy, approvals or breakglass."""
    expires_at: str
    config_hash: str | None = None
    """The governance configuration it was issued under (None: an entry written before
    configurations were recorded)."""

    def body(self) -> dict[str, Any]:
        body = {
            "proposal": self.proposal,
            "authorization": self.authorization,
            "action_hash": self.action_hash,
            "bundle_hash": self.bundle_hash,
            "via": self.via,
            "expires_at": self.expires_at,
        }
        if self.config_hash is not None:
            body["config_hash"] = self.config_hash
        return body

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        keys = ("proposal", "authorization", "action_hash", "bundle_hash", "via", "expires_at")
        return {**{k: body[k] for k in keys}, "config_hash": body.get("config_hash")}


@dataclass(frozen=True, kw_only=True)
class BreakglassInvoked(Event):
    """Emergency authority without approvals; another person must review it by ``review_due``."""

    type: ClassVar[str] = "breakglass.invoked"

    proposal: str
    justification: str
    review_due: str

    def body(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "justification": self.justification,
            "review_due": self.review_due,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {k: body[k] for k in ("proposal", "justification", "review_due")}


@dataclass(frozen=True, kw_only=True)
class BreakglassReviewed(Event):
    """The review of a break-glass: upheld or rejected, with a rationale, late or not."""

    type: ClassVar[str] = "breakglass.reviewed"

    proposal: str
    outcome: str
    rationale: str
    late: bool

    def body(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "outcome": self.outcome,
            "rationale": self.rationale,
            "late": self.late,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {k: body[k] for k in ("proposal", "outcome", "rationale", "late")}


@dataclass(frozen=True, kw_only=True)
class ExecutionStarted(Event):
    """The executor consumed the authorization; the execution id is the authorization id."""

    type: ClassVar[str] = "execution.started"

    proposal: str
    execution: str
    authorization: str
    action_hash: str
    connector: str

    def body(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "execution": self.execution,
            "authorization": self.authorization,
            "action_hash": self.action_hash,
            "connector": self.connector,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        keys = ("proposal", "execution", "authorization", "action_hash", "connector")
        return {k: body[k] for k in keys}


@dataclass(frozen=True, kw_only=True)
class ExecutionFinished(Event):
    """What the connector reported: succeeded or failed, with its detail."""

    type: ClassVar[str] = "execution.finished"

    proposal: str
    execution: str
    status: str
    detail: Mapping[str, Any]
    external_ref: str | None

    def body(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "execution": self.execution,
            "status": self.status,
            "detail": dict(self.detail),
            "external_ref": self.external_ref,
        }

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {k: body[k] for k in ("proposal", "execution", "status", "detail", "external_ref")}


@dataclass(frozen=True, kw_only=True)
class DispositionRecorded(Event):
    """A person's record of what became of a recommendation, and why."""

    type: ClassVar[str] = "disposition.recorded"

    proposal: str
    outcome: str
    reason: str
    rationale: str
    override_with: str | None
    evidence_viewed: tuple[str, ...]
    supersedes: int | None = None
    """The sequence number of the disposition this one replaces (its actor and rationale
    say who changed it and why); absent from the body of a first disposition."""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "proposal": self.proposal,
            "outcome": self.outcome,
            "reason": self.reason,
            "rationale": self.rationale,
            "override_with": self.override_with,
            "evidence_viewed": list(self.evidence_viewed),
        }
        if self.supersedes is not None:
            body["supersedes"] = self.supersedes
        return body

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {
            "proposal": body["proposal"],
            "outcome": body["outcome"],
            "reason": body["reason"],
            "rationale": body["rationale"],
            "override_with": body["override_with"],
            "evidence_viewed": strings(body["evidence_viewed"]),
            "supersedes": body.get("supersedes"),
        }


@dataclass(frozen=True, kw_only=True)
class ProposalWithdrawn(Event):
    """A person's disposition withdrew a recommendation that had not run: nothing more
    happens to it (no approval, break-glass or execution)."""

    type: ClassVar[str] = "proposal.withdrawn"

    proposal: str
    disposition: int
    """The sequence number of the disposition that withdrew it (who, and why)."""

    def body(self) -> dict[str, Any]:
        return {"proposal": self.proposal, "disposition": self.disposition}

    @classmethod
    def _fields(cls, body: Mapping[str, Any], payloads: Sequence[Payload]) -> dict[str, Any]:
        return {"proposal": body["proposal"], "disposition": int(body["disposition"])}
