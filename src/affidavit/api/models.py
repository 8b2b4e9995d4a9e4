"""Request and response bodies. Requests refuse unknown fields (``extra="forbid"``);
the Governor checks meaning (names, case ids, policy), these check shape and size."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "CASE_PATTERN",
    "AssetIn",
    "AssetsIn",
    "BreakglassIn",
    "CompleteIn",
    "ConfigurationIn",
    "DecisionIn",
    "DetokenizeIn",
    "DispositionIn",
    "ErasureIn",
    "EvidenceItemOut",
    "IdentityIn",
    "IdentityOut",
    "OwnerIn",
    "PolicyIn",
    "PolicyTestIn",
    "PrepareIn",
    "PreparedOut",
    "ProposalIn",
    "ProposalOut",
    "ReasonIn",
    "ReviewIn",
    "StatusIn",
    "StepIn",
    "StepOut",
    "SweepIn",
]

Text = Field(default="", max_length=4000)
# Shapes are checked here too so that a refused value is never echoed back.
Name = Field(min_length=1, max_length=128, pattern=r"^[a-z0-9][a-z0-9._@-]*$")
CASE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
"""A case id: path, query and body parameters all check it with this one pattern."""
CaseId = Field(min_length=1, max_length=128, pattern=CASE_PATTERN)
StepText = Field(max_length=1_000_000)
Reason = Field(min_length=1, max_length=4000)
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProposalIn(_In):
    case: str = CaseId
    action: str = Field(min_length=1, max_length=64)
    target: str = Field(min_length=1, max_length=300, description="KIND:ID, e.g. host:pc-1")
    params: dict[str, Any] = Field(default_factory=dict)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    rationale: str = Text
    evidence: list[str] = Field(default_factory=list, max_length=100)
    step: str | None = Field(default=None, max_length=64)
    executor: Literal["caller"] | None = Field(
        default=None,
        description="caller: the proposer acts itself once authorized (a gateway) and "
        "reports it; Affidavit's executor never runs it",
    )
    claim: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="with executor caller: when the policy allows it, claim the execution "
        "for this connector at once (the answer's execution)",
    )


class ExecutionClaimIn(_In):
    connector: str = Field(min_length=1, max_length=64, description="who acts, e.g. gateway:tools")


class ExecutionReportIn(_In):
    status: Literal["succeeded", "failed"]
    detail: dict[str, Any] = Field(
        default_factory=dict, description="plaintext in the ledger: references, never content"
    )
    external_ref: str | None = Field(default=None, min_length=1, max_length=200)


class DecisionIn(_In):
    rationale: str = Text


class BreakglassIn(_In):
    justification: str = Field(min_length=1, max_length=4000)


class ReviewIn(_In):
    upheld: bool
    rationale: str = Field(min_length=1, max_length=4000)


class DispositionIn(_In):
    outcome: Literal["accepted", "rejected", "overridden", "modified"]
    reason: str = Field(min_length=1, max_length=32)
    rationale: str = Text
    override_with: str | None = Field(default=None, max_length=64)
    evidence_viewed: list[str] = Field(default_factory=list, max_length=100)


class DetokenizeIn(_In):
    token: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=4000)
    case: str = CaseId


class _StepBase(_In):
    case: str = CaseId
    model: str = Field(min_length=1, max_length=128)
    model_version: str = Field(min_length=1, max_length=128)
    prompt: str = StepText
    inputs: list[str] = Field(default_factory=list, max_length=32)
    params: dict[str, Any] = Field(default_factory=dict)
    parents: list[str] = Field(default_factory=list, max_length=32)
    data_classes: list[str] = Field(default_factory=list, max_length=64)


class StepIn(_StepBase):
    output: str = StepText


class PrepareIn(_StepBase):
    pass


class ExecutionEndIn(_In):
    id: str = Field(min_length=1, max_length=64)
    status: Literal["succeeded", "failed"]
    detail: dict[str, Any] = Field(default_factory=dict)


class CompleteIn(_In):
    output: str = StepText
    execution: ExecutionEndIn | None = Field(
        default=None,
        description="the output is what the caller's own claimed execution answered: it "
        "ends in the same write",
    )


class IdentityIn(_In):
    id: str = Name
    kind: Literal["human", "agent", "model", "integration"]
    roles: list[str] = Field(default_factory=list, max_length=64)
    owner: str | None = Field(default=None, max_length=128)
    scopes: list[str] = Field(default_factory=list, max_length=256)
    data_classes: list[str] = Field(default_factory=list, max_length=64)
    models: list[str] = Field(default_factory=list, max_length=256)
    expires_at: str | None = Field(default=None, max_length=32)


class StatusIn(_In):
    status: Literal["active", "suspended", "retired"]


class AssetIn(_In):
    id: str = Field(min_length=1, max_length=256)
    kind: str = Field(min_length=1, max_length=32)
    criticality: Literal["low", "medium", "high", "critical"]
    environment: str = Field(min_length=1, max_length=64)
    owner: str = Field(default="", max_length=256)
    tags: list[str] = Field(default_factory=list, max_length=64)


class AssetsIn(_In):
    assets: list[AssetIn] = Field(min_length=1, max_length=10_000)


class PolicyIn(_In):
    text: str = Field(min_length=1, max_length=1024 * 1024)


class PolicyTestIn(_In):
    cases: str = Field(min_length=1, max_length=1024 * 1024, description="YAML cases")
    bundle: str | None = Field(default=None, max_length=1024 * 1024)


class ReasonIn(_In):
    reason: str = Reason


class ErasureIn(_In):
    case: str | None = Field(default=None, min_length=1, max_length=128, pattern=CASE_PATTERN)
    payloads: list[Sha256] = Field(
        default_factory=list, max_length=500, description="SHA-256 of payloads; or a case"
    )
    reason: str = Reason


class SweepIn(_In):
    dry_run: bool = False


class OwnerIn(_In):
    owner: str = Name


class ConfigurationIn(_In):
    text: str = Field(min_length=1, max_length=1024 * 1024, description="YAML")


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ProposalOut(_Out):
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
    approver_roles: list[str]
    require_evidence_view: bool
    bundle_hash: str
    status: str
    expires_at: str | None
    created_at: str
    seq: int
    executor: str | None = None
    execution: str | None = None


class ExecutionOut(_Out):
    execution: str
    proposal: str
    status: str
    proposal_status: str


class EvidenceItemOut(_Out):
    proposal: str
    item: int
    reference: str


class IdentityOut(_Out):
    id: str
    kind: str
    roles: list[str]
    owner: str | None
    scopes: list[str]
    data_classes: list[str]
    models: list[str]
    status: str
    expires_at: str | None


class StepOut(_Out):
    id: str
    seq: int
    data_classes: list[str]
    prompt_sha256: str
    output_sha256: str


class PreparedOut(_Out):
    step_id: str
    seq: int
    prompt: str
    inputs: list[str]
    data_classes: list[str]
    treatments: dict[str, Any]
