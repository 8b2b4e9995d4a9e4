"""GET /metrics: the governance health signals for Prometheus (auditor or admin token).

Outside /v1, where Prometheus looks by default, but not public: the signals name
approvers, agents and owners. Every scrape folds the ledger entries appended since
the last one into this process's health state (incremental: the cost is the new
entries, not the history) and renders the report as of the Governor's clock. The
numbers are a function of the ledger alone, so every worker and node answers alike.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from affidavit.api._respond import run
from affidavit.api.auth import Caller, allow
from affidavit.governance.governor import Governor
from affidavit.oversight import HealthReport, SpikeSettings, health_report
from affidavit.oversight.metrics import register_health_metrics
from affidavit.oversight.snapshot import current_state

__all__ = ["HealthMetrics", "router"]

router = APIRouter(tags=["metrics"])
_create_lock = threading.Lock()
SNAPSHOT = "health-state.json"
"""The snapshot `affidavit health` saves; the first scrape resumes from it (read only)."""


class HealthMetrics:
    """One process's health state and the registry that renders it."""

    def __init__(self, gov: Governor) -> None:
        self.gov = gov
        home = gov.settings.home
        spike = SpikeSettings.from_threshold(gov.configuration().spike_alerts_per_15m)
        self.state = current_state(gov.ledger, home / SNAPSHOT if home.is_dir() else None, spike)
        self.registry = CollectorRegistry(auto_describe=False)
        register_health_metrics(self.registry, self._report)
        self._lock = threading.Lock()

    def _report(self) -> HealthReport:
        return health_report(self.state, now=self.gov.clock())

    def scrape(self) -> bytes:
        """Catch up with the ledger and render every metric (Prometheus text format)."""
        with self._lock:  # one fold at a time; concurrent scrapes wait for it
            self.state.catch_up(self.gov.ledger)
            return generate_latest(self.registry)


def _metrics_of(app: FastAPI) -> HealthMetrics:
    found: HealthMetrics | None = getattr(app.state, "health_metrics", None)
    if found is None:
        with _create_lock:
            found = getattr(app.state, "health_metrics", None)
            if found is None:
                found = HealthMetrics(app.state.governor)
                app.state.health_metrics = found
    return found


def _scrape(app: FastAPI) -> bytes:
    return _metrics_of(app).scrape()


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
    name="metrics",
)
async def metrics(request: Request, caller: Caller = Depends(allow("metrics"))) -> Response:
    """Governance health signals in the Prometheus text format (docs/oversight.md)."""
    body = await run(_scrape, request.app)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
