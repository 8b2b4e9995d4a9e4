"""What the two clients share: errors from responses, retry rules, request bodies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from affidavit.errors import (
    AffidavitError,
    AuthError,
    ConfigError,
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    PolicyError,
    RateLimited,
    StorageError,
    TooLarge,
    VerificationError,
)

__all__ = ["RETRY_STATUSES", "backoff", "error_from", "idempotency_key", "input_text"]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
_BY_CODE: dict[str, type[AffidavitError]] = {
    cls.code: cls
    for cls in (
        InputError,
        TooLarge,
        AuthError,
        Forbidden,
        PolicyError,
        NotFound,
        Conflict,
        VerificationError,
        StorageError,
        ConfigError,
    )
}
_BY_STATUS: dict[int, type[AffidavitError]] = {
    400: InputError,
    401: AuthError,
    403: PolicyError,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    422: VerificationError,
    503: StorageError,
}


def error_from(response: httpx.Response) -> AffidavitError:
    """The server's error as the same class of :mod:`affidavit.errors` it was raised as."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", f"HTTP {response.status_code} from {response.url.path}"
    if response.status_code == 429:
        return RateLimited(message, retry_after=retry_after(response, 1.0).__ceil__())
    cls = _BY_CODE.get(code) or _BY_STATUS.get(response.status_code, AffidavitError)
    return cls(message)


def retry_after(response: httpx.Response, default: float) -> float:
    raw = response.headers.get("retry-after", "")
    try:
        return min(max(float(raw), 0.0), 60.0)
    except ValueError:
        return default


def backoff(attempt: int, response: httpx.Response | None) -> float:
    """Exponential (0.2 s, 0.4 s, ... capped at 5 s), or the server's Retry-After."""
    delay: float = min(0.2 * 2.0**attempt, 5.0)
    if response is not None and response.status_code == 429:
        return retry_after(response, delay)
    return delay


def idempotency_key() -> str:
    return f"sdk-{uuid.uuid4().hex}"


def input_text(value: str | bytes | Mapping[str, Any] | Sequence[Any]) -> str:
    """A model input as text: strings as they are, JSON values (an alert) as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
