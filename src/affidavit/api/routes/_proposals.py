"""Proposals and everything decided about them: approvals, break-glass, reviews,
execution, dispositions; the long poll for a decision."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from affidavit.api._respond import create, governor, run
from affidavit.api.auth import Caller, allow
from affidavit.api.models import (
    BreakglassIn,
    DecisionIn,
    DispositionIn,
    EvidenceItemOut,
    ExecutionClaimIn,
    ExecutionOut,
    ExecutionReportIn,
    ProposalIn,
    ProposalOut,
    ReviewIn,
)
from affidavit.api.pagination import Page, PageParams, page
from affidavit.errors import NotFound

router = APIRouter(tags=["proposals"])

ProposalId = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
ExecutionId = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
_UNDECIDED = ("pending_approval",)


def _own(caller: Caller, proposal: dict[str, Any]) -> dict[str, Any]:
    """Agents and integrations see their own proposals only; others' do not exist for them."""
    if caller.is_machine and proposal["proposer_id"] != caller.identity.id:
        raise NotFound(f"no proposal {proposal['id']}")
    return proposal


@router.post("/proposals", status_code=201, response_model=ProposalOut, name="proposals.create")
async def propose(
    body: ProposalIn, request: Request, caller: Caller = Depends(allow("proposals.create"))
) -> Response:
    """Submit a proposal; the policy decision is made and ledgered with it."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        return gov.propose(
            caller.identity,  # authenticated once per request, by allow()
            case=body.case,
            action=body.action,
            target=body.target,
            params=body.params,
            confidence=body.confidence,
            rationale=body.rationale,
            evidence=body.evidence,
            step=body.step,
            executor=body.executor,
            claim=body.claim,
        ).to_dict()

    return await create(request, caller, fn)


@router.get("/proposals", response_model=Page[ProposalOut], name="proposals.list")
async def list_proposals(
    request: Request,
    paging: PageParams = Depends(),
    status: str | None = Query(None, max_length=32),
    case: str | None = Query(None, max_length=128),
    caller: Caller = Depends(allow("proposals.list")),
) -> dict[str, Any]:
    found = await run(
        governor(request).proposals_page,
        after=paging.int_key(),
        limit=paging.limit,
        status=status,
        case=case,
        proposer=caller.identity.id if caller.is_machine else None,
    )
    return page([p.to_dict() for p in found], paging.limit, lambda p: p["seq"])


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, name="proposals.show")
async def show_proposal(
    request: Request,
    proposal_id: str = ProposalId,
    wait: float = Query(0, ge=0, le=3600, description="Long poll: seconds to wait for a decision"),
    caller: Caller = Depends(allow("proposals.show")),
) -> dict[str, Any]:
    """A proposal with its approvals, executions and dispositions.

    With ``wait``, the answer comes once the proposal is decided (no longer pending
    approval; with auto-execution, once executed, failed, denied or expired, except
    that a proposal its caller executes is answered once authorized), or when the wait
    (capped by the server) runs out.
    """
    gov = governor(request)
    details = _own(caller, await run(gov.proposal_details, proposal_id))
    settings = request.app.state.api_settings
    # With auto-execution, "authorized" lasts only until the executor reports; a
    # proposal its caller executes stays authorized until the caller acts, so for it
    # "authorized" is the decision.
    auto_execute = (await run(gov.configuration)).auto_execute
    runs_here = details.get("executor") != "caller"
    undecided = ("pending_approval", "authorized") if auto_execute and runs_here else _UNDECIDED
    deadline = time.monotonic() + min(wait, settings.max_wait_s)
    while details["status"] in undecided and time.monotonic() < deadline:
        if await request.is_disconnected():
            break
        await asyncio.sleep(settings.poll_interval_s)
        details = await run(gov.proposal_details, proposal_id)
    return details


@router.get(
    "/proposals/{proposal_id}/evidence", response_model=ProposalOut, name="proposals.evidence"
)
async def open_evidence(
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.evidence")),
) -> dict[str, Any]:
    """Open a proposal's evidence: records that this person viewed it (ledgered once)."""
    gov = governor(request)
    await run(gov.view_evidence, caller.token, proposal_id)
    return await run(gov.proposal_details, proposal_id)


@router.get(
    "/proposals/{proposal_id}/evidence/{item}",
    response_model=EvidenceItemOut,
    name="proposals.evidence_item",
)
async def open_evidence_item(
    request: Request,
    proposal_id: str = ProposalId,
    item: int = Path(ge=0, lt=100, description="The item's index in the proposal's evidence"),
    caller: Caller = Depends(allow("proposals.evidence_item")),
) -> dict[str, Any]:
    """Open one evidence item: records that this person opened it (ledgered once per
    item). Approving an action of tier 2 or above needs at least one item opened."""
    reference = await run(governor(request).open_evidence, caller.token, proposal_id, item)
    return {"proposal": proposal_id, "item": item, "reference": reference}


async def _decide(request: Request, caller: Caller, proposal_id: str, fn: Any) -> Response:
    def call() -> dict[str, Any]:
        fn()
        return governor(request).proposal_details(proposal_id)

    return await create(request, caller, call, status=200)


@router.post(
    "/proposals/{proposal_id}/approve", response_model=ProposalOut, name="proposals.approve"
)
async def approve(
    body: DecisionIn,
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.approve")),
) -> Response:
    gov = governor(request)
    return await _decide(
        request,
        caller,
        proposal_id,
        lambda: gov.approve(caller.token, proposal_id, rationale=body.rationale),
    )


@router.post("/proposals/{proposal_id}/deny", response_model=ProposalOut, name="proposals.deny")
async def deny(
    body: DecisionIn,
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.deny")),
) -> Response:
    gov = governor(request)
    return await _decide(
        request,
        caller,
        proposal_id,
        lambda: gov.approve(caller.token, proposal_id, rationale=body.rationale, deny=True),
    )


@router.post(
    "/proposals/{proposal_id}/breakglass",
    response_model=ProposalOut,
    name="proposals.breakglass",
)
async def breakglass(
    body: BreakglassIn,
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.breakglass")),
) -> Response:
    """Authorize without approvals (the breakglass right); opens a review."""
    gov = governor(request)
    return await _decide(
        request,
        caller,
        proposal_id,
        lambda: gov.breakglass(caller.token, proposal_id, justification=body.justification),
    )


@router.post("/proposals/{proposal_id}/review", response_model=ProposalOut, name="proposals.review")
async def review(
    body: ReviewIn,
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.review")),
) -> Response:
    """Close the review of a break-glass (upheld or rejected)."""
    gov = governor(request)
    return await _decide(
        request,
        caller,
        proposal_id,
        lambda: gov.review_breakglass(
            caller.token, proposal_id, upheld=body.upheld, rationale=body.rationale
        ),
    )


@router.post(
    "/proposals/{proposal_id}/execute", response_model=ProposalOut, name="proposals.execute"
)
async def execute(
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.execute")),
) -> Response:
    """The executor: run an authorized proposal's exact action (when auto-execute is off)."""
    gov = governor(request)
    return await _decide(request, caller, proposal_id, lambda: gov.execute(proposal_id))


@router.post(
    "/proposals/{proposal_id}/executions",
    status_code=201,
    response_model=ExecutionOut,
    name="proposals.claim_execution",
)
async def claim_execution(
    body: ExecutionClaimIn,
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.claim_execution")),
) -> Response:
    """OWN. The proposer acts itself (``executor: caller``): consume the single-use
    authorization before acting. 409 when it was already used: do not act."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        execution = gov.claim_execution(caller.token, proposal_id, connector=body.connector)
        status = gov.proposal_details(proposal_id)["status"]
        return {
            "execution": execution,
            "proposal": proposal_id,
            "status": "running",
            "proposal_status": status,
        }

    return await create(request, caller, fn)


@router.post(
    "/executions/{execution_id}/report",
    response_model=ExecutionOut,
    name="executions.report",
)
async def report_execution(
    body: ExecutionReportIn,
    request: Request,
    execution_id: str = ExecutionId,
    caller: Caller = Depends(allow("executions.report")),
) -> Response:
    """OWN. How the proposer's own execution ended."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        proposal, status = gov.report_execution(
            caller.token,
            execution_id,
            status=body.status,
            detail=body.detail,
            external_ref=body.external_ref,
        )
        return {
            "execution": execution_id,
            "proposal": proposal,
            "status": body.status,
            "proposal_status": status,
        }

    return await create(request, caller, fn, status=200)


@router.post(
    "/proposals/{proposal_id}/dispositions",
    status_code=201,
    response_model=dict[str, int],
    name="proposals.dispose",
)
async def dispose(
    body: DispositionIn,
    request: Request,
    proposal_id: str = ProposalId,
    caller: Caller = Depends(allow("proposals.dispose")),
) -> Response:
    """Record what became of a recommendation, and why."""
    gov = governor(request)

    def fn() -> dict[str, int]:
        seq = gov.dispose(
            caller.token,
            proposal_id,
            outcome=body.outcome,
            reason=body.reason,
            rationale=body.rationale,
            override_with=body.override_with,
            evidence_viewed=body.evidence_viewed,
        )
        return {"seq": seq}

    return await create(request, caller, fn)


@router.get("/breakglass-reviews", response_model=Page[dict[str, Any]], name="reviews.list")
async def reviews(
    request: Request,
    paging: PageParams = Depends(),
    overdue: bool = Query(False),
    caller: Caller = Depends(allow("reviews.list")),
) -> dict[str, Any]:
    found = await run(governor(request).breakglass_reviews, overdue_only=overdue)
    after = paging.int_key()
    numbered = [dict(r, index=i) for i, r in enumerate(found) if after is None or i > after]
    return page(numbered[: paging.limit], paging.limit, lambda r: r["index"])


@router.get("/executions", response_model=Page[dict[str, Any]], name="executions.list")
async def executions(
    request: Request,
    paging: PageParams = Depends(),
    proposal: str | None = Query(None, max_length=64),
    caller: Caller = Depends(allow("executions.list")),
) -> dict[str, Any]:
    found = await run(
        governor(request).executions_page,
        after=paging.int_key(),
        limit=paging.limit,
        proposal=proposal,
    )
    return page(found, paging.limit, lambda x: x["started_seq"])
