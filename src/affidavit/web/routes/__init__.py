"""The console's routers under /console, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from affidavit.web._http import ConsoleRoute
from affidavit.web.routes import _admin, _auth, _cases, _health, _proposals, _queue, _static

__all__ = ["console_router"]

console_router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
for _module in (_auth, _queue, _proposals, _cases, _admin, _health, _static):
    console_router.include_router(_module.router)
