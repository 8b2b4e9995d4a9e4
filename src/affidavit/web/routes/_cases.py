"""Cases: the list, and a case's timeline (every ledger entry in order, each linked to its
entry and inclusion proof) with the agent handoff graph."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from affidavit.errors import Forbidden, NotFound
from affidavit.oversight import replay_case
from affidavit.web import dag
from affidavit.web._http import ConsoleRoute, page
from affidavit.web.console import Console, Viewer, console, current_viewer

router = APIRouter(route_class=ConsoleRoute)

CaseId = Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_LIST = 500
_STEPS = 2000
KIND_LABELS = {
    "alert": "Alert",
    "step": "Model step",
    "proposal": "Proposal",
    "approval": "Approval",
    "authorization": "Authorization",
    "execution": "Execution",
    "disposition": "Disposition",
    "evidence": "Evidence viewed",
    "breakglass": "Break-glass",
    "token": "Detokenize",
    "case": "Case",
}


def _require(viewer: Viewer) -> None:
    if not viewer.may("cases.list"):
        raise Forbidden("your roles do not include reading cases")


@router.get("/cases", name="console.cases")
async def cases(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    _require(viewer)
    found = await run_in_threadpool(console(request).gov.cases_page, after=None, limit=_LIST)
    return page(request, "cases.html", cases=list(reversed(found)))


def case_context(state: Console, case_id: str) -> dict[str, Any]:
    gov = state.gov
    replay = replay_case(gov.ledger, case_id, state.now())
    if not replay.timeline:
        raise NotFound(f"no ledger entries for case {case_id}")
    steps = gov.steps_page(after=None, limit=_STEPS, case=case_id)
    timeline = [
        dict(
            e,
            kind=KIND_LABELS.get(e["type"].split(".")[0], e["type"]),
            group=e["type"].split(".")[0],
        )
        for e in replay.timeline
    ]
    return {
        "case": case_id,
        "timeline": timeline,
        "state": replay.state(),
        "graph": Markup(dag.svg(steps)),  # noqa: S704 - built from escaped parts in web.dag
        "steps": steps,
    }


@router.get("/cases/{case_id}", name="console.case")
async def case(
    request: Request, case_id: str = CaseId, viewer: Viewer = Depends(current_viewer)
) -> Response:
    _require(viewer)
    context = await run_in_threadpool(case_context, console(request), case_id)
    return page(request, "case.html", **context)
