"""The FastAPI application around one Governor: transport, authentication, validation.

    app = create_app(Governor.open(load_settings()))

``affidavit serve`` runs :func:`app_from_environment` on uvicorn, one Governor
per worker process; workers and nodes share the ledger through the database.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from affidavit.api._limits import BodyLimit
from affidavit.api.errors import ERROR_RESPONSES, install_error_handlers
from affidavit.api.idempotency import IdempotencyStore
from affidavit.api.permissions import PERMISSIONS
from affidavit.api.ratelimit import RateLimiter, RateWindows
from affidavit.api.routes import health, metrics, v1
from affidavit.api.settings import ApiSettings, load_api_settings
from affidavit.api.webhooks import NonceStore
from affidavit.config import load_settings
from affidavit.governance.governor import Governor
from affidavit.web import WebSettings, load_web_settings, mount_console

__all__ = ["app_from_environment", "create_app"]

log = logging.getLogger("affidavit.api")


def create_app(
    governor: Governor,
    settings: ApiSettings | None = None,
    *,
    close_governor: bool = False,
    console: WebSettings | None = None,
) -> FastAPI:
    """The API over ``governor``, with the analyst console under /console;
    ``close_governor`` closes the Governor when the app shuts down."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_governor:
                governor.close()

    app = FastAPI(
        title="Affidavit",
        version="1",
        summary="Governance for AI-driven security operations: the boundary between "
        "agents and authority.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        generate_unique_id_function=_operation_id,
    )
    app.state.governor = governor
    app.state.api_settings = settings
    app.state.limiter = RateLimiter(
        settings.rate_per_s,
        settings.burst,
        RateWindows(governor.ledger.db),  # shared by every process on the database
        clock=lambda: governor.clock().timestamp(),
    )
    app.state.idempotency = IdempotencyStore(governor.ledger.db, governor.clock)
    app.state.nonces = NonceStore(governor.ledger.db)
    install_error_handlers(app)
    app.include_router(health)
    app.include_router(metrics)
    app.include_router(v1)
    mount_console(app, console)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    _document_errors(app)
    return app


def _operation_id(route: APIRoute) -> str:
    """The operation id is the route's name, which is its key in the role table."""
    return route.name


def _document_errors(app: FastAPI) -> None:
    """The schema says what the server does: validation errors are 400 ErrorBody, not 422;
    each operation lists the roles allowed (``x-roles``)."""
    build = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = build()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    roles = PERMISSIONS.get(operation.get("operationId", ""))
                    if roles is not None:
                        operation["x-roles"] = sorted(roles)
                        operation["description"] = (
                            operation.get("description", "")
                            + f"\n\nRoles: {', '.join(sorted(roles))}."
                        ).strip()
                    responses = operation.get("responses", {})
                    for status, response in responses.items():
                        content = response.get("content", {})
                        if status[0] in "45" and "text/plain" in content:
                            # errors are JSON even where success is text (checkpoints)
                            content["application/json"] = content.pop("text/plain")
                    validation = responses.get("422", {})
                    if "HTTPValidationError" in str(validation):
                        responses["422"] = {
                            "description": ERROR_RESPONSES[422]["description"],
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ErrorBody"}
                                }
                            },
                        }
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_environment() -> FastAPI:
    """The app as ``affidavit serve`` runs it: settings from the environment."""
    governor = Governor.open(load_settings())
    return create_app(
        governor, load_api_settings(), close_governor=True, console=load_web_settings()
    )
