"""The proposal page: what is asked, why, on what evidence, under which policy; and the
decision, disposition and detokenize forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from affidavit.errors import AffidavitError, Forbidden, InputError
from affidavit.governance.dispositions import OUTCOMES, REASONS
from affidavit.governance.identities import Identity
from affidavit.governance.separation import decision_blocker, eligible_approvers
from affidavit.protect import find_tokens
from affidavit.web import _format
from affidavit.web._http import ConsoleRoute, check_csrf, form, page, redirect
from affidavit.web.console import Console, Viewer, console, current_viewer
from affidavit.web.evidence import resolve, step_texts
from affidavit.web.routes._queue import TIER_NAMES

router = APIRouter(route_class=ConsoleRoute)

ProposalId = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
_PEOPLE_SCAN = 500


def _people(state: Console) -> list[Identity]:
    return state.gov.identities_page(after=None, limit=_PEOPLE_SCAN)


def _proposer(state: Console, identity_id: str) -> Identity | None:
    try:
        return state.gov.identity(identity_id)
    except AffidavitError:
        return None


def proposal_context(state: Console, viewer: Viewer, proposal_id: str) -> dict[str, Any]:
    """Everything the proposal page shows (blocking: run in a worker thread)."""
    gov = state.gov
    now = state.now()
    details = gov.proposal_details(proposal_id)
    proposal = gov.proposal(proposal_id)
    first_view = gov.first_view(viewer.id, proposal_id)
    body = gov.ledger.entry(proposal.seq).json()["body"]
    decision = body["decision"]
    targets = body.get("decision_inputs", {}).get("targets", [])
    tier = gov.tier(proposal.action)
    rules = gov.friction_rules()
    spec = gov.catalog.get(proposal.action) if proposal.action in gov.catalog else None
    proposer = _proposer(state, proposal.proposer_id)
    owner_may = gov.configuration().owner_may_approve
    blocker = decision_blocker(
        proposal, viewer.identity, proposer, details["approvals"], owner_may_approve=owner_may
    )
    approved = sum(1 for a in details["approvals"] if a["verdict"] == "approve")
    eligible = (
        eligible_approvers(
            proposal, _people(state), proposer, details["approvals"], owner_may_approve=owner_may
        )
        if proposal.status == "pending_approval"
        else []
    )
    sees_payloads = viewer.may("payloads.show")
    step = None
    texts: list[tuple[str, str]] = []
    if proposal.step_id:
        step = gov.step(proposal.step_id)
        texts = step_texts(gov, step, viewer.identity) if sees_payloads else []
    tokens = sorted({t for _, text in texts for t in find_tokens(text)})
    opened = gov.evidence_opened(viewer.id, proposal_id)
    may_decide = viewer.may("proposals.approve")
    # Showing the signal is ledgered (governance), so ask only when this person may decide.
    signal = (
        gov.rubber_stamp(viewer.session.token, proposal_id)
        if blocker is None and may_decide
        else None
    )
    case_proposals = [p.id for p in gov.proposals(case=proposal.case_id) if p.id != proposal.id]
    return {
        "p": details,
        "proposal": proposal,
        "tier": tier,
        "tier_name": TIER_NAMES.get(tier, str(tier)),
        "spec": spec,
        "decision": decision,
        "criticality": targets[0]["criticality"] if targets else "unknown",
        "proposer": proposer,
        "blocker": blocker,
        "approved": approved,
        "remaining": max(0, proposal.approvals_required - approved),
        "eligible": eligible,
        "step": step,
        "texts": texts,
        "sees_payloads": sees_payloads,
        "tokens": tokens,
        "opened": opened,
        "needs_evidence": rules.needs_evidence(tier) and not opened,
        "evidence_tier": rules.evidence_tier,
        "needs_rationale": rules.needs_rationale(tier),
        "signal": signal,
        "time_left": _format.time_left(proposal.expires_at, now),
        "viewed_for": None
        if first_view is None
        else _format.duration((now - first_view).total_seconds()),
        "outcomes": OUTCOMES,
        "reasons": REASONS,
        "case_proposals": case_proposals,
        "may_decide": may_decide,
        "may_dispose": viewer.may("proposals.dispose"),
        "may_detokenize": "detokenize" in viewer.roles,
    }


async def _render(
    request: Request, viewer: Viewer, proposal_id: str, status: int = 200, **extra: Any
) -> Response:
    state = console(request)
    context = await run_in_threadpool(proposal_context, state, viewer, proposal_id)
    return page(request, "proposal.html", status=status, **context, **extra)


@router.get("/proposals/{proposal_id}", name="console.proposal")
async def show(
    request: Request, proposal_id: str = ProposalId, viewer: Viewer = Depends(current_viewer)
) -> Response:
    done = request.query_params.get("done")
    notice = {
        "approve": "Your approval is recorded in the ledger.",
        "deny": "Your denial is recorded in the ledger.",
        "disposition": "Your disposition is recorded in the ledger.",
    }.get(done or "")
    return await _render(request, viewer, proposal_id, notice=notice)


@router.get("/proposals/{proposal_id}/evidence/{index}", name="console.evidence")
async def evidence(
    request: Request,
    proposal_id: str = ProposalId,
    index: int = Path(ge=0, lt=100),
    viewer: Viewer = Depends(current_viewer),
) -> Response:
    """Opening an item is what records the view (ledgered once per person and item)."""
    if not viewer.may("proposals.evidence"):
        raise Forbidden("your roles do not include reading evidence")
    state = console(request)
    gov = state.gov
    proposal = await run_in_threadpool(gov.proposal, proposal_id)
    if index >= len(proposal.evidence):
        raise InputError(f"proposal {proposal_id} has {len(proposal.evidence)} evidence items")
    await run_in_threadpool(gov.open_evidence, viewer.session.token, proposal_id, index)
    item = await run_in_threadpool(
        resolve,
        gov,
        proposal.case_id,
        proposal.evidence[index],
        viewer=viewer.identity if viewer.may("payloads.show") else None,
    )
    return page(
        request,
        "evidence.html",
        proposal=proposal,
        item=item,
        index=index,
        total=len(proposal.evidence),
    )


@router.post("/proposals/{proposal_id}/decide", name="console.decide")
async def decide(
    request: Request, proposal_id: str = ProposalId, viewer: Viewer = Depends(current_viewer)
) -> Response:
    fields = await form(request)
    check_csrf(request, fields, viewer.session.csrf)
    state = console(request)
    verdict = fields.get("verdict", "")
    rationale = fields.get("rationale", "").strip()
    try:
        if verdict not in ("approve", "deny"):
            raise InputError("choose approve or deny")
        if not viewer.may("proposals.approve"):
            raise Forbidden("you hold no approver role")
        # The friction (rationale, evidence opened) is the Governor's: every path obeys it.
        await run_in_threadpool(
            state.gov.approve,
            viewer.session.token,
            proposal_id,
            rationale=rationale,
            deny=verdict == "deny",
        )
    except AffidavitError as exc:
        if exc.http_status >= 500:
            raise
        return await _render(
            request,
            viewer,
            proposal_id,
            status=exc.http_status,
            error=exc.message,
            rationale=rationale,
        )
    return redirect(f"/console/proposals/{proposal_id}?done={verdict}")


@router.post("/proposals/{proposal_id}/dispose", name="console.dispose")
async def dispose(
    request: Request, proposal_id: str = ProposalId, viewer: Viewer = Depends(current_viewer)
) -> Response:
    fields = await form(request)
    check_csrf(request, fields, viewer.session.csrf)
    state = console(request)
    try:
        if not viewer.may("proposals.dispose"):
            raise Forbidden("recording a disposition needs the analyst role")
        await run_in_threadpool(
            state.gov.dispose,
            viewer.session.token,
            proposal_id,
            outcome=fields.get("outcome", ""),
            reason=fields.get("reason", ""),
            rationale=fields.get("rationale", ""),
            override_with=fields.get("override_with") or None,
        )
    except AffidavitError as exc:
        if exc.http_status >= 500:
            raise
        return await _render(
            request, viewer, proposal_id, status=exc.http_status, dispose_error=exc.message
        )
    return redirect(f"/console/proposals/{proposal_id}?done=disposition")


@router.post("/proposals/{proposal_id}/detokenize", name="console.detokenize")
async def detokenize(
    request: Request, proposal_id: str = ProposalId, viewer: Viewer = Depends(current_viewer)
) -> Response:
    """A separate, audited action: the Governor checks the role and ledgers who, which, why."""
    fields = await form(request)
    check_csrf(request, fields, viewer.session.csrf)
    state = console(request)
    token = fields.get("token", "")
    try:
        proposal = await run_in_threadpool(state.gov.proposal, proposal_id)
        value = await run_in_threadpool(
            state.gov.detokenize,
            viewer.session.token,
            token,
            reason=fields.get("reason", ""),
            case=proposal.case_id,
        )
    except AffidavitError as exc:
        if exc.http_status >= 500:
            raise
        return await _render(
            request, viewer, proposal_id, status=exc.http_status, reveal_error=exc.message
        )
    return await _render(request, viewer, proposal_id, revealed=(token, value))
