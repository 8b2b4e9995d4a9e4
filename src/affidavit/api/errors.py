"""Errors as JSON: ``{"error": {"code", "message"}}`` with the status of the error class.

Affidavit's own errors carry their message (written for the caller, never a
secret). Validation errors name the field, never echo the value. Anything else
is a 500 with a reference to the server log, never a stack trace.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from affidavit.errors import AffidavitError, RateLimited

__all__ = ["ERROR_RESPONSES", "ErrorBody", "error_response", "install_error_handlers"]

log = logging.getLogger("affidavit.api")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    message: str


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


_DESCRIPTIONS = {
    400: "Invalid input",
    401: "Missing, invalid, expired or revoked token",
    403: "Not allowed for this identity's roles or by policy",
    404: "Not found",
    409: "Conflicts with the current state (or an Idempotency-Key reused)",
    413: "Request body too large",
    422: "A proof or signature did not verify",
    429: "Rate limited (see Retry-After)",
    500: "Internal error",
    503: "Storage unavailable",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _DESCRIPTIONS.items()
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _affidavit_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AffidavitError)
    status = exc.http_status
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if status >= 500:
        # Storage and configuration details are for the operator's log, not the caller.
        ref = secrets.token_hex(6)
        log.error("request %s failed [%s]: %s: %s", request.url.path, ref, exc.code, exc.message)
        return error_response(
            status, exc.code, f"the server could not complete the request (reference {ref})"
        )
    return error_response(status, exc.code, exc.message, headers)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "request"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return error_response(400, "invalid_input", f"{where}: {first.get('msg', 'invalid')}{more}")


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 400: "invalid_input"}
    code = codes.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    return error_response(exc.status_code, code, message, dict(exc.headers or {}))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    ref = secrets.token_hex(6)
    log.error("unhandled error on %s [%s]", request.url.path, ref, exc_info=exc)
    return error_response(
        500, "internal_error", f"internal error; the server log has the details (reference {ref})"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AffidavitError, _affidavit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
