"""The model gateway's error answers, in the OpenAI error shape."""

from __future__ import annotations

from starlette.responses import JSONResponse

from affidavit.errors import AffidavitError, AuthError, InputError, PolicyError, TooLarge

__all__ = ["STEP_HEADER", "affidavit_error", "error"]

STEP_HEADER = "X-Affidavit-Step"


def error(status: int, kind: str, message: str, step: str | None = None) -> JSONResponse:
    headers = {STEP_HEADER: step} if step else None
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    body = {"error": {"message": message, "type": kind, "param": None, "code": kind}}
    return JSONResponse(body, status_code=status, headers=headers)


def affidavit_error(exc: AffidavitError, step: str | None = None) -> JSONResponse:
    if isinstance(exc, AuthError):
        return error(401, "invalid_api_key", f"Affidavit: {exc.message}", step)
    if isinstance(exc, TooLarge):
        return error(413, "request_too_large", f"Affidavit: {exc.message}", step)
    if isinstance(exc, PolicyError):
        return error(403, "policy_refused", f"Affidavit: {exc.message}", step)
    if isinstance(exc, InputError):
        return error(400, "invalid_request_error", f"Affidavit: {exc.message}", step)
    return error(503, "affidavit_unavailable", f"Affidavit: {exc.message}", step)
