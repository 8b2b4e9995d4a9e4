"""Why policy decided what it did on a proposal, as the ledger recorded it.

Added for the gateways and adapters: an agent whose tool call was denied gets the
policy's reasons (and which policies decided), not only the status.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from affidavit.api._respond import governor, run
from affidavit.api.auth import Caller, allow
from affidavit.errors import NotFound

router = APIRouter(tags=["proposals"])

ProposalId = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
_FIELDS = (
    "effect",
    "reasons",
    "determining_policies",
    "approvals_required",
    "approver_roles",
    "require_evidence_view",
    "bundle_hash",
)


@router.get(
    "/proposals/{proposal_id}/decision", response_model=dict[str, Any], name="proposals.decision"
)
async def show_decision(
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.decision")),
) -> dict[str, Any]:
    """The policy decision recorded with the proposal: effect, reasons, deciding policies.
    Agents and integrations read only their own proposals' decisions."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        proposal = gov.proposal(proposal_id)
        if caller.is_machine and proposal.proposer_id != caller.identity.id:
            raise NotFound(f"no proposal {proposal_id}")
        decided = gov.ledger.entry(proposal.seq).body.get("decision", {})
        return {"proposal": proposal.id, **{k: decided.get(k) for k in _FIELDS}}

    return await run(fn)
