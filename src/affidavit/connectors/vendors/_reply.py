"""What a vendor call gives back: an answer, or an error that is safe to record; and auth."""

from __future__ import annotations

import email.utils
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "Ambiguous",
    "Auth",
    "ErrorReader",
    "Reply",
    "StaticAuth",
    "UpstreamError",
    "retry_after",
]


ErrorReader = Callable[[Any], tuple[str | None, str | None]]
"""A vendor's error body (parsed JSON) -> (error code, message); (None, None) if not its shape."""


class UpstreamError(Exception):
    """The vendor could not be reached or refused; ``message`` is safe to record."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        vendor_code: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.vendor_code = vendor_code
        self.attempts = attempts

    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"error": self.message, "error_kind": self.kind}
        if self.status is not None:
            detail["status_code"] = self.status
        if self.vendor_code is not None:
            detail["vendor_error_code"] = self.vendor_code
        detail["attempts"] = self.attempts
        return detail


class Ambiguous(UpstreamError):
    """A timeout or 5xx after a request that is not safe to repeat: it may have taken effect."""


class Auth(Protocol):
    def headers(self) -> dict[str, str]: ...

    def refresh(self) -> bool:
        """Forget a cached token after a 401; True when asking again may help."""
        ...


@dataclass(frozen=True)
class StaticAuth:
    """A fixed Authorization header (an API key or basic credentials)."""

    value: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {"Authorization": self.value}

    def refresh(self) -> bool:
        return False


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self, title: str) -> Any:
        if not self.body:
            raise UpstreamError(
                "garbage", f"{title} answered HTTP {self.status} with an empty body, not JSON."
            )
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise UpstreamError(
                "garbage", f"{title} answered HTTP {self.status} with a body that is not JSON."
            ) from None

    def obj(self, title: str) -> dict[str, Any]:
        value = self.json(title)
        if not isinstance(value, dict):
            raise UpstreamError(
                "garbage", f"{title} answered HTTP {self.status} with JSON that is not an object."
            )
        return value


def retry_after(
    headers: Mapping[str, str], reset_headers: tuple[str, ...], now: float
) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else from a vendor
    header giving the Unix time the limit resets (Okta, Falcon); None if neither."""
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value is not None:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now)
    for name in reset_headers:
        raw = lowered.get(name.lower())
        if raw is not None and raw.strip().isdigit():
            return max(0.0, float(raw.strip()) - now)
    return None
