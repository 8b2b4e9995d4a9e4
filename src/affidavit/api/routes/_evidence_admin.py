"""Evidence administration: legal holds, erasure, the retention sweep, ownership
transfers and incidents.

Transport only: each route hands the caller's token to the Governor, which checks
the rules (holds, a second admin, an active owner) inside its write and ledgers the
act under the calling admin.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from affidavit.api._respond import create, governor, run
from affidavit.api.auth import Caller, allow
from affidavit.api.models import (
    CASE_PATTERN,
    ErasureIn,
    IdentityOut,
    OwnerIn,
    ReasonIn,
    SweepIn,
)
from affidavit.api.pagination import Page, PageParams, page_of_list
from affidavit.api.routes._admin import IdentityId
from affidavit.api.routes._cases import CaseId
from affidavit.errors import InputError
from affidavit.governance.governor import Governor

router = APIRouter(tags=["evidence administration"])

RequestId = Path(min_length=1, max_length=64, pattern=CASE_PATTERN)  # same alphabet


# Legal holds


@router.get("/holds", response_model=Page[dict[str, Any]], name="holds.list")
async def list_holds(
    request: Request, paging: PageParams = Depends(), caller: Caller = Depends(allow("holds.list"))
) -> dict[str, Any]:
    """Cases on legal hold, oldest hold first."""
    return page_of_list(await run(governor(request).case_holds), "held_seq", paging)


def _hold_of(gov: Governor, case: str) -> dict[str, Any]:
    """The hold just placed (released meanwhile by another admin: the case alone)."""
    return next((h for h in gov.case_holds() if h["case"] == case), {"case": case})


@router.post(
    "/cases/{case_id}/hold", status_code=201, response_model=dict[str, Any], name="holds.place"
)
async def place_hold(
    body: ReasonIn,
    request: Request,
    case_id: str = CaseId,
    caller: Caller = Depends(allow("holds.place")),
) -> Response:
    """Place a legal hold: no erasure and no retention sweep of the case until released
    (409 when it is held already)."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        gov.hold_case(case_id, reason=body.reason, token=caller.token)
        return _hold_of(gov, case_id)

    return await create(request, caller, fn)


@router.post("/cases/{case_id}/release", response_model=dict[str, Any], name="holds.release")
async def release_hold(
    body: ReasonIn,
    request: Request,
    case_id: str = CaseId,
    caller: Caller = Depends(allow("holds.release")),
) -> Response:
    """Release a case's legal hold (409 when it is not held)."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        gov.release_case(case_id, reason=body.reason, token=caller.token)
        return {"case": case_id, "released": True}

    return await create(request, caller, fn, status=200)


# Erasure


@router.post("/erasures", response_model=dict[str, Any], name="erasures.erase")
async def erase(
    body: ErasureIn, request: Request, caller: Caller = Depends(allow("erasures.erase"))
) -> Response:
    """Crypto-shred a case's payloads (``case``) or payloads by SHA-256 (``payloads``).
    403 when a second admin must approve (a case with a tier >= 3 action: use
    /v1/erasure-requests); 409 under a legal hold."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        if body.case is not None:
            if body.payloads:
                raise InputError("name either payloads (SHA-256) or a case")
            count = gov.erase_case(body.case, reason=body.reason, token=caller.token)
            return {"erased": count, "entry": None}
        erasure = gov.erase_payloads(body.payloads, reason=body.reason, token=caller.token)
        return {"erased": erasure.payloads, "entry": erasure.seq}

    return await create(request, caller, fn, status=200)


@router.post(
    "/erasure-requests",
    status_code=201,
    response_model=dict[str, Any],
    name="erasures.request",
)
async def request_erasure(
    body: ErasureIn, request: Request, caller: Caller = Depends(allow("erasures.request"))
) -> Response:
    """Ask for an erasure that a second admin must approve; nothing is erased yet."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        found = gov.request_erasure(
            body.payloads, case=body.case, reason=body.reason, token=caller.token
        )
        return {
            "id": found.id,
            "cases": list(found.cases),
            "payloads": len(found.payloads),
            "reason": found.reason,
            "requested_by": found.requested_by,
        }

    return await create(request, caller, fn)


@router.get("/erasure-requests", response_model=Page[dict[str, Any]], name="erasures.pending")
async def pending_erasures(
    request: Request,
    paging: PageParams = Depends(),
    caller: Caller = Depends(allow("erasures.pending")),
) -> dict[str, Any]:
    """Erasure requests waiting for a second admin, oldest first."""
    return page_of_list(await run(governor(request).erasure_requests), "requested_seq", paging)


@router.post(
    "/erasure-requests/{request_id}/approve",
    response_model=dict[str, Any],
    name="erasures.approve",
)
async def approve_erasure(
    request: Request,
    request_id: str = RequestId,
    caller: Caller = Depends(allow("erasures.approve")),
) -> Response:
    """A second admin approves another's request; the erasure is carried out (403 for
    the requester, 409 under a legal hold or when already approved)."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        erasure = gov.approve_erasure(request_id, token=caller.token)
        return {"request": request_id, "erased": erasure.payloads, "entry": erasure.seq}

    return await create(request, caller, fn, status=200)


@router.post("/retention/sweep", response_model=dict[str, Any], name="retention.sweep")
async def sweep(
    body: SweepIn, request: Request, caller: Caller = Depends(allow("retention.sweep"))
) -> Response:
    """Erase what the published retention periods no longer allow (held cases are left
    alone); ``dry_run`` only says what would be erased."""
    gov = governor(request)

    def fn() -> dict[str, Any]:
        results = gov.sweep_retention(dry_run=body.dry_run, token=caller.token)
        return {"dry_run": body.dry_run, "results": [asdict(r) for r in results]}

    return await create(request, caller, fn, status=200)


# Identities: ownership and incidents


@router.post(
    "/identities/{identity_id}/owner", response_model=IdentityOut, name="identities.transfer"
)
async def transfer(
    body: OwnerIn,
    request: Request,
    identity_id: str = IdentityId,
    caller: Caller = Depends(allow("identities.transfer")),
) -> Response:
    """Give an agent, model or integration a new accountable owner (an active person)."""
    gov = governor(request)
    return await create(
        request,
        caller,
        lambda: gov.transfer_identity(identity_id, body.owner, token=caller.token).to_dict(),
        status=200,
    )


@router.get("/incidents", response_model=Page[dict[str, Any]], name="incidents.list")
async def list_incidents(
    request: Request,
    paging: PageParams = Depends(),
    case: str | None = Query(None, min_length=1, max_length=128, pattern=CASE_PATTERN),
    caller: Caller = Depends(allow("incidents.list")),
) -> dict[str, Any]:
    """Incidents the ledger opened (a rejected break-glass review), oldest first."""
    return page_of_list(await run(governor(request).incidents, case), "opened_seq", paging)
