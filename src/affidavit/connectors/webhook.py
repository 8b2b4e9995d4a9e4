"""The webhook connector: POST the action request, signed, to one configured URL.

The body is the canonical JSON of ``ActionRequest.to_json()``. Headers:
``Content-Type: application/json``, ``Idempotency-Key: <execution id>``,
``X-Affidavit-Timestamp: <unix seconds>`` and ``X-Affidavit-Signature:
sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`` (see ``signing``).

A 2xx answer is success; anything else, including a redirect (never
followed), a timeout or a refused connection, is a ``failed`` result whose
``error`` says why. The connector reads at most ``max_response_bytes`` of an
answer and keeps only a small part of it. The execution id is claimed in the
database before the call, so it is sent at most once.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from affidavit import canonical
from affidavit.connectors import _executions
from affidavit.connectors.base import ConnectorContext
from affidavit.connectors.request import ActionRequest, ActionResult
from affidavit.connectors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook
from affidavit.connectors.webhook_settings import WebhookSettings
from affidavit.errors import ConfigError, InputError
from affidavit.store.engine import Database

__all__ = ["NAME", "WebhookConnector", "create"]

NAME = "webhook"
_MAX_KEPT_JSON = 2048  # canonical bytes of a JSON answer kept in the result
_MAX_EXCERPT = 200  # characters of a non-JSON answer kept in the result
_MAX_ERROR = 300


class _TooSlow(Exception):
    """The answer kept trickling in past the overall deadline."""


class WebhookConnector:
    """Sends each action to the configured receiver; see the module docstring."""

    name = NAME

    def __init__(
        self,
        settings: WebhookSettings | None,
        db: Database,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._db = db
        self._clock = clock
        self._secret = settings.resolve_secret(environ) if settings is not None else b""
        # One TLS context for the connector's lifetime: building one per call
        # would reload the CA bundle every time.
        self._tls = httpx.create_ssl_context(trust_env=False) if settings is not None else None

    def execute(self, request: ActionRequest) -> ActionResult:
        if not isinstance(request, ActionRequest):
            raise InputError(f"execute takes an ActionRequest, not {type(request).__name__}.")
        settings, tls = self._settings, self._tls
        if settings is None or tls is None:
            raise ConfigError(
                "the webhook connector is not configured: add a webhook section with url and "
                "secret_env (or secret) to connectors.yaml in AFFIDAVIT_HOME."
            )
        body = canonical.encode(request.to_json())
        stored = _executions.claim(self._db, NAME, request, self._clock())
        if stored is not None:
            return stored
        result = self._send(settings, tls, request.execution_id, body)
        _executions.finish(self._db, NAME, request.execution_id, result, self._clock())
        return result

    def _send(
        self, settings: WebhookSettings, tls: ssl.SSLContext, execution_id: str, body: bytes
    ) -> ActionResult:
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": execution_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign_webhook(self._secret, timestamp, body),
            "User-Agent": "affidavit-webhook/1",
        }
        timeout = settings.timeout_s
        deadline = time.monotonic() + timeout
        try:
            with (
                httpx.Client(
                    timeout=httpx.Timeout(timeout),
                    follow_redirects=False,
                    trust_env=False,
                    verify=tls,
                    proxy=settings.proxy,
                ) as client,
                client.stream("POST", settings.url, content=body, headers=headers) as response,
            ):
                data, truncated = _read_limited(response, settings.max_response_bytes, deadline)
                return _interpret(response, data, truncated)
        except (httpx.TimeoutException, _TooSlow):
            return _failed("timeout", f"the webhook call timed out after {timeout:g} s.")
        except httpx.ConnectError as exc:
            reason = self._scrub(exc)
            return _failed("connect", f"could not connect to the webhook receiver: {reason}")
        except (httpx.HTTPError, OSError) as exc:
            reason = self._scrub(exc)
            return _failed("transport", f"the webhook call failed: {type(exc).__name__}: {reason}")

    def _scrub(self, exc: BaseException) -> str:
        """The exception text without the URL, the proxy or the secret, and short."""
        text = str(exc) or type(exc).__name__
        assert self._settings is not None
        for secret in (self._settings.url, self._settings.proxy, self._secret.decode()):
            if secret:
                text = text.replace(secret, "<redacted>")
        return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 3] + "..."


def _read_limited(response: httpx.Response, limit: int, deadline: float) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the answer, and whether there was more."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise _TooSlow
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _interpret(response: httpx.Response, data: bytes, truncated: bool) -> ActionResult:
    code = response.status_code
    detail: dict[str, Any] = {"status_code": code, "response_bytes": len(data)}
    if truncated:
        detail["response_truncated"] = True
    parsed = _small_json(data) if data and not truncated else None
    if parsed is not None:
        detail["response"] = parsed
    elif data:
        detail["response_excerpt"] = data[: _MAX_EXCERPT * 4].decode("utf-8", "replace")[
            :_MAX_EXCERPT
        ]
    if 200 <= code < 300:
        return ActionResult("succeeded", detail, external_ref=_reference(parsed))
    if 300 <= code < 400:
        detail["error_kind"] = "redirect"
        detail["error"] = (
            f"the receiver answered with a redirect (HTTP {code}); it was not followed."
        )
    else:
        detail["error_kind"] = "http_status"
        phrase = f" {response.reason_phrase}" if response.reason_phrase.isprintable() else ""
        detail["error"] = f"the receiver answered HTTP {code}{phrase[:60]}."
    return ActionResult("failed", detail)


def _small_json(data: bytes) -> Any:
    try:
        value = canonical.decode(data)
    except InputError:
        return None
    if len(canonical.encode(value)) > _MAX_KEPT_JSON:
        return None
    return value


def _reference(parsed: Any) -> str | None:
    """The receiver's id for what it did: the ``id`` member of a JSON object answer."""
    if not isinstance(parsed, dict):
        return None
    ref = parsed.get("id")
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        return None
    text = str(ref)
    if not text or len(text) > 256 or not text.isprintable() or text != text.strip():
        return None
    return text


def _failed(kind: str, message: str) -> ActionResult:
    return ActionResult("failed", {"error": message, "error_kind": kind})


def create(context: ConnectorContext) -> WebhookConnector:
    """Entry-point factory: the webhook connector with the ``webhook`` settings, if any."""
    section = context.settings(NAME)
    settings = WebhookSettings.parse(section) if section is not None else None
    return WebhookConnector(settings, context.db)
