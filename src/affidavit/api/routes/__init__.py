"""The /v1 routers, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from affidavit.api.routes import (
    _admin,
    _alerts,
    _cases,
    _configuration,
    _decisions,
    _events,
    _evidence_admin,
    _health,
    _ledger,
    _metrics,
    _proposals,
    _steps,
)

__all__ = ["ROUTERS", "health", "metrics", "v1"]

ROUTERS = tuple(
    m.router
    for m in (
        _alerts,
        _cases,
        _steps,
        _proposals,
        _decisions,
        _admin,
        _evidence_admin,
        _configuration,
        _ledger,
        _events,
    )
)
health = _health.router
"""/healthz and /readyz, outside /v1 and without a token."""
metrics = _metrics.router
"""/metrics for Prometheus, outside /v1, with an auditor or admin token."""
v1 = APIRouter(prefix="/v1")
for _router in ROUTERS:
    v1.include_router(_router)
