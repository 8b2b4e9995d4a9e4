"""OAuth 2.0 client credentials (RFC 6749 §4.4): a bearer token, cached until near expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from affidavit.connectors.vendors._http import Upstream
from affidavit.connectors.vendors._reply import UpstreamError

__all__ = ["ClientCredentials"]

_EARLY_S = 60.0  # renew this long before the stated expiry, so no call races it
_DEFAULT_LIFETIME_S = 300.0
_MAX_TOKEN_CHARS = 16384


class ClientCredentials:
    """Fetches and caches a token from ``token_url`` with the client id and secret in a form."""

    def __init__(
        self,
        http: Upstream,
        token_url: str,
        form: Mapping[str, str],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._url = token_url
        self._form = dict(form)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._clock() >= self._expires:
                self._token, lifetime = self._fetch()
                self._expires = self._clock() + max(0.0, lifetime - _EARLY_S)
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        with self._lock:
            had = self._token is not None
            self._token = None
            return had

    def _fetch(self) -> tuple[str, float]:
        title = self._http.title
        try:
            reply = self._http.request(
                "POST", self._url, form=self._form, ok=(200, 201), replay_safe=True
            )
        except UpstreamError as exc:
            if exc.kind in ("auth", "http_status") and exc.status is not None and exc.status < 500:
                exc.kind = "auth"
                exc.message = f"{title} refused the client credentials: {exc.message}"
            raise
        body = reply.obj(title)
        token = body.get("access_token")
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
            raise UpstreamError("garbage", f"{title}'s token endpoint answered without a token.")
        if not token.isprintable() or " " in token:
            raise UpstreamError("garbage", f"{title}'s token endpoint answered a malformed token.")
        self._http.add_secret(token)
        lifetime = body.get("expires_in", _DEFAULT_LIFETIME_S)
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)  # Azure AD v1 endpoints send it as a string
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = _DEFAULT_LIFETIME_S
        return token, float(lifetime)
