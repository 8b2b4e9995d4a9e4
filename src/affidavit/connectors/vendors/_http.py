"""HTTP to a vendor API: retries with backoff, Retry-After, bounded answers, scrubbed errors.

A request is retried on a refused connection and on HTTP 429 (the vendor did
not act), waiting what ``Retry-After`` (or the vendor's own reset header)
says, up to ``max_wait_s``. After a timeout or an HTTP 5xx the vendor may or
may not have acted: a request that is safe to repeat (a read, a PATCH, a
DELETE) is retried; any other raises :class:`Ambiguous`, and the connector
looks at the vendor's state before it tries again.

Every message that can reach a result, the ledger or a log is scrubbed of the
connector's credentials and of the tokens obtained with them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

import httpx

from affidavit.connectors.vendors._reply import (
    Ambiguous,
    Auth,
    ErrorReader,
    Reply,
    UpstreamError,
    retry_after,
)
from affidavit.connectors.vendors._settings import VendorSettings

__all__ = ["Upstream"]

_MAX_MESSAGE = 200
_REDACTED = "<redacted>"


class _TooSlow(Exception):
    pass


class _Retry(Exception):
    """One attempt failed in a way another attempt may fix."""

    def __init__(self, error: UpstreamError, wait: float | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


class Upstream:
    """One vendor API: an HTTP client, its retry policy and the secrets to keep out of text."""

    def __init__(
        self,
        title: str,
        settings: VendorSettings,
        *,
        error_reader: ErrorReader,
        secrets: Iterable[str] = (),
        reset_headers: tuple[str, ...] = (),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        self.title = title
        self._settings = settings
        self._read_error = error_reader
        self._secrets_lock = threading.Lock()
        self._secrets: list[str] = []
        for secret in secrets:
            self.add_secret(secret)
        for value in (*settings.values.values(), settings.proxy or ""):
            self.add_secret(value, credential=False)
        self._reset_headers = reset_headers
        self._sleep = sleep
        self._clock = clock
        self._log = logger or logging.getLogger("affidavit.connectors")
        # One client per thread and per execution (see session): nothing stays open
        # between executions, and concurrent executions never share a connection pool.
        self._local = threading.local()

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Keep one HTTP client (and its connections) open for the calls inside."""
        if getattr(self._local, "client", None) is not None:
            yield
            return
        with httpx.Client(
            timeout=httpx.Timeout(self._settings.timeout_s),
            follow_redirects=False,
            trust_env=False,
            proxy=self._settings.proxy,
            headers={"User-Agent": "affidavit-connector/1", "Accept": "application/json"},
        ) as client:
            self._local.client = client
            try:
                yield
            finally:
                self._local.client = None

    def add_secret(self, value: str, *, credential: bool = True) -> None:
        """Keep ``value`` (a credential, a token, a setting) out of every message from now on.

        Credentials and tokens are scrubbed whatever their length; other settings
        (a tenant id, an e-mail, a URL) only when long enough not to garble
        messages — replacing "Task" or "SOC" everywhere would.
        """
        if not value or (not credential and len(value) < 8):
            return
        with self._secrets_lock:
            if value not in self._secrets:
                self._secrets.append(value)
                self._secrets.sort(key=len, reverse=True)

    def scrub(self, text: str) -> str:
        with self._secrets_lock:
            secrets = list(self._secrets)
        for secret in secrets:
            text = text.replace(secret, _REDACTED)
        text = "".join(c if c.isprintable() else " " for c in text)
        return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."

    def backoff(self, attempt: int) -> float:
        """The wait before try ``attempt + 1``: retry_base_s doubling, at most max_wait_s."""
        s = self._settings
        return float(min(s.max_wait_s, s.retry_base_s * (2 ** max(0, attempt - 1))))

    def pause(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)

    def request(
        self,
        method: str,
        url: str,
        *,
        ok: Collection[int] = (200,),
        replay_safe: bool,
        auth: Auth | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send until an ``ok`` status, a definite refusal, or ``max_attempts`` tries."""
        attempts = self._settings.max_attempts
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = self._once(method, url, auth, headers, json_body, form, params, replay_safe)
                if reply.status in ok:
                    return reply
                if reply.status == 401 and auth is not None and not refreshed and auth.refresh():
                    refreshed = True  # a cached token expired early: one more try, not counted
                    attempt -= 1
                    continue
                raise self._refusal(reply, replay_safe)
            except _Retry as retry:
                error = retry.error
                error.attempts = attempt
                if attempt >= attempts:
                    raise error from None
                wait = retry.wait if retry.wait is not None else self.backoff(attempt)
                self._log.warning(
                    "%s: %s; try %d of %d in %.1f s",
                    self.title,
                    error.message,
                    attempt + 1,
                    attempts,
                    wait,
                )
                self.pause(wait)
            except UpstreamError as error:
                error.attempts = attempt
                raise

    def _once(
        self,
        method: str,
        url: str,
        auth: Auth | None,
        headers: Mapping[str, str] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        replay_safe: bool,
    ) -> Reply:
        all_headers = dict(auth.headers()) if auth is not None else {}
        all_headers.update(headers or {})
        timeout = self._settings.timeout_s
        deadline = time.monotonic() + timeout
        client: httpx.Client | None = getattr(self._local, "client", None)
        assert client is not None, "requests are made inside Upstream.session()"
        try:
            with client.stream(
                method, url, headers=all_headers, json=json_body, data=form, params=params
            ) as response:
                body = self._read(response, deadline)
                return Reply(response.status_code, dict(response.headers.items()), body)
        except httpx.ConnectError as exc:
            # Nothing reached the vendor: always safe to try again.
            raise _Retry(
                UpstreamError(
                    "connect", f"could not connect to {self.title}: {self.scrub(str(exc))}"
                ),
                None,
            ) from None
        except (httpx.TimeoutException, _TooSlow):
            error_kind = UpstreamError if replay_safe else Ambiguous
            error = error_kind("timeout", f"{self.title} did not answer within {timeout:g} s.")
            if replay_safe:
                raise _Retry(error, None) from None
            raise error from None
        except (httpx.HTTPError, OSError) as exc:
            text = f"the call to {self.title} failed: {type(exc).__name__}: {self.scrub(str(exc))}"
            if replay_safe:
                raise _Retry(UpstreamError("transport", text), None) from None
            raise Ambiguous("transport", text) from None

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        limit = self._settings.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise _TooSlow
            size += len(chunk)
            if size > limit:
                raise UpstreamError(
                    "oversized",
                    f"{self.title} answered HTTP {response.status_code} with more than "
                    f"{limit} bytes; the answer was not read.",
                    status=response.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _refusal(self, reply: Reply, replay_safe: bool) -> Exception:
        code, message = self._vendor_error(reply)
        text = f"{self.title} answered HTTP {reply.status}"
        if code:
            text += f" ({code})"
        if message:
            text += f": {message}"
        status = reply.status
        if status == 429:
            wait = retry_after(reply.headers, self._reset_headers, self._clock())
            if wait is not None and wait > self._settings.max_wait_s:
                return UpstreamError(
                    "rate_limited",
                    f"{text}; it asks to wait {wait:.0f} s, more than max_wait_s "
                    f"({self._settings.max_wait_s:g} s).",
                    status=status,
                    vendor_code=code,
                )
            return _Retry(
                UpstreamError("rate_limited", text, status=status, vendor_code=code), wait
            )
        if status >= 500:
            if replay_safe:
                return _Retry(
                    UpstreamError("http_status", text, status=status, vendor_code=code), None
                )
            return Ambiguous("http_status", text, status=status, vendor_code=code)
        kind = (
            "auth" if status in (401, 403) else "redirect" if 300 <= status < 400 else "http_status"
        )
        if kind == "redirect":
            text += "; redirects are not followed"
        return UpstreamError(kind, text, status=status, vendor_code=code)

    def _vendor_error(self, reply: Reply) -> tuple[str | None, str | None]:
        if not reply.body:
            return None, None
        try:
            parsed = json.loads(reply.body)
            code, message = self._read_error(parsed)
        except (ValueError, RecursionError, TypeError, KeyError, AttributeError):
            return None, None
        return (
            self.scrub(code)[:64] if isinstance(code, str) and code else None,
            self.scrub(message) if isinstance(message, str) and message else None,
        )
