"""The governance health dashboard: oversight's health report, drawn by plotly.js served
from our own origin.

The figures are ``affidavit.oversight``'s (one way to compute each): a folded
:class:`HealthState` per Governor, caught up with the entries appended since the last
request (O(new entries)), and :func:`health_report` over it.
"""

from __future__ import annotations

import json
import threading

from fastapi import APIRouter, Depends, Request, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from affidavit.errors import Forbidden
from affidavit.governance.governor import Governor
from affidavit.oversight.health import HealthState
from affidavit.oversight.signals import HealthReport, health_report
from affidavit.oversight.spike import SpikeSettings
from affidavit.web import health_charts
from affidavit.web._format import duration
from affidavit.web._http import ConsoleRoute, page
from affidavit.web.console import Viewer, console, current_viewer

router = APIRouter(route_class=ConsoleRoute)

_states: dict[int, HealthState] = {}
_lock = threading.Lock()


def _json_block(value: object) -> Markup:
    """JSON for a <script type="application/json"> block: '<' escaped, so no tag can close it."""
    text = json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")
    return Markup(text)  # noqa: S704 - JSON with every '<' escaped


def current_report(gov: Governor) -> HealthReport:
    """The health report of the whole ledger as of the Governor's clock."""
    with _lock:  # one fold at a time per process; each request folds only what is new
        state = _states.get(id(gov))
        if state is None:
            state = _states[id(gov)] = HealthState(
                SpikeSettings.from_threshold(gov.configuration().spike_alerts_per_15m)
            )
        state.catch_up(gov.ledger)
        return health_report(state, now=gov.clock())


@router.get("/health", name="console.health")
async def dashboard(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    if not viewer.may("reviews.list"):
        raise Forbidden("your roles do not include governance health")
    gov = console(request).gov
    report = await run_in_threadpool(current_report, gov)
    overdue = await run_in_threadpool(gov.breakglass_reviews, overdue_only=True)
    approvals = sum(r["approvals"] for r in report.approvers)
    unread = sum(r["no_evidence"] for r in report.approvers)
    median = report.latency["p50_s"]
    return page(
        request,
        "health.html",
        report=report,
        overdue=overdue,
        figures={k: _json_block(v) for k, v in health_charts.figures(report).items()},
        proposals=sum(r["dispositions"] for r in report.rates["tier"]),
        median="—" if median is None else duration(median),
        unread=unread,
        total=approvals,
        spikes=len(report.alerts["spikes"]),
        flagged=report.flagged_approvers,
    )
