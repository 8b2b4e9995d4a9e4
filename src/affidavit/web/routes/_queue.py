"""The approval queue, and its live updates over server-sent events (cookie session)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from affidavit.api.streams import resume_after
from affidavit.errors import AuthError, Forbidden
from affidavit.web import _format
from affidavit.web._http import SECURITY_HEADERS, TEMPLATES, ConsoleRoute, page, redirect
from affidavit.web.console import Viewer, authenticate, console, current_viewer

router = APIRouter(route_class=ConsoleRoute)

_SHOWN = 100
_KEEPALIVE_S = 15.0
_RECHECK_S = 5.0
TIER_NAMES = {0: "enrichment", 1: "advisory", 2: "containment", 3: "user impact", 4: "destructive"}

_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"


@router.get("/", name="console.home")
async def home() -> Response:
    return redirect("/console/queue")


def _rows(request: Request, viewer: Viewer, **filters: Any) -> dict[str, Any]:
    state = console(request)
    state.queue.refresh()
    now = state.now()
    found = state.queue.page(now, limit=_SHOWN, **filters)
    rows = [
        {
            "item": item,
            "tier_name": TIER_NAMES.get(item.tier, str(item.tier)),
            "criticality": state.queue.criticality(item),
            "owner": state.queue.owner(item.proposer),
            "time_left": _format.time_left(item.expires_at, now),
            "yours": item.proposer == viewer.id,
        }
        for item in found.items
    ]
    return {"found": found, "rows": rows}


@router.get("/queue", name="console.queue")
async def queue(
    request: Request,
    case: str | None = Query(None, max_length=128, pattern=_NAME),
    agent: str | None = Query(None, max_length=128, pattern=_NAME),
    tier: int | None = Query(None, ge=0, le=4),
    partial: bool = Query(False),
    viewer: Viewer = Depends(current_viewer),
) -> Response:
    if not viewer.may("proposals.list"):
        raise Forbidden("your roles do not include the approval queue")
    # The ledger position before the rows are read: the page's event stream starts
    # there, so a proposal made while the page loads is not missed.
    seen = None if partial else await run_in_threadpool(console(request).gov.ledger.size)
    data = await run_in_threadpool(_rows, request, viewer, case=case, agent=agent, tier=tier)
    filters = {"case": case, "agent": agent, "tier": tier}
    rows_html = _rows_html(request, viewer, filters, data)
    if partial:
        return HTMLResponse(rows_html, headers=SECURITY_HEADERS)
    return page(
        request,
        "queue.html",
        filters=filters,
        tier_names=TIER_NAMES,
        rows_html=rows_html,
        events_after=(seen or 0) - 1,
        **data,
    )


_rendered: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
_RENDERED_MAX = 256


def _rows_html(
    request: Request, viewer: Viewer, filters: dict[str, Any], data: dict[str, Any]
) -> Markup:
    """The rows fragment, reused while nothing it shows has changed: rendering 100 rows
    costs more than everything else on the page."""
    key = (
        id(console(request)),
        console(request).queue.version,
        viewer.id,
        tuple(filters.values()),
        tuple((r["item"].id, r["time_left"], r["owner"]) for r in data["rows"]),
        data["found"].matching,
        data["found"].total,
    )
    hit = _rendered.get(key)
    if hit is None:
        html = TEMPLATES.get_template("queue_rows.html").render(**data)
        hit = Markup(html)  # noqa: S704 - rendered by an autoescaping template
        _rendered[key] = hit
        while len(_rendered) > _RENDERED_MAX:
            _rendered.popitem(last=False)
    return hit


@router.get("/events", name="console.events")
async def events(
    request: Request,
    after: int | None = Query(None, ge=-1, le=2**62),
    viewer: Viewer = Depends(current_viewer),
) -> Response:
    """``event: proposal`` whenever a proposal is created or decided; the page refetches its rows.

    It resumes after ``Last-Event-ID`` (a reconnect) or ``after`` (the ledger position
    the page was rendered at), so nothing between render and connect is missed. The
    session is re-checked every few seconds: a signed-out or suspended person's stream
    ends.
    """
    state = console(request)
    gov = state.gov
    size = await run_in_threadpool(gov.ledger.size)
    start = resume_after(request.headers.get("last-event-id"), after, size)
    poll = request.app.state.api_settings.poll_interval_s

    async def stream() -> AsyncIterator[bytes]:
        position = start
        quiet = checked = time.monotonic()
        yield b"retry: 2000\n\n"
        while not await request.is_disconnected():
            now = time.monotonic()
            if now - checked >= _RECHECK_S:
                checked = now
                try:
                    await authenticate(request, touch=False)
                except AuthError:
                    yield b"event: signed-out\ndata: {}\n\n"
                    return
            found = await run_in_threadpool(gov.proposal_events, after=position, limit=500)
            for event in found:
                position = event["seq"]
                data = json.dumps(
                    {k: event[k] for k in ("seq", "type", "proposal", "status")},
                    separators=(",", ":"),
                )
                yield f"id: {position}\nevent: proposal\ndata: {data}\n\n".encode()
                quiet = time.monotonic()
            if time.monotonic() - quiet >= _KEEPALIVE_S:
                yield b": keep-alive\n\n"
                quiet = time.monotonic()
            await asyncio.sleep(poll)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
