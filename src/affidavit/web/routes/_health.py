"""The governance health dashboard: charts drawn by plotly.js, served from our own origin."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from affidavit.errors import Forbidden
from affidavit.web import health_data
from affidavit.web._format import duration
from affidavit.web._http import ConsoleRoute, page
from affidavit.web.console import Viewer, console, current_viewer

router = APIRouter(route_class=ConsoleRoute)


def _json_block(value: object) -> Markup:
    """JSON for a <script type="application/json"> block: '<' escaped, so no tag can close it."""
    text = json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")
    return Markup(text)  # noqa: S704 - JSON with every '<' escaped


@router.get("/health", name="console.health")
async def dashboard(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    if not viewer.may("reviews.list"):
        raise Forbidden("your roles do not include governance health")
    h = await run_in_threadpool(health_data.health, console(request).gov)
    latencies = sorted(h.latencies_s)
    median = duration(latencies[len(latencies) // 2]) if latencies else "—"
    unread = sum(h.unread.values())
    total = sum(h.approvals.values())
    return page(
        request,
        "health.html",
        h=h,
        figures={k: _json_block(v) for k, v in health_data.figures(h).items()},
        median=median,
        unread=unread,
        total=total,
    )
