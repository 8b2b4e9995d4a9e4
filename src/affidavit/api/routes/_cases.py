"""Cases, and a case's timeline and state replayed from the ledger alone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from affidavit.api._respond import governor, run
from affidavit.api.auth import Caller, allow
from affidavit.api.models import CASE_PATTERN
from affidavit.api.pagination import Page, PageParams, page
from affidavit.errors import NotFound
from affidavit.oversight import replay_case

router = APIRouter(tags=["cases"])

CaseId = Path(min_length=1, max_length=128, pattern=CASE_PATTERN)


@router.get("/cases", response_model=Page[dict[str, Any]], name="cases.list")
async def list_cases(
    request: Request, paging: PageParams = Depends(), caller: Caller = Depends(allow("cases.list"))
) -> dict[str, Any]:
    found = await run(governor(request).cases_page, after=paging.int_key(), limit=paging.limit)
    return page(found, paging.limit, lambda c: c["opened_seq"])


def _replay(request: Request, case_id: str) -> Any:
    gov = governor(request)
    replay = replay_case(gov.ledger, case_id, gov.clock())
    if not replay.timeline:
        raise NotFound(f"no ledger entries for case {case_id}")
    return replay


@router.get("/cases/{case_id}", response_model=dict[str, Any], name="cases.show")
async def show_case(
    request: Request, case_id: str = CaseId, caller: Caller = Depends(allow("cases.show"))
) -> dict[str, Any]:
    """The case's state per proposal, rebuilt from ledger entries alone (no state table)."""
    replay = await run(_replay, request, case_id)
    return {"case": case_id, "entries": len(replay.timeline), "state": replay.state()}


@router.get("/cases/{case_id}/timeline", response_model=Page[dict[str, Any]], name="cases.timeline")
async def timeline(
    request: Request,
    case_id: str = CaseId,
    paging: PageParams = Depends(),
    caller: Caller = Depends(allow("cases.timeline")),
) -> dict[str, Any]:
    """The case's ledger entries in order, each with a one-line summary."""
    replay = await run(_replay, request, case_id)
    after = paging.int_key()
    items = [e for e in replay.timeline if after is None or e["seq"] > after][: paging.limit]
    return page(items, paging.limit, lambda e: e["seq"])
