"""The analyst console: server-rendered pages under /console, mounted into the API app.

    mount_console(app, WebSettings())   # app.state.governor must be set

People sign in with their identity token; every page calls the Governor (as the
API routes do) and re-authenticates the session on every request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

# Settings first: affidavit.api imports this package while it is itself being imported.
from affidavit.web.settings import WebSettings, load_web_settings

if TYPE_CHECKING:
    from affidavit.web.console import Console

__all__ = ["WebSettings", "load_web_settings", "mount_console"]


def mount_console(app: FastAPI, settings: WebSettings | None = None) -> Console:
    from affidavit.web.console import Console
    from affidavit.web.routes import console_router

    state = Console(app.state.governor, settings or WebSettings())
    app.state.console = state
    app.include_router(console_router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    return state
